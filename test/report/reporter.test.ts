// The reporter against a real gRPC server (grpc-js, the contract's own service definition) on
// 127.0.0.1: what it sends on connect and on its interval, acks, an aggregator restart, overflow,
// a refused token, commands, TLS, stop() and process exit.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Reporter, type ReporterOptions } from "../../agent/report/reporter.js";
import { applyDelta } from "../../core/protocol/index.js";
import {
  type AgentMessage,
  type AggregatorMessage,
  type Command,
  emptyNodeReport,
  loadAggregatorProtocol,
  type NodeReport,
  PROTOCOL_LOAD_OPTIONS,
} from "../../core/protocol/protocol.js";
import { makeTestCerts } from "../lab/certs.js";
import { waitFor } from "../support/wait.js";
import { realisticReport } from "./realistic-node.js";

const TOKEN = "s3cret-token-for-tests";
const REPORTER_PATH = new URL("../../agent/report/reporter.ts", import.meta.url).pathname;

// ---- a tiny aggregator ----

type AckPolicy = (m: AgentMessage) => "ack" | "withhold" | number;

interface FakeOptions {
  port?: number;
  /** Required bearer token; undefined = any. */
  token?: string;
  ack?: AckPolicy;
  /** Called with each accepted stream once its Hello arrives. */
  onHello?: (stream: FakeStream) => void;
  tls?: { cert: string; key: string };
  /** Ends the stream with this status instead of acking the message. */
  refuse?: (m: AgentMessage) => { code: grpc.status; details: string } | undefined;
  /** Listed in the Ack of each Hello (an aggregator that takes delta reports lists "report-delta"). */
  features?: string[];
  /** Serve this .proto instead of the current one: an aggregator of another build of the contract. */
  protoFile?: string;
}

interface FakeStream {
  call: grpc.ServerDuplexStream<AgentMessage, AggregatorMessage>;
  authorization: string | undefined;
  messages: AgentMessage[];
}

class FakeAggregator {
  /** Every Connect call, accepted or not. */
  attempts = 0;
  rejected = 0;
  readonly streams: FakeStream[] = [];
  readonly messages: AgentMessage[] = [];
  private readonly withheld: Array<{ call: FakeStream["call"]; seq: number }> = [];

  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
    private readonly opts: FakeOptions,
  ) {}

  static async start(opts: FakeOptions = {}): Promise<FakeAggregator> {
    const service = opts.protoFile === undefined ? (await loadAggregatorProtocol()).service : await serviceOf(opts.protoFile);
    const server = new grpc.Server();
    let fake: FakeAggregator | undefined;
    const pending: FakeStream["call"][] = [];
    server.addService(service, {
      Connect: (call: FakeStream["call"]) => {
        if (fake) fake.accept(call);
        else pending.push(call);
      },
    });
    const creds = opts.tls
      ? grpc.ServerCredentials.createSsl(null, [{ private_key: readFileSync(opts.tls.key), cert_chain: readFileSync(opts.tls.cert) }])
      : grpc.ServerCredentials.createInsecure();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${opts.port ?? 0}`, creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    fake = new FakeAggregator(server, port, opts);
    for (const call of pending) fake.accept(call);
    return fake;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  private accept(call: FakeStream["call"]): void {
    this.attempts++;
    const authorization = call.metadata.get("authorization")[0]?.toString();
    if (this.opts.token !== undefined && authorization !== `Bearer ${this.opts.token}`) {
      this.rejected++;
      // Echoes what it got, so the test can check the reporter never logs the token.
      call.emit("error", { code: grpc.status.UNAUTHENTICATED, details: `invalid token: ${authorization ?? "none"}` });
      return;
    }
    const stream: FakeStream = { call, authorization, messages: [] };
    this.streams.push(stream);
    call.on("data", (m: AgentMessage) => {
      stream.messages.push(m);
      this.messages.push(m);
      if (m.body === "hello") this.opts.onHello?.(stream);
      const refusal = this.opts.refuse?.(m);
      if (refusal) {
        call.emit("error", refusal);
        return;
      }
      const policy = this.opts.ack?.(m) ?? "ack";
      const features = m.body === "hello" ? (this.opts.features ?? []) : [];
      if (policy === "ack") call.write({ ack: { seq: m.seq, features } });
      else if (policy === "withhold") this.withheld.push({ call, seq: m.seq });
      else setTimeout(() => call.write({ ack: { seq: m.seq, features: [] } }), policy);
    });
    call.on("end", () => call.end());
    call.on("error", () => undefined);
  }

  findings(): AgentMessage[] {
    return this.messages.filter((m) => m.body === "finding");
  }

  reports(): AgentMessage[] {
    return this.messages.filter((m) => m.body === "report");
  }

  deltas(): AgentMessage[] {
    return this.messages.filter((m) => m.body === "delta");
  }

  /** Asks every open stream for a full report, as an aggregator does after a delta on another base. */
  requestFullReport(seq: number): void {
    for (const s of this.streams) if (!s.call.destroyed && !s.call.writableEnded) s.call.write({ fullReportRequest: { seq } });
  }

  command(command: Command): void {
    for (const s of this.streams) if (!s.call.destroyed && !s.call.writableEnded) s.call.write({ command });
  }

  /** Ends every open stream with status OK, as an aggregator shutting down gracefully does. */
  endStreams(): void {
    for (const s of this.streams) if (!s.call.writableEnded) s.call.end();
  }

  forceShutdown(): void {
    this.server.forceShutdown();
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 500);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

// ---- helpers ----

async function serviceOf(protoFile: string): Promise<grpc.ServiceDefinition> {
  const definition = await protoLoader.load(protoFile, PROTOCOL_LOAD_OPTIONS);
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { pullmedic: { v1: { Aggregator: grpc.ServiceClientConstructor } } };
  return pkg.pullmedic.v1.Aggregator.service;
}

interface LogLine {
  level: string;
  message: string;
}

function emptyReport(observedAtMs = Date.now()): NodeReport {
  return {
    ...emptyNodeReport(observedAtMs),
    runtime: "containerd 1.7.2",
    images: { count: 3, bytes: 1000, inUse: 1, sandboxImage: "registry.k8s.io/pause:3.9" },
  };
}

function makeReporter(overrides: Partial<ReporterOptions> & { address: string }): { reporter: Reporter; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const reporter = new Reporter({
    token: async () => TOKEN,
    node: "node-a",
    agentVersion: "0.1.0-test",
    intervalMs: 60_000,
    buildReport: () => emptyReport(),
    backoff: { baseMs: 50, maxMs: 200 },
    log: (level, message) => logs.push({ level, message }),
    ...overrides,
  });
  return { reporter, logs };
}

function diagnosis(pod: string) {
  return {
    kind: "diagnosis" as const,
    diagnosis: {
      pod,
      container: "app",
      image: "ghcr.io/acme/app:1.0",
      registry: "ghcr.io",
      reason: "ImagePullBackOff",
      cause: "not-found",
      summary: "the tag does not exist",
      fix: ["crane ls ghcr.io/acme/app"],
      sinceMs: 1_700_000_000_000,
      impact: 1,
      note: "",
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const fake = await FakeAggregator.start();
  const port = fake.port;
  fake.forceShutdown();
  return port;
}

// ---- tests ----

test("on connect: Hello with the node's identity, then a full report, then one every interval, seqs 1, 2, 3 …", async (t) => {
  const fake = await FakeAggregator.start({ token: TOKEN });
  let built = 0;
  const { reporter } = makeReporter({
    address: fake.address,
    intervalMs: 100,
    buildReport: () => emptyReport(++built),
  });
  t.after(async () => {
    await reporter.stop(0);
    await fake.close();
  });
  reporter.start();
  await waitFor("4 reports", () => fake.reports().length >= 4);

  const [stream] = fake.streams;
  assert.ok(stream);
  assert.equal(stream.authorization, `Bearer ${TOKEN}`);
  const [hello, first] = stream.messages;
  assert.equal(hello?.body, "hello");
  assert.deepEqual(hello?.hello, {
    node: "node-a",
    agentVersion: "0.1.0-test",
    bootId: reporter.bootId,
    reportIntervalSeconds: 1,
    protocol: "pullmedic.v1",
  });
  assert.equal(first?.body, "report", "a full report right after the Hello");
  assert.equal(first?.report?.observedAtMs, 1);
  assert.equal(first?.report?.images?.sandboxImage, "registry.k8s.io/pause:3.9");
  assert.deepEqual(
    stream.messages.map((m) => m.seq),
    stream.messages.map((_, i) => i + 1),
  );

  await waitFor("acks", () => reporter.status().acked >= 5);
  const before = fake.reports().length;
  reporter.reportNow();
  await waitFor("the report asked for", () => fake.reports().length > before);
  const status = reporter.status();
  assert.equal(status.connected, true);
  assert.equal(status.address, fake.address);
  assert.equal(status.reconnects, 0);
  assert.equal(status.lastError, undefined);
  assert.equal(typeof status.lastAckMs, "number");
  assert.equal(fake.streams.length, 1, "one stream");
});

test("findings are sent in order, get ids boot:seq, and leave the buffer when acked", async (t) => {
  const fake = await FakeAggregator.start({ ack: (m) => (m.body === "finding" ? 30 : "ack") });
  const { reporter } = makeReporter({ address: fake.address, now: () => 42_000 });
  t.after(async () => {
    await reporter.stop(0);
    await fake.close();
  });
  // 300 queued before the connection: more than grpc's write buffer, so the reporter waits for drain.
  for (let i = 0; i < 300; i++) reporter.addFinding(diagnosis(`ns/early-${i}`));
  assert.equal(reporter.status().buffered, 300);
  reporter.start();
  await waitFor("connected", () => reporter.status().connected);
  reporter.addFinding({ ...diagnosis("ns/late"), atMs: 7 });
  reporter.addCommandUpdate({ commandId: "c1", image: "nginx:1.27", state: "pulled", cause: "", summary: "", durationMs: 12, atMs: 8 });
  await waitFor("every finding acked", () => reporter.status().buffered === 0, { timeoutMs: 10_000 });

  const messages = fake.streams[0]?.messages ?? [];
  assert.deepEqual(
    messages.slice(0, 2).map((m) => m.body),
    ["hello", "report"],
  );
  const findings = fake.findings();
  assert.equal(findings.length, 301, "each finding once");
  assert.deepEqual(
    findings.map((m) => m.finding?.diagnosis?.pod),
    [...Array.from({ length: 300 }, (_, i) => `ns/early-${i}`), "ns/late"],
  );
  for (const m of findings) assert.equal(m.finding?.id, `${reporter.bootId}:${m.seq}`);
  assert.equal(findings[0]?.finding?.atMs, 42_000, "atMs defaults to now()");
  assert.equal(findings[0]?.finding?.kind, "diagnosis");
  assert.equal(findings.at(-1)?.finding?.atMs, 7);
  const update = fake.messages.find((m) => m.body === "commandUpdate");
  assert.equal(update?.commandUpdate?.state, "pulled");
  assert.equal(update?.commandUpdate?.durationMs, 12);
  const status = reporter.status();
  assert.equal(status.dropped, 0);
  assert.equal(status.sent, 2 + 301 + 1);
  assert.equal(status.acked, status.sent);
});

test("the aggregator dies mid-stream with unacked findings: a new one on the same port gets them all, ids unchanged", async (t) => {
  const first = await FakeAggregator.start({ ack: (m) => (m.body === "finding" ? "withhold" : "ack") });
  const port = first.port;
  const { reporter, logs } = makeReporter({ address: first.address });
  let second: FakeAggregator | undefined;
  t.after(async () => {
    await reporter.stop(0);
    first.forceShutdown();
    await second?.close();
  });
  reporter.start();
  for (let i = 0; i < 3; i++) reporter.addFinding(diagnosis(`ns/before-${i}`));
  await waitFor("3 findings at the first aggregator", () => first.findings().length === 3);
  const idsSeen = first.findings().map((m) => m.finding?.id);
  assert.equal(reporter.status().buffered, 3, "not acked: still buffered");

  first.forceShutdown();
  await waitFor("the reporter to notice", () => !reporter.status().connected);
  reporter.addFinding(diagnosis("ns/during"));
  await sleep(150);
  assert.equal(reporter.status().buffered, 4);

  second = await FakeAggregator.start({ port });
  await waitFor("the second aggregator to ack everything", () => reporter.status().buffered === 0);
  const s = second;
  assert.deepEqual(
    s.streams[0]?.messages.slice(0, 2).map((m) => m.body),
    ["hello", "report"],
  );
  const got = s.findings();
  assert.deepEqual(
    got.map((m) => m.finding?.diagnosis?.pod),
    ["ns/before-0", "ns/before-1", "ns/before-2", "ns/during"],
  );
  assert.deepEqual(
    got.slice(0, 3).map((m) => m.finding?.id),
    idsSeen,
    "resent findings keep their ids",
  );
  assert.equal(new Set(got.map((m) => m.finding?.id)).size, 4);
  const seqs = [...first.messages, ...s.messages].map((m) => m.seq);
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
    "seq keeps increasing across streams",
  );
  assert.equal(new Set(seqs).size, seqs.length);
  const status = reporter.status();
  assert.equal(status.connected, true);
  assert.ok(status.reconnects >= 1);
  assert.equal(status.dropped, 0);
  assert.ok(
    logs.some((l) => l.level === "warn" && /closed the stream|dropped/.test(l.message)),
    JSON.stringify(logs),
  );
  assert.ok(
    logs.some((l) => l.level === "info" && /reconnected/.test(l.message)),
    JSON.stringify(logs),
  );
});

test("the aggregator ends the stream cleanly: noted at info, and the reporter is back within the base back-off", async (t) => {
  const fake = await FakeAggregator.start();
  const { reporter, logs } = makeReporter({ address: fake.address, backoff: { baseMs: 200, maxMs: 60_000 } });
  t.after(async () => {
    await reporter.stop(0);
    await fake.close();
  });
  reporter.start();
  await waitFor("acks", () => reporter.status().acked >= 2);
  for (let i = 1; i <= 3; i++) {
    // The stream got acks, so the back-off starts over each time: never more than baseMs.
    const t0 = Date.now();
    fake.endStreams();
    await waitFor(`stream ${i + 1}`, () => fake.streams.length === i + 1 && reporter.status().connected);
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  }
  assert.equal(logs.filter((l) => l.level === "warn").length, 0, JSON.stringify(logs));
  assert.ok(logs.some((l) => l.level === "info" && /ended the stream/.test(l.message)));
  assert.equal(reporter.status().reconnects, 3);
});

test("RESOURCE_EXHAUSTED from the aggregator is named; the finding stays buffered for the next stream", async (t) => {
  const fake = await FakeAggregator.start({
    refuse: (m) => (m.body === "finding" ? { code: grpc.status.RESOURCE_EXHAUSTED, details: "ingest queue full" } : undefined),
  });
  const { reporter } = makeReporter({ address: fake.address });
  t.after(async () => {
    await reporter.stop(0);
    await fake.close();
  });
  reporter.addFinding(diagnosis("ns/busy"));
  reporter.start();
  await waitFor("the refusal", () => reporter.status().lastError !== undefined);
  assert.match(reporter.status().lastError ?? "", /too large or is over capacity \(RESOURCE_EXHAUSTED: ingest queue full\)/);
  await waitFor("resent on the next stream", () => fake.findings().length >= 2);
  assert.equal(reporter.status().buffered, 1);
  const ids = new Set(fake.findings().map((m) => m.finding?.id));
  assert.equal(ids.size, 1, "one id across resends");
});

test("a full buffer drops the oldest findings, counts them and warns once", async (t) => {
  const { reporter, logs } = makeReporter({ address: `127.0.0.1:${await freePort()}`, bufferLimit: 5 });
  let fake: FakeAggregator | undefined;
  t.after(async () => {
    await reporter.stop(0);
    await fake?.close();
  });
  for (let i = 0; i < 8; i++) reporter.addFinding(diagnosis(`ns/p${i}`));
  let status = reporter.status();
  assert.equal(status.buffered, 5);
  assert.equal(status.dropped, 3);
  assert.equal(logs.filter((l) => l.level === "warn").length, 1, JSON.stringify(logs));
  assert.match(logs[0]?.message ?? "", /dropping the oldest/);

  fake = await FakeAggregator.start();
  const r2 = makeReporter({ address: fake.address, bufferLimit: 5 });
  t.after(() => r2.reporter.stop(0));
  for (let i = 0; i < 8; i++) r2.reporter.addFinding(diagnosis(`ns/p${i}`));
  r2.reporter.start();
  await waitFor("the kept findings acked", () => r2.reporter.status().buffered === 0);
  assert.deepEqual(
    fake.findings().map((m) => m.finding?.diagnosis?.pod),
    ["ns/p3", "ns/p4", "ns/p5", "ns/p6", "ns/p7"],
  );
  status = r2.reporter.status();
  assert.equal(status.dropped, 3);
  assert.ok(
    r2.logs.some((l) => l.level === "info" && /caught up/.test(l.message)),
    JSON.stringify(r2.logs),
  );
});

test("a refused token: status says so, it is logged once without the token, retries back off, a new token is picked up", async (t) => {
  const fake = await FakeAggregator.start({ token: TOKEN });
  let current = "wrong-token-0123456789";
  let tokenCalls = 0;
  const { reporter, logs } = makeReporter({
    address: fake.address,
    token: async () => {
      tokenCalls++;
      return current;
    },
    backoff: { baseMs: 100, maxMs: 400 },
  });
  t.after(async () => {
    await reporter.stop(0);
    await fake.close();
  });
  reporter.start();
  await waitFor("the first refusal", () => fake.rejected >= 1);
  const start = fake.attempts;
  await sleep(1000);
  const inOneSecond = fake.attempts - start;
  // Full jitter from 100 ms doubling to 400 ms: a handful per second, not a hot loop.
  assert.ok(inOneSecond >= 1 && inOneSecond <= 20, `${inOneSecond} attempts in 1 s`);
  const status = reporter.status();
  assert.equal(status.connected, false);
  assert.match(status.lastError ?? "", /refused the token \(UNAUTHENTICATED/);
  assert.ok(status.reconnects >= 2);
  // Read on every connect (one attempt may be on its way to the server right now).
  assert.ok(tokenCalls >= fake.attempts && tokenCalls <= fake.attempts + 1, `${tokenCalls} token reads, ${fake.attempts} attempts`);
  const warns = logs.filter((l) => l.level === "warn");
  assert.equal(warns.length, 1, JSON.stringify(warns));
  assert.match(warns[0]?.message ?? "", /the aggregator at 127\.0\.0\.1:\d+ refused the token/);
  for (const l of logs) assert.ok(!l.message.includes(current), `token in log: ${l.message}`);
  assert.ok(!(status.lastError ?? "").includes(current));

  current = TOKEN; // the mounted Secret was updated
  await waitFor("accepted with the new token", () => reporter.status().connected && reporter.status().acked >= 2);
  assert.equal(reporter.status().lastError, undefined);
  assert.equal(fake.streams.length, 1);
});

test("no token configured against an aggregator that wants one: says none is configured", async (t) => {
  const fake = await FakeAggregator.start({ token: TOKEN });
  const { reporter } = makeReporter({ address: fake.address, token: async () => undefined });
  t.after(async () => {
    await reporter.stop(0);
    await fake.close();
  });
  reporter.start();
  await waitFor("an error", () => reporter.status().lastError !== undefined);
  assert.match(reporter.status().lastError ?? "", /requires a token and none is configured/);
});

test("nothing listening: unreachable, connection refused, logged once while it keeps trying", async (t) => {
  const { reporter, logs } = makeReporter({ address: `127.0.0.1:${await freePort()}` });
  t.after(() => reporter.stop(0));
  reporter.addFinding(diagnosis("ns/kept"));
  reporter.start();
  await waitFor("3 reconnects", () => reporter.status().reconnects >= 3);
  const status = reporter.status();
  assert.match(status.lastError ?? "", /is unreachable: connection refused/);
  assert.equal(status.buffered, 1);
  const warns = logs.filter((l) => l.level === "warn");
  assert.equal(warns.length, 1, JSON.stringify(warns));
  assert.match(warns[0]?.message ?? "", /retrying with back-off; 1 finding kept for resending/);
});

test("commands from the aggregator reach onCommand; their updates go back and are acked", async (t) => {
  const command: Command = { id: "cmd-1", kind: "prepull", prepull: { images: ["nginx:1.27", "redis:7"], notBeforeMs: 1234 } };
  const fake = await FakeAggregator.start({ onHello: (s) => s.call.write({ command }) });
  const received: Command[] = [];
  const { reporter } = makeReporter({
    address: fake.address,
    onCommand: (c) => {
      received.push(c);
      reporter.addCommandUpdate({ commandId: c.id, image: "nginx:1.27", state: "pulling", cause: "", summary: "", durationMs: 0, atMs: 5 });
    },
  });
  t.after(async () => {
    await reporter.stop(0);
    await fake.close();
  });
  reporter.start();
  await waitFor("the command", () => received.length === 1);
  assert.equal(received[0]?.id, "cmd-1");
  assert.equal(received[0]?.kind, "prepull");
  assert.deepEqual(received[0]?.prepull, { images: ["nginx:1.27", "redis:7"], notBeforeMs: 1234 });
  await waitFor("the update", () => fake.messages.some((m) => m.body === "commandUpdate"));
  const update = fake.messages.find((m) => m.body === "commandUpdate")?.commandUpdate;
  assert.equal(update?.commandId, "cmd-1");
  assert.equal(update?.state, "pulling");
  await waitFor("the update acked", () => reporter.status().buffered === 0);

  fake.command({ id: "cmd-2", kind: "prepull", prepull: { images: ["busybox"], notBeforeMs: 0 } });
  await waitFor("a later command", () => received.length === 2);
});

test("a finding too large for one gRPC message is dropped with a warning, the ones behind it still go", async (t) => {
  const fake = await FakeAggregator.start();
  const { reporter, logs } = makeReporter({ address: fake.address });
  t.after(async () => {
    await reporter.stop(0);
    await fake.close();
  });
  reporter.addFinding(diagnosis("ns/a"));
  const huge = diagnosis("ns/huge");
  huge.diagnosis.summary = "x".repeat(5 * 1024 * 1024);
  reporter.addFinding(huge);
  reporter.addFinding(diagnosis("ns/b"));
  reporter.start();
  await waitFor("the rest acked", () => reporter.status().buffered === 0);
  assert.deepEqual(
    fake.findings().map((m) => m.finding?.diagnosis?.pod),
    ["ns/a", "ns/b"],
  );
  assert.equal(reporter.status().dropped, 1);
  assert.equal(fake.streams.length, 1, "the stream survived");
  assert.ok(
    logs.some((l) => l.level === "warn" && /over the 4194304-byte message limit/.test(l.message)),
    JSON.stringify(logs),
  );
});

test("TLS with the CA file; a server the CA did not sign is refused in words", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pullmedic-reporter-tls-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const certs = await makeTestCerts(dir);
  const fake = await FakeAggregator.start({ tls: certs.certs.valid, token: TOKEN });
  const good = makeReporter({ address: fake.address, caFile: certs.caCert });
  const bad = makeReporter({ address: fake.address, caFile: certs.otherCaCert });
  const missing = makeReporter({ address: fake.address, caFile: join(dir, "nope.pem") });
  t.after(async () => {
    await Promise.all([good.reporter.stop(0), bad.reporter.stop(0), missing.reporter.stop(0)]);
    await fake.close();
  });
  good.reporter.addFinding(diagnosis("ns/tls"));
  for (const r of [good, bad, missing]) r.reporter.start();
  await waitFor("the finding over TLS", () => good.reporter.status().buffered === 0);
  assert.equal(fake.streams[0]?.authorization, `Bearer ${TOKEN}`);
  await waitFor("the untrusted server refused", () => bad.reporter.status().lastError !== undefined);
  assert.match(bad.reporter.status().lastError ?? "", /TLS to the aggregator at .* failed with the CA file .*other-ca/);
  await waitFor("the missing CA file", () => missing.reporter.status().lastError !== undefined);
  assert.match(missing.reporter.status().lastError ?? "", /cannot read the aggregator CA file .*nope\.pem: no such file/);
  assert.equal(fake.streams.length, 1, "only the good reporter got through");
});

test("stop() connects right away to flush what is buffered, and resolves once it is acked", async (t) => {
  const port = await freePort();
  const { reporter } = makeReporter({ address: `127.0.0.1:${port}`, backoff: { baseMs: 30_000, maxMs: 60_000 } });
  reporter.addFinding(diagnosis("ns/last-words"));
  reporter.start();
  await waitFor("the first attempt to fail", () => reporter.status().lastError !== undefined);
  const fake = await FakeAggregator.start({ port });
  t.after(() => fake.close());
  const t0 = Date.now();
  await reporter.stop(5000);
  const took = Date.now() - t0;
  assert.deepEqual(
    fake.findings().map((m) => m.finding?.diagnosis?.pod),
    ["ns/last-words"],
  );
  assert.equal(reporter.status().buffered, 0);
  assert.ok(took < 2000, `stop took ${took} ms`);
  assert.equal(reporter.status().connected, false);
});

test("stop() gives up on findings that are never acked after its grace, and says they are lost", async (t) => {
  const fake = await FakeAggregator.start({ ack: (m) => (m.body === "finding" ? "withhold" : "ack") });
  const { reporter, logs } = makeReporter({ address: fake.address });
  t.after(() => fake.close());
  reporter.start();
  reporter.addFinding(diagnosis("ns/unacked"));
  await waitFor("the finding sent", () => fake.findings().length === 1);
  const t0 = Date.now();
  await reporter.stop(300);
  const took = Date.now() - t0;
  assert.ok(took >= 250 && took < 1500, `stop took ${took} ms`);
  assert.ok(
    logs.some((l) => l.level === "warn" && /1 finding .* not acknowledged; they are lost/.test(l.message)),
    JSON.stringify(logs),
  );
  reporter.start(); // a stopped reporter stays stopped
  await sleep(100);
  assert.equal(fake.streams.length, 1);
  await reporter.stop(); // twice is fine
});

test("grpc-js is loaded on start only, and after stop() the process exits on its own", async (t) => {
  const fake = await FakeAggregator.start({ token: TOKEN });
  t.after(() => fake.close());
  const script = `
    import { createRequire } from "node:module";
    const require = createRequire(process.cwd() + "/");
    const grpcLoaded = () => Object.keys(require.cache).some((k) => k.includes("@grpc/grpc-js"));
    const { Reporter } = await import(${JSON.stringify(pathToFileURL(REPORTER_PATH).href)});
    const before = grpcLoaded();
    const r = new Reporter({
      address: process.env.AGGREGATOR, token: async () => process.env.TOKEN, node: "child", agentVersion: "t",
      intervalMs: 1000, buildReport: () => ({ observedAtMs: 1, runtime: "", runtimeProblem: "", disks: [], images: null,
        registries: [], quota: [], prepull: [], failures: [], prune: null, conditions: [], checkErrors: {}, hygiene: [], secrets: [] }),
    });
    r.addFinding({ kind: "recovery", recovery: { pod: "ns/p", container: "c", image: "i", cause: "not-found", durationMs: 5, outcome: "recovered" } });
    r.start();
    while (r.status().acked < 3) await new Promise((res) => setTimeout(res, 10));
    const t0 = Date.now();
    await r.stop();
    console.log(JSON.stringify({ before, after: grpcLoaded(), stopMs: Date.now() - t0, status: r.status() }));
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: new URL("../..", import.meta.url).pathname,
    env: { ...process.env, AGGREGATOR: fake.address, TOKEN },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve(null);
    }, 15_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  assert.equal(exited, 0, `child did not exit on its own (stdout ${out}, stderr ${err})`);
  const result = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as {
    before: boolean;
    after: boolean;
    stopMs: number;
    status: { buffered: number; connected: boolean };
  };
  assert.equal(result.before, false, "importing the reporter loads no grpc-js");
  assert.equal(result.after, true);
  assert.ok(result.stopMs < 1000, `stop took ${result.stopMs} ms`);
  assert.equal(result.status.buffered, 0);
  assert.equal(result.status.connected, false);
  assert.equal(fake.findings().length, 1);
});

// ---- delta reports (feature "report-delta") ----

/** The report the messages of one stream make, applied in order as the aggregator applies them. */
function madeBy(messages: AgentMessage[]): NodeReport | undefined {
  let held: { seq: number; report: NodeReport } | undefined;
  for (const m of messages) {
    if (m.body === "report" && m.report) held = { seq: m.seq, report: m.report };
    if (m.body === "delta" && m.delta) {
      assert.equal(m.delta.baseSeq, held?.seq, `delta ${m.seq} names the report or delta before it`);
      const made = applyDelta(held!.report, m.delta);
      assert.ok("report" in made);
      held = { seq: m.seq, report: made.report };
    }
  }
  return held?.report;
}

test("an aggregator that offers report-delta: a full report on connect, then only what changed, and a heartbeat when nothing did", async (t) => {
  const fake = await FakeAggregator.start({ token: TOKEN, features: ["report-delta"] });
  let tick = 0;
  let frozen = false;
  const { reporter } = makeReporter({
    address: fake.address,
    buildReport: () => (frozen ? { ...realisticReport(tick), observedAtMs: realisticReport(tick).observedAtMs + 1 } : realisticReport(++tick)),
  });
  t.after(async () => {
    await reporter.stop(0);
    await fake.close();
  });
  reporter.start();
  await waitFor("the hello and the first report acked", () => reporter.status().acked >= 2);
  // Each report once the one before is acked, as at a 30 s interval.
  const next = async () => {
    const acked = reporter.status().acked;
    reporter.reportNow();
    await waitFor("its ack", () => reporter.status().acked > acked);
  };
  for (let i = 0; i < 3; i++) await next();
  frozen = true;
  await next();
  const [stream] = fake.streams;
  assert.ok(stream);
  assert.deepEqual(
    stream.messages.slice(0, 2).map((m) => m.body),
    ["hello", "report"],
  );
  assert.equal(fake.reports().length, 1, "one full report: the one after the Hello");
  const last = stream.messages.at(-1)!;
  assert.deepEqual(last.delta?.changed, [], "nothing changed: a heartbeat");
  assert.deepEqual(
    madeBy(stream.messages),
    { ...realisticReport(tick), observedAtMs: realisticReport(tick).observedAtMs + 1 },
    "the deltas make the latest report",
  );
  assert.ok(
    fake.deltas().some((m) => m.delta!.changed.length > 0 && m.delta!.changed.length < 14),
    "some sections changed, not all",
  );
});

test("asked for a full report, the reporter sends one right away, and deltas on it after", async (t) => {
  const fake = await FakeAggregator.start({ token: TOKEN, features: ["report-delta"] });
  let tick = 0;
  const { reporter } = makeReporter({ address: fake.address, buildReport: () => realisticReport(++tick) });
  t.after(async () => {
    await reporter.stop(0);
    await fake.close();
  });
  reporter.start();
  await waitFor("the first report acked", () => reporter.status().acked >= 2);
  reporter.reportNow();
  await waitFor("a delta", () => fake.deltas().length === 1);
  fake.requestFullReport(fake.deltas()[0]!.seq);
  await waitFor("a second full report, without waiting for the interval", () => fake.reports().length === 2);
  await waitFor("its ack", () => reporter.status().acked >= 4);
  reporter.reportNow();
  await waitFor("a delta on it", () => fake.deltas().length === 2);
  assert.equal(fake.deltas()[1]!.delta!.baseSeq, fake.reports()[1]!.seq);
});

test("a report not yet acknowledged is no base: the next report goes whole", async (t) => {
  const fake = await FakeAggregator.start({ token: TOKEN, features: ["report-delta"], ack: (m) => (m.body === "report" ? "withhold" : "ack") });
  let tick = 0;
  const { reporter } = makeReporter({ address: fake.address, intervalMs: 100, buildReport: () => realisticReport(++tick) });
  t.after(async () => {
    await reporter.stop(0);
    await fake.close();
  });
  reporter.start();
  await waitFor("3 reports", () => fake.reports().length >= 3);
  assert.equal(fake.deltas().length, 0);
});

test("aggregators that do not offer report-delta get full reports only: this build without it, and one built from the contract before deltas", async (t) => {
  const older = new URL("./fixtures/pullmedic-v1-before-deltas.proto", import.meta.url).pathname;
  for (const fake of [await FakeAggregator.start({ token: TOKEN }), await FakeAggregator.start({ token: TOKEN, protoFile: older })]) {
    let tick = 0;
    const { reporter } = makeReporter({ address: fake.address, intervalMs: 100, buildReport: () => realisticReport(++tick) });
    t.after(async () => {
      await reporter.stop(0);
      await fake.close();
    });
    reporter.start();
    await waitFor("4 reports", () => fake.reports().length >= 4);
    assert.equal(fake.deltas().length, 0);
    assert.ok(
      fake.messages.every((m) => m.body !== undefined),
      "every message is one this aggregator knows",
    );
    assert.equal(fake.reports().at(-1)!.report!.runtime, "containerd 1.7.24");
  }
});
