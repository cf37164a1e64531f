import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { constants as h2, connect as http2Connect } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { loadAggregatorConfig, type RunningAggregator, startAggregator } from "../../aggregator/index.js";
import { createLogger } from "../../core/log/log.js";
import {
  type AgentMessage,
  type AggregatorMessage,
  type Command,
  emptyNodeReport,
  type Hello,
  loadAggregatorProtocol,
  type NodeReport,
  PROTOCOL,
} from "../../core/protocol/protocol.js";
import { waitFor } from "../support/wait.js";

// The ingest as agents meet it: a real gRPC server on loopback with a temp database and a token
// file, real grpc-js clients, and a raw HTTP/2 client for the frames a gRPC client never sends.

const dir = mkdtempSync(join(tmpdir(), "pm-ingest-"));
const TOKEN = "agent-token-7f3a9c";
const tokenFile = join(dir, "tokens");
writeFileSync(tokenFile, `# agents\n${TOKEN}\nsecond-token-0001\n`);
const log = createLogger("cli", "error");
let agg: RunningAggregator;

before(async () => {
  const config = await loadAggregatorConfig({
    env: {},
    // One node below sends 20,000 findings at once to test flow control: above the default burst of a node's finding rate.
    flags: { grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", database: join(dir, "agg.db"), tokenFile, "findingRate.burst": 100_000 },
  });
  agg = await startAggregator(config, log, { tokenReloadMs: 100 });
});

after(async () => {
  await agg?.stop();
});

function report(partial: Partial<NodeReport> = {}): NodeReport {
  return {
    ...emptyNodeReport(Date.now()),
    runtime: "containerd 1.7.2",
    disks: [{ mountpoint: "/var/lib/containerd", capacityBytes: 100e9, availableBytes: 40e9, usedPercent: 60, inodesFree: 1e6 }],
    images: { count: 12, bytes: 3e9, inUse: 5, sandboxImage: "registry.k8s.io/pause:3.9" },
    ...partial,
  };
}

function hello(node: string, partial: Partial<Hello> = {}): Hello {
  return { node, agentVersion: "0.1.0-test", bootId: `boot-${node}`, reportIntervalSeconds: 10, protocol: PROTOCOL, ...partial };
}

/** One agent stream, as the reporter would hold it. */
class Agent {
  readonly acks: number[] = [];
  readonly commands: Command[] = [];
  readonly status: Promise<grpc.StatusObject>;
  private seq = 0;
  private waiters: { seq: number; resolve: () => void }[] = [];
  readonly call: grpc.ClientDuplexStream<AgentMessage, AggregatorMessage>;

  constructor(
    readonly client: grpc.Client,
    token: string | undefined,
    opts: { read?: boolean } = {},
  ) {
    const md = new grpc.Metadata();
    if (token !== undefined) md.set("authorization", `Bearer ${token}`);
    this.call = (client as unknown as { Connect(md: grpc.Metadata): grpc.ClientDuplexStream<AgentMessage, AggregatorMessage> }).Connect(md);
    this.status = new Promise((resolve) => this.call.on("status", resolve));
    this.call.on("error", () => undefined);
    if (opts.read !== false) this.startReading();
  }

  startReading(): void {
    this.call.on("data", (m: AggregatorMessage) => {
      if (m.ack) {
        this.acks.push(m.ack.seq);
        this.waiters = this.waiters.filter((w) => {
          if (w.seq <= m.ack!.seq) {
            w.resolve();
            return false;
          }
          return true;
        });
      }
      if (m.command) this.commands.push(m.command);
    });
  }

  send(body: Omit<AgentMessage, "seq">): number {
    const seq = ++this.seq;
    this.call.write({ seq, ...body });
    return seq;
  }

  acked(seq: number, ms = 5000): Promise<void> {
    if (this.acks.includes(seq)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack for ${seq} within ${ms} ms (acks: ${this.acks.slice(-5).join(",")})`)), ms);
      this.waiters.push({
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async helloAndReport(node: string, r: NodeReport = report()): Promise<void> {
    this.send({ hello: hello(node) });
    await this.acked(this.send({ report: r }));
  }

  end(): void {
    this.call.end();
  }
}

async function newClient(address = agg.grpcAddress, options: grpc.ClientOptions = {}): Promise<grpc.Client> {
  const { Client } = await loadAggregatorProtocol();
  // grpc-js keeps every message of a call in a retry buffer unless retries are off; an agent's
  // reporter turns them off too (it resends what is not acked itself).
  return new Client(address, grpc.credentials.createInsecure(), { "grpc.enable_retries": 0, ...options });
}

async function metric(name: string): Promise<number> {
  const text = await agg.metrics.render();
  const m = new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

test("hello and a report are persisted, then acked, and the node is in the cluster state", async () => {
  const client = await newClient();
  const a = new Agent(client, TOKEN);
  const s1 = a.send({ hello: hello("node-hello") });
  const s2 = a.send({ report: report({ runtime: "containerd 2.0.1" }) });
  await a.acked(s2);
  assert.deepEqual(a.acks, [s1, s2], "one ack per message, in order");
  const rec = agg.state.node("node-hello");
  assert.ok(rec?.connected);
  assert.equal(rec.report?.runtime, "containerd 2.0.1");
  assert.equal(rec.agentVersion, "0.1.0-test");
  // Written before the ack: the database has it already.
  const stored = (await agg.store.loadNodes()).find((n) => n.node === "node-hello");
  assert.equal(stored?.report?.runtime, "containerd 2.0.1");
  a.end();
  assert.equal((await a.status).code, grpc.status.OK);
  await waitFor("the node to be disconnected", () => agg.state.node("node-hello")?.connected === false);
  client.close();
});

test("findings are stored and acked; a resent finding (same id) is acked again and stored once", async () => {
  const client = await newClient();
  const a = new Agent(client, TOKEN);
  a.send({ hello: hello("node-find") });
  const before = await metric("pullmedic_aggregator_findings_stored_total");
  const finding = {
    id: "boot-node-find:2",
    atMs: Date.now(),
    diagnosis: {
      pod: "shop/web-1",
      container: "web",
      image: "ghcr.io/acme/web:1.2",
      registry: "ghcr.io",
      reason: "ErrImagePull",
      cause: "not-found",
      summary: "tag 1.2 does not exist",
      fix: ["kubectl set image deploy/web web=ghcr.io/acme/web:1.1"],
      sinceMs: Date.now(),
      impact: 3,
      note: "",
    },
  };
  const s1 = a.send({ finding });
  const s2 = a.send({ finding });
  await a.acked(s2);
  assert.ok(a.acks.includes(s1) && a.acks.includes(s2));
  const stored = await agg.store.findings({ node: "node-find", limit: 10 });
  assert.equal(stored.length, 1, "stored once");
  assert.equal(stored[0]?.kind, "diagnosis");
  assert.equal(stored[0]?.cause, "not-found");
  assert.equal(stored[0]?.finding.diagnosis?.image, "ghcr.io/acme/web:1.2");
  assert.equal((await metric("pullmedic_aggregator_findings_stored_total")) - before, 1);
  a.end();
  await a.status;
  client.close();
});

test("a wrong or missing token ends the call UNAUTHENTICATED, naming which, while a good stream keeps getting acks", async () => {
  const client = await newClient();
  const good = new Agent(client, TOKEN);
  await good.helloAndReport("node-good");
  const wrong = new Agent(client, "not-the-token-xyz");
  wrong.send({ hello: hello("node-wrong") });
  const missing = new Agent(client, undefined);
  missing.send({ hello: hello("node-missing") });
  const [w, m] = await Promise.all([wrong.status, missing.status]);
  assert.equal(w.code, grpc.status.UNAUTHENTICATED);
  assert.match(w.details, /not one the aggregator accepts/);
  assert.doesNotMatch(w.details, /not-the-token-xyz/, "the token is never echoed");
  assert.equal(m.code, grpc.status.UNAUTHENTICATED);
  assert.match(m.details, /missing credentials/);
  assert.equal(agg.state.node("node-wrong"), undefined);
  await good.acked(good.send({ report: report() }));
  assert.ok((await metric('pullmedic_aggregator_messages_rejected_total{reason="unauthenticated"}')) >= 2);
  good.end();
  await good.status;
  client.close();
});

test("a rotated token file is picked up without a restart", async () => {
  writeFileSync(tokenFile, `rotated-token-0002\n`);
  try {
    const client = await newClient();
    let verdict: grpc.StatusObject | undefined;
    const end = Date.now() + 5000;
    for (;;) {
      const a = new Agent(client, "rotated-token-0002");
      a.send({ hello: hello("node-rotated") });
      const acked = await a.acked(1, 1000).then(
        () => true,
        () => false,
      );
      a.end();
      verdict = await a.status;
      if (acked || Date.now() > end) break;
    }
    assert.equal(verdict?.code, grpc.status.OK, verdict?.details);
    const old = new Agent(client, TOKEN);
    old.send({ hello: hello("node-old-token") });
    assert.equal((await old.status).code, grpc.status.UNAUTHENTICATED);
    client.close();
  } finally {
    writeFileSync(tokenFile, `${TOKEN}\n`);
    await new Promise((r) => setTimeout(r, 300));
  }
});

test("the first message must be a valid hello: INVALID_ARGUMENT naming the field", async () => {
  const client = await newClient();
  const cases: [Omit<AgentMessage, "seq">, RegExp][] = [
    [{ report: report() }, /^hello: the first message of a stream must be hello, not report/],
    [{ hello: hello("node-x", { protocol: "pullmedic.v0" }) }, /^hello\.protocol: expected "pullmedic\.v1", got "pullmedic\.v0"/],
    [{ hello: hello("") }, /^hello\.node: missing/],
    [{ hello: hello("bad name/with slash") }, /^hello\.node: "bad name\/with slash" is not a node name/],
    [{ hello: hello("n".repeat(254)) }, /^hello\.node: 254 characters, at most 253/],
  ];
  for (const [body, expected] of cases) {
    const a = new Agent(client, TOKEN);
    a.send(body);
    const s = await a.status;
    assert.equal(s.code, grpc.status.INVALID_ARGUMENT, `${JSON.stringify(body).slice(0, 80)}: ${s.details}`);
    assert.match(s.details, expected);
  }
  // A stream carries one node: a later hello naming another is refused.
  const a = new Agent(client, TOKEN);
  await a.helloAndReport("node-one");
  a.send({ hello: hello("node-two") });
  const s = await a.status;
  assert.equal(s.code, grpc.status.INVALID_ARGUMENT);
  assert.match(s.details, /^hello\.node: this stream belongs to node node-one/);
  // A finding without its id cannot be deduplicated: refused.
  const b = new Agent(client, TOKEN);
  await b.helloAndReport("node-noid");
  b.send({ finding: { id: "", atMs: Date.now(), prune: { trigger: "none", removed: 0, freedBytes: 0, failed: 0, dryRun: false, images: [] } } });
  const sb = await b.status;
  assert.equal(sb.code, grpc.status.INVALID_ARGUMENT);
  assert.match(sb.details, /^finding\.id: missing/);
  client.close();
});

test("a 100 MB message is refused with RESOURCE_EXHAUSTED and the server keeps serving", async () => {
  const client = await newClient();
  const good = new Agent(client, TOKEN);
  await good.helloAndReport("node-steady");
  const big = new Agent(await newClient(), TOKEN);
  big.send({ hello: hello("node-big") });
  await big.acked(1);
  big.send({ report: report({ runtimeProblem: "x".repeat(100 * 1024 * 1024) }) });
  const s = await big.status;
  assert.equal(s.code, grpc.status.RESOURCE_EXHAUSTED, s.details);
  assert.match(s.details, /larger than max/);
  assert.equal(await metric('pullmedic_aggregator_messages_rejected_total{reason="oversized"}'), 1);
  // The good stream is unaffected, and new streams are served.
  await good.acked(good.send({ report: report() }));
  const fresh = new Agent(client, TOKEN);
  await fresh.helloAndReport("node-after-big");
  fresh.end();
  good.end();
  await Promise.all([fresh.status, good.status]);
  big.client.close();
  client.close();
});

test("a garbage frame (raw HTTP/2) fails that call only; the server keeps serving", async () => {
  const client = await newClient();
  const good = new Agent(client, TOKEN);
  await good.helloAndReport("node-beside-garbage");
  const session = http2Connect(`http://${agg.grpcAddress}`);
  session.on("error", () => undefined);
  const stream = session.request({
    [h2.HTTP2_HEADER_METHOD]: "POST",
    [h2.HTTP2_HEADER_PATH]: "/pullmedic.v1.Aggregator/Connect",
    "content-type": "application/grpc",
    te: "trailers",
    authorization: `Bearer ${TOKEN}`,
  });
  // A length-prefixed message whose bytes are not protobuf: field 1 with wire type 7 (none exists).
  const garbage = Buffer.from([0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]);
  const frame = Buffer.alloc(5 + garbage.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(garbage.length, 1);
  garbage.copy(frame, 5);
  const trailers = new Promise<Record<string, unknown>>((resolve) => {
    let headers: Record<string, unknown> = {};
    // A call refused before any message is a trailers-only answer: the status is in the headers.
    stream.on("response", (h) => {
      headers = { ...h };
      if (h["grpc-status"] !== undefined) resolve(headers);
    });
    stream.on("trailers", (t) => resolve({ ...headers, ...t }));
    stream.on("close", () => resolve(headers));
  });
  stream.on("data", () => undefined);
  stream.write(frame);
  const t = await trailers;
  assert.equal(Number(t["grpc-status"]), grpc.status.INTERNAL, JSON.stringify(t));
  stream.close();
  session.close();
  assert.equal(await metric('pullmedic_aggregator_messages_rejected_total{reason="malformed"}'), 1);
  await good.acked(good.send({ report: report() }));
  good.end();
  await good.status;
  client.close();
});

test("a second stream for the same node replaces the first, which ends ABORTED; the node stays connected", async () => {
  const client = await newClient();
  const first = new Agent(client, TOKEN);
  await first.helloAndReport("node-twice");
  const second = new Agent(client, TOKEN);
  await second.helloAndReport("node-twice");
  const s = await first.status;
  assert.equal(s.code, grpc.status.ABORTED);
  assert.match(s.details, /replaced by a newer stream from node node-twice/);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(agg.state.node("node-twice")?.connected, true, "the newer stream still holds the node");
  // Commands go to the stream that holds the node now.
  const cmd: Command = { id: "cmd-twice", kind: "prepull", prepull: { images: ["nginx:1.27"], notBeforeMs: 0 } };
  assert.equal(agg.sendCommand("node-twice", cmd), true);
  await waitFor("the command", () => second.commands.length === 1);
  assert.deepEqual(second.commands[0]?.prepull?.images, ["nginx:1.27"]);
  assert.equal(agg.sendCommand("node-nobody", cmd), false);
  second.end();
  await second.status;
  await waitFor("the node to be disconnected", () => agg.state.node("node-twice")?.connected === false);
  client.close();
});

test("command updates are persisted and acked", async () => {
  const client = await newClient();
  const a = new Agent(client, TOKEN);
  await a.helloAndReport("node-cmd");
  const { id, plan } = await agg.prepull(["nginx:1.27"]);
  assert.ok(plan.some((p) => p.node === "node-cmd"));
  await waitFor("the command", () => a.commands.some((c) => c.id === id));
  await a.acked(a.send({ commandUpdate: { commandId: id, image: "nginx:1.27", state: "pulling", cause: "", summary: "", durationMs: 0, atMs: Date.now() } }));
  await a.acked(
    a.send({
      commandUpdate: { commandId: id, image: "nginx:1.27", state: "pulled", cause: "", summary: "pulled in 1.2 s", durationMs: 1200, atMs: Date.now() + 1 },
    }),
  );
  const stored = await agg.store.command(id);
  const mine = stored?.updates.find((u) => u.node === "node-cmd");
  assert.equal(mine?.state, "pulled");
  assert.equal(mine?.durationMs, 1200);
  a.end();
  await a.status;
  client.close();
});

test("a pre-pull a node has not finished is sent again when its agent reconnects (restarted while waiting, or the stream died)", async () => {
  const client = await newClient();
  const a = new Agent(client, TOKEN);
  await a.helloAndReport("node-resend");
  const { id, plan } = await agg.prepull(["nginx:1.27", "redis:7"]);
  const mine = plan.find((p) => p.node === "node-resend");
  assert.ok(mine);
  await waitFor("the command", () => a.commands.some((c) => c.id === id));
  await a.acked(a.send({ commandUpdate: { commandId: id, image: "nginx:1.27", state: "waiting", cause: "", summary: "", durationMs: 0, atMs: Date.now() } }));
  // The agent restarts before its start time: the process that held the command is gone.
  a.end();
  await a.status;
  const b = new Agent(client, TOKEN);
  await b.helloAndReport("node-resend");
  await waitFor("the command again on the new stream", () => b.commands.some((c) => c.id === id));
  assert.deepEqual(b.commands.find((c) => c.id === id)?.prepull, { images: ["nginx:1.27", "redis:7"], notBeforeMs: mine.notBeforeMs });
  // Once every image has its final state on the node, a reconnect brings nothing back.
  await b.acked(b.send({ commandUpdate: { commandId: id, image: "nginx:1.27", state: "pulled", cause: "", summary: "", durationMs: 10, atMs: Date.now() } }));
  await b.acked(
    b.send({ commandUpdate: { commandId: id, image: "redis:7", state: "failed", cause: "not-found", summary: "", durationMs: 0, atMs: Date.now() } }),
  );
  b.end();
  await b.status;
  const c = new Agent(client, TOKEN);
  await c.helloAndReport("node-resend");
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(
    c.commands.some((x) => x.id === id),
    false,
  );
  c.end();
  await c.status;
  client.close();
});

/** A raw HTTP/2 gRPC call: frames written as given, the answer read only when asked. */
async function rawCall(token: string) {
  const { service } = await loadAggregatorProtocol();
  const method = (service as unknown as Record<string, { requestSerialize(m: unknown): Buffer; responseDeserialize(b: Buffer): AggregatorMessage }>)[
    "Connect"
  ]!;
  const session = http2Connect(`http://${agg.grpcAddress}`);
  session.on("error", () => undefined);
  const stream = session.request({
    [h2.HTTP2_HEADER_METHOD]: "POST",
    [h2.HTTP2_HEADER_PATH]: "/pullmedic.v1.Aggregator/Connect",
    "content-type": "application/grpc",
    te: "trailers",
    authorization: `Bearer ${token}`,
  });
  stream.on("error", () => undefined);
  const frame = (m: AgentMessage): Buffer => {
    const body = method.requestSerialize(m);
    const f = Buffer.alloc(5 + body.length);
    f.writeUInt32BE(body.length, 1);
    body.copy(f, 5);
    return f;
  };
  const acks: number[] = [];
  let pending = Buffer.alloc(0);
  const read = () =>
    stream.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
        const len = pending.readUInt32BE(1);
        const m = method.responseDeserialize(pending.subarray(5, 5 + len));
        if (m.ack) acks.push(m.ack.seq);
        pending = pending.subarray(5 + len);
      }
    });
  return { session, stream, frame, acks, read };
}

test("an agent that never reads its acks is not read any further (bounded), and loses nothing once it reads", async () => {
  const raw = await rawCall(TOKEN);
  const total = 20_000;
  const frames = [raw.frame({ seq: 1, hello: hello("node-slow-reader") })];
  for (let i = 0; i < total; i++) {
    frames.push(
      raw.frame({
        seq: i + 2,
        finding: { id: `slow:${i}`, atMs: Date.now(), prune: { trigger: "max-age", removed: 1, freedBytes: 1, failed: 0, dryRun: false, images: [] } },
      }),
    );
  }
  const base = (await agg.store.stats()).findings;
  const count = async () => (await agg.store.stats()).findings - base;
  // All of it is handed to HTTP/2 at once; the answer is not read.
  raw.stream.write(Buffer.concat(frames));
  let stalled = -1;
  for (let i = 0; i < 100 && stalled !== (await count()); i++) {
    stalled = await count();
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.equal(await count(), stalled, "nothing more is read while the acks are not");
  assert.ok(stalled > 0 && stalled < total / 2, `only a bounded share was taken in: ${stalled} of ${total}`);
  raw.read();
  await waitFor("every ack", () => raw.acks.length === total + 1, { timeoutMs: 30_000 });
  assert.equal(await count(), total, "nothing lost once the agent reads again");
  assert.deepEqual(raw.acks.slice(0, 3), [1, 2, 3], "acks in order");
  raw.stream.end();
  raw.session.close();
});

test("many agents reporting at once: every report acked after the commit and stored; ack latency printed", async (t) => {
  const agents = 100;
  const perAgent = 20;
  const clients = await Promise.all(Array.from({ length: 4 }, () => newClient()));
  const streams = Array.from({ length: agents }, (_, i) => new Agent(clients[i % clients.length]!, TOKEN));
  await Promise.all(
    streams.map((s, i) => {
      s.send({ hello: hello(`bench-${i}`) });
      return s.acked(1);
    }),
  );
  const r = report({
    registries: [{ registry: "docker.io", ok: true, failingStep: "", error: "", certificateExpiresMs: Date.now() + 9e9, latencyMs: 12 }],
    quota: [{ source: "203.0.113.7", limit: 100, remaining: 80, windowSeconds: 21600, observedAtMs: Date.now() }],
  });
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    streams.map(async (s) => {
      for (let i = 0; i < perAgent; i++) {
        const sentAt = performance.now();
        await s.acked(s.send({ report: { ...r, observedAtMs: Date.now() } }), 30_000);
        latencies.push(performance.now() - sentAt);
        // Spread like agents on timers do, not in lockstep.
        await new Promise((res) => setTimeout(res, Math.random() * 20));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const rate = (agents * perAgent) / seconds;
  const server = agg.metrics.ackLatencyQuantiles();
  t.diagnostic(
    `${agents * perAgent} reports from ${agents} streams in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} reports/s (clients in the same process); ` +
      `client-side ack latency p50 ${p(0.5).toFixed(1)} ms, p99 ${p(0.99).toFixed(1)} ms; server-side p99 ${(server.p99 * 1000).toFixed(1)} ms`,
  );
  // Timings are the bench's business (npm run bench aggregator); here: every report was acked and
  // every node's latest report is what is stored.
  assert.equal(latencies.length, agents * perAgent);
  const stored = new Map((await agg.store.loadNodes()).map((n) => [n.node, n]));
  for (let i = 0; i < agents; i++) assert.ok(stored.get(`bench-${i}`)?.report, `bench-${i} has its report stored`);
  await Promise.all(
    streams.map((s) => {
      s.end();
      return s.status;
    }),
  );
  for (const c of clients) c.close();
});

test("restart: the nodes come back from the database (disconnected) and the findings are still there", async () => {
  const path = join(dir, "restart.db");
  const config = await loadAggregatorConfig({ env: {}, flags: { grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", database: path, tokenFile } });
  const first = await startAggregator(config, log);
  const client = await newClient(first.grpcAddress);
  const a = new Agent(client, TOKEN);
  await a.helloAndReport("node-restart", report({ runtime: "containerd 1.7.9" }));
  await a.acked(
    a.send({
      finding: {
        id: "restart:1",
        atMs: Date.now(),
        recovery: { pod: "a/b", container: "c", image: "nginx:1", cause: "not-found", durationMs: 5000, outcome: "recovered" },
      },
    }),
  );
  await first.stop();
  const s = await a.status;
  assert.equal(s.code, grpc.status.UNAVAILABLE, "streams are ended with a status to reconnect on");
  client.close();
  const second = await startAggregator(config, log);
  try {
    const rec = second.state.node("node-restart");
    assert.equal(rec?.connected, false);
    assert.equal(rec?.report?.runtime, "containerd 1.7.9");
    assert.equal((await second.store.findings({ node: "node-restart", limit: 5 })).length, 1);
  } finally {
    await second.stop();
  }
});

test("nodes gone from the cluster are forgotten: an autoscaled-away node leaves the views, the database and its maxNodes place", async () => {
  const path = join(dir, "forget.db");
  const config = await loadAggregatorConfig({ env: {}, flags: { grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", database: path, tokenFile } });
  const first = await startAggregator(config, log);
  const client = await newClient(first.grpcAddress);
  const gone = new Agent(client, TOKEN);
  const failure = {
    pod: "shop/web-1",
    container: "web",
    image: "ghcr.io/acme/web:9",
    registry: "ghcr.io",
    reason: "ImagePullBackOff",
    cause: "not-found",
    summary: "no such tag",
    fix: [],
    sinceMs: Date.now(),
    impact: 1,
    note: "",
  };
  await gone.helloAndReport("node-scaled-away", report({ failures: [failure] }));
  gone.end();
  await gone.status;
  client.close();
  await first.stop();

  // Two days later (the node was deleted by the autoscaler and never came back).
  const later = () => Date.now() + 2 * 86_400_000;
  const second = await startAggregator(config, log, { now: later });
  try {
    const client2 = await newClient(second.grpcAddress);
    const alive = new Agent(client2, TOKEN);
    await alive.helloAndReport("node-alive");
    assert.equal(second.state.node("node-scaled-away"), undefined, "a node unseen for 2 days is dropped from the cluster view");
    assert.deepEqual(
      second.state.nodes().map((n) => n.node),
      ["node-alive"],
    );
    const res = await fetch(`${second.httpUrl}/api/v1/failures`);
    assert.deepEqual(((await res.json()) as { failures: unknown[] }).failures, [], "its failures are no ghosts in the failures view");
    assert.deepEqual(
      (await second.store.loadNodes()).map((n) => n.node),
      ["node-alive"],
      "and it is gone from the database",
    );
    alive.end();
    await alive.status;
    client2.close();
  } finally {
    await second.stop();
  }
});
