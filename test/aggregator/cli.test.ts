import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { type AgentMessage, type AggregatorMessage, type Command, emptyNodeReport, loadAggregatorProtocol, PROTOCOL } from "../../core/protocol/protocol.js";
import { runPullmedic } from "../support/cli.js";
import { closedPort } from "../support/net.js";
import { waitFor } from "../support/wait.js";

// `pullmedic aggregator` and `pullmedic cluster prepull` as a person runs them: real processes.
// The agents are stand-ins in this process that answer commands the way the reporter does.

const root = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "pm-agg-cli-"));
const TOKEN = "cli-token-0d94e1";
const tokenFile = join(dir, "tokens");
writeFileSync(tokenFile, `${TOKEN}\n`);

interface Running {
  child: ChildProcessWithoutNullStreams;
  grpcAddress: string;
  httpUrl: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `pullmedic aggregator` and waits for the line that says where it listens. */
function startAggregatorProcess(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "cli/main.ts"), "aggregator", ...args], {
    cwd: root,
    env: { ...process.env, CRI_ENDPOINT: "" },
  });
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the aggregator did not say where it listens:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /pullmedic aggregator: gRPC (\S+), dashboard (http:\/\/\S+?)\/(?=["\s])/.exec(out);
      if (m?.[1] && m[2]) {
        clearTimeout(timer);
        resolve({ child, grpcAddress: m[1], httpUrl: m[2], output: () => out, exited });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the aggregator exited (${code}) before listening:\n${out}`));
    });
  });
}

let agg: Running;
let client: grpc.Client;

before(async () => {
  agg = await startAggregatorProcess([
    "--grpc-listen",
    "127.0.0.1:0",
    "--http-listen",
    "127.0.0.1:0",
    "--database",
    join(dir, "agg.db"),
    "--token-file",
    tokenFile,
    "--log-format",
    "json",
  ]);
  const { Client } = await loadAggregatorProtocol();
  client = new Client(agg.grpcAddress, grpc.credentials.createInsecure(), { "grpc.enable_retries": 0 });
});

after(async () => {
  client?.close();
  if (agg && agg.child.exitCode === null) {
    agg.child.kill("SIGKILL");
    await agg.exited;
  }
});

type Answer = (image: string) => { state: string; cause?: string; summary?: string }[];

/** An agent stand-in: says hello, reports, and answers each pre-pull command with `answer`. */
class FakeAgent {
  readonly call: grpc.ClientDuplexStream<AgentMessage, AggregatorMessage>;
  private seq = 0;
  private readonly acks = new Set<number>();

  constructor(
    readonly node: string,
    answer: Answer | undefined,
  ) {
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${TOKEN}`);
    this.call = (client as unknown as { Connect(md: grpc.Metadata): grpc.ClientDuplexStream<AgentMessage, AggregatorMessage> }).Connect(md);
    this.call.on("error", () => undefined);
    this.call.on("data", (m: AggregatorMessage) => {
      if (m.ack) this.acks.add(m.ack.seq);
      if (m.command && answer) void this.carryOut(m.command, answer);
    });
  }

  async start(): Promise<void> {
    this.send({ hello: { node: this.node, agentVersion: "0.1.0", bootId: `boot-${this.node}`, reportIntervalSeconds: 10, protocol: PROTOCOL } });
    const seq = this.send({
      report: { ...emptyNodeReport(Date.now()), runtime: "containerd 1.7.2" },
    });
    await waitFor(`${this.node}: the ack`, () => this.acks.has(seq), { timeoutMs: 5000 });
  }

  private send(body: Omit<AgentMessage, "seq">): number {
    const seq = ++this.seq;
    this.call.write({ seq, ...body });
    return seq;
  }

  private async carryOut(cmd: Command, answer: Answer): Promise<void> {
    for (const image of cmd.prepull?.images ?? []) {
      for (const step of answer(image)) {
        await new Promise((r) => setTimeout(r, 50));
        this.send({
          commandUpdate: {
            commandId: cmd.id,
            image,
            state: step.state,
            cause: step.cause ?? "",
            summary: step.summary ?? "",
            durationMs: step.state === "pulled" ? 1200 : 0,
            atMs: Date.now(),
          },
        });
      }
    }
  }

  /** Ends the stream and waits for the aggregator to close it (the node is then disconnected). */
  stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.call.on("status", () => resolve()));
    this.call.end();
    return closed;
  }
}

const cluster = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runPullmedic(["cluster", "prepull", ...args], { env: { PULLMEDIC_AGGREGATOR: agg.httpUrl, PULLMEDIC_TOKEN_FILE: tokenFile, ...env } });

test("--help of both verbs says what they do", async () => {
  // commander wraps to the terminal's width: compare with the line breaks folded.
  const a = await runPullmedic(["aggregator", "--help"]);
  assert.equal(a.code, 0);
  const aText = a.stdout.replace(/\s+/g, " ");
  assert.match(aText, /Run the aggregator until SIGTERM or SIGINT/);
  assert.match(aText, /written to SQLite before it is acknowledged/);
  assert.match(aText, /--token-file <file>/);
  const c = await runPullmedic(["cluster", "prepull", "--help"]);
  assert.equal(c.code, 0);
  const cText = c.stdout.replace(/\s+/g, " ");
  assert.match(cText, /staggered to keep each egress source within its Docker Hub quota/);
  assert.match(cText, /--no-wait/);
  assert.match(cText, /Exit 0 when every image was pulled or unchanged/);
});

test("aggregator: configuration problems stop it with exit 2, each one listed with its key", async () => {
  const config = join(dir, "bad.yaml");
  writeFileSync(config, "grpcListn: 0.0.0.0:9477\nhttpListen: nope\nmaxMessageBytes: 12\n");
  const r = await runPullmedic(["aggregator", "--config", config, "--database", join(dir, "never.db")], { env: { PULLMEDIC_AGGREGATOR_RETENTION: "soon" } });
  assert.equal(r.code, 2, r.stderr);
  for (const re of [
    /grpcListn: unknown key \(did you mean grpcListen\?\)/,
    /httpListen: must be host:port/,
    /maxMessageBytes: .*65536/,
    /retention: "soon" is not a duration.*\(from PULLMEDIC_AGGREGATOR_RETENTION\)/,
    /tokenFile: required/,
  ]) {
    assert.match(r.stderr, re);
  }
  const missing = await runPullmedic(["aggregator", "--token-file", join(dir, "no-such-tokens"), "--database", join(dir, "never.db")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /tokenFile: cannot read .*no-such-tokens: no such file \(from --token-file\)/);
});

test("cluster prepull without connected agents: an error saying so, exit 1", async () => {
  const r = await cluster(["nginx:1.27"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /no connected agents/);
});

test("cluster prepull: usage errors exit 2 (bad reference, no token, refused token), an unreachable aggregator exits 1", async () => {
  const bad = await cluster(["Nginx::1"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid image reference "Nginx::1"/);
  const noToken = await cluster(["nginx:1.27"], { PULLMEDIC_TOKEN_FILE: "" });
  assert.equal(noToken.code, 2);
  assert.match(noToken.stderr, /the aggregator refused the request: missing credentials.*--token-file/);
  const wrongFile = join(dir, "wrong-token");
  writeFileSync(wrongFile, "not-it\n");
  const wrong = await cluster(["nginx:1.27", "--token-file", wrongFile]);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /not one it accepts/);
  const port = await closedPort();
  const down = await cluster(["nginx:1.27", "--aggregator", `http://127.0.0.1:${port}`]);
  assert.equal(down.code, 1);
  assert.match(down.stderr, new RegExp(`cannot reach the aggregator at http://127.0.0.1:${port}/: connection refused`));
  const timeout = await cluster(["nginx:1.27", "--timeout", "soon"]);
  assert.equal(timeout.code, 2);
});

test("cluster prepull: prints the plan, then a line per node and image as states change; exit 0 when all pulled or unchanged", async () => {
  const a = new FakeAgent("node-ok-1", () => [{ state: "pulling" }, { state: "pulled" }]);
  const b = new FakeAgent("node-ok-2", () => [{ state: "unchanged" }]);
  await Promise.all([a.start(), b.start()]);
  try {
    const r = await cluster(["ghcr.io/acme/web:1.2", "--poll-interval", "100ms"]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^pre-pull pp-\S+: ghcr\.io\/acme\/web:1\.2 on 2 node\(s\)$/m);
    assert.match(r.stdout, /^ {2}node-ok-1 {2}starts now$/m);
    assert.match(r.stdout, /^ {2}node-ok-2 {2}starts in 2s \(\d\d:\d\d:\d\d UTC\)$/m);
    assert.match(r.stdout, /^node-ok-1 {2}ghcr\.io\/acme\/web:1\.2: pulled in 1s$/m);
    assert.match(r.stdout, /^node-ok-2 {2}ghcr\.io\/acme\/web:1\.2: unchanged$/m);
    assert.match(r.stdout, /^done in \d+s: 1 pulled, 1 unchanged, 0 failed, 0 deferred$/m);

    const j = await cluster(["ghcr.io/acme/web:1.2", "--poll-interval", "100ms", "--json"]);
    assert.equal(j.code, 0, j.stderr);
    const out = JSON.parse(j.stdout) as { done: boolean; counts: Record<string, number>; plan: { node: string }[] };
    assert.equal(out.done, true);
    assert.deepEqual(
      out.plan.map((p) => p.node),
      ["node-ok-1", "node-ok-2"],
    );
    assert.equal(out.counts["pulled"], 1);

    const noWait = await cluster(["ghcr.io/acme/web:1.2", "--no-wait"]);
    assert.equal(noWait.code, 0);
    assert.match(noWait.stdout, /node-ok-2 {2}starts in 2s/);
    assert.match(noWait.stdout, /follow it with: curl http:\/\/127\.0\.0\.1:\d+\/api\/v1\/commands\/pp-/);
    assert.doesNotMatch(noWait.stdout, /done in/);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test("cluster prepull: a failed or deferred image exits 1 with its cause; a silent agent times out with exit 1", async () => {
  const a = new FakeAgent("node-bad-1", () => [{ state: "failed", cause: "auth-denied", summary: "ghcr.io refused the node's credentials" }]);
  const b = new FakeAgent("node-bad-2", () => [{ state: "deferred", cause: "rate-limited", summary: "7 pulls left" }]);
  await Promise.all([a.start(), b.start()]);
  try {
    const r = await cluster(["ghcr.io/acme/web:1.2", "--poll-interval", "100ms"]);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^node-bad-1 {2}ghcr\.io\/acme\/web:1\.2: failed — auth-denied: ghcr\.io refused the node's credentials$/m);
    assert.match(r.stdout, /^node-bad-2 {2}ghcr\.io\/acme\/web:1\.2: deferred — rate-limited: 7 pulls left$/m);
    assert.match(r.stdout, /^finished with problems in \d+s: 0 pulled, 0 unchanged, 1 failed, 1 deferred$/m);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  const silent = new FakeAgent("node-silent", undefined);
  await silent.start();
  try {
    const r = await cluster(["ghcr.io/acme/web:1.2", "--poll-interval", "100ms", "--timeout", "1s"]);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stdout,
      /^timed out after \d+s: 0 pulled, 0 unchanged, 0 failed, 0 deferred; still waiting on node-silent ghcr\.io\/acme\/web:1\.2 \(pending\)$/m,
    );
  } finally {
    await silent.stop();
  }
});

test("aggregator: SIGTERM stops it cleanly with exit 0", async () => {
  const res = await fetch(`${agg.httpUrl}/healthz`);
  assert.equal(res.status, 200);
  agg.child.kill("SIGTERM");
  assert.equal(await agg.exited, 0, agg.output());
  assert.match(agg.output(), /"message":"stopped"/);
});

test("the aggregator refuses to start with the placeholder token older manifests shipped with", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pm-agg-placeholder-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, "REPLACE-WITH-A-RANDOM-TOKEN\n");
  const r = await runPullmedic([
    "aggregator",
    "--grpc-listen",
    "127.0.0.1:0",
    "--http-listen",
    "127.0.0.1:0",
    "--database",
    join(dir, "agg.db"),
    "--token-file",
    tokenFile,
  ]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /holds the placeholder token of an older pullmedic manifest.*openssl rand -hex 32/);
});
