import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { loadAggregatorConfig, type RunningAggregator, startAggregator } from "../../aggregator/index.js";
import { createLogger } from "../../core/log/log.js";
import {
  type AgentMessage,
  type AggregatorMessage,
  type Command,
  emptyNodeReport,
  loadAggregatorProtocol,
  type NodeReport,
  PROTOCOL,
} from "../../core/protocol/protocol.js";
import { waitFor } from "../support/wait.js";

// The HTTP face as the dashboard, Prometheus and `pullmedic cluster` use it, over a cluster of two
// agents seeded through the real gRPC ingest.

const dir = mkdtempSync(join(tmpdir(), "pm-http-"));
const TOKEN = "http-token-51c2-9d8e";
const tokenFile = join(dir, "tokens");
writeFileSync(tokenFile, `${TOKEN}\n`);
// The dashboard folder, with a file beside it that must never be served.
const web = join(dir, "web");
mkdirSync(web);
writeFileSync(join(web, "index.html"), "<!doctype html><title>pullmedic</title>");
writeFileSync(join(web, "app.js"), "console.log('dashboard');");
writeFileSync(join(web, "style.css"), "body { color: black }");
writeFileSync(join(web, ".hidden"), "dotfile");
writeFileSync(join(dir, "secret.txt"), "outside the web folder");
symlinkSync(join(dir, "secret.txt"), join(web, "escape.txt"));

const log = createLogger("cli", "error");
let agg: RunningAggregator;
let client: grpc.Client;
const agents: Agent[] = [];
const NOW = Date.now();

class Agent {
  readonly acks = new Set<number>();
  readonly commands: Command[] = [];
  readonly call: grpc.ClientDuplexStream<AgentMessage, AggregatorMessage>;
  private seq = 0;

  constructor(readonly node: string) {
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${TOKEN}`);
    this.call = (client as unknown as { Connect(md: grpc.Metadata): grpc.ClientDuplexStream<AgentMessage, AggregatorMessage> }).Connect(md);
    this.call.on("error", () => undefined);
    this.call.on("data", (m: AggregatorMessage) => {
      if (m.ack) this.acks.add(m.ack.seq);
      if (m.command) this.commands.push(m.command);
    });
  }

  async send(body: Omit<AgentMessage, "seq">): Promise<void> {
    const seq = ++this.seq;
    this.call.write({ seq, ...body });
    await waitFor(`ack ${seq} of ${this.node}`, () => this.acks.has(seq));
  }
}

function report(partial: Partial<NodeReport>): NodeReport {
  return { ...emptyNodeReport(NOW), runtime: "containerd 1.7.2", ...partial };
}

const failure = (pod: string) => ({
  pod,
  container: "web",
  image: "ghcr.io/acme/web:9.9",
  registry: "ghcr.io",
  reason: "ImagePullBackOff",
  cause: "not-found",
  summary: "ghcr.io/acme/web has no tag 9.9",
  fix: ["kubectl -n shop set image deploy/web web=ghcr.io/acme/web:1.2"],
  sinceMs: NOW - 60_000,
  impact: 1,
  note: "",
});

before(async () => {
  const config = await loadAggregatorConfig({
    env: {},
    flags: { grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", database: join(dir, "agg.db"), tokenFile },
  });
  agg = await startAggregator(config, log, { webDir: web });
  const { Client } = await loadAggregatorProtocol();
  client = new Client(agg.grpcAddress, grpc.credentials.createInsecure(), { "grpc.enable_retries": 0 });
  const quota = { source: "198.51.100.9", limit: 100, remaining: 42, windowSeconds: 21600, observedAtMs: NOW };
  const seeds: [string, NodeReport][] = [
    [
      "node-a",
      report({
        failures: [failure("shop/web-1"), failure("shop/web-2")],
        registries: [
          { registry: "ghcr.io", ok: true, failingStep: "", error: "", certificateExpiresMs: NOW + 90 * 86_400_000, latencyMs: 20 },
          {
            registry: "registry.internal:5000",
            ok: false,
            failingStep: "tcp",
            error: "tcp 10.0.0.5:5000: connection refused",
            certificateExpiresMs: 0,
            latencyMs: 0,
          },
        ],
        quota: [quota],
        disks: [{ mountpoint: "/var/lib/containerd", capacityBytes: 100e9, availableBytes: 8e9, usedPercent: 92, inodesFree: 1e6 }],
        prepull: [{ image: "nginx:1.27", state: "present", cause: "", summary: "", lastPullMs: NOW, bytes: 7e7 }],
      }),
    ],
    [
      "node-b",
      report({
        failures: [failure("shop/web-3")],
        registries: [{ registry: "ghcr.io", ok: true, failingStep: "", error: "", certificateExpiresMs: NOW + 90 * 86_400_000, latencyMs: 25 }],
        quota: [{ ...quota, remaining: 40, observedAtMs: NOW + 1000 }],
        disks: [{ mountpoint: "/var/lib/containerd", capacityBytes: 100e9, availableBytes: 60e9, usedPercent: 40, inodesFree: 1e6 }],
      }),
    ],
  ];
  for (const [node, r] of seeds) {
    const a = new Agent(node);
    agents.push(a);
    await a.send({ hello: { node, agentVersion: "0.1.0", bootId: `boot-${node}`, reportIntervalSeconds: 10, protocol: PROTOCOL } });
    await a.send({ report: r });
  }
  await agents[0]!.send({ finding: { id: "boot-node-a:9", atMs: NOW - 5000, diagnosis: failure("shop/web-1") } });
  await agents[0]!.send({
    finding: {
      id: "boot-node-a:10",
      atMs: NOW - 4000,
      prune: { trigger: "high-watermark", removed: 3, freedBytes: 3e9, failed: 0, dryRun: false, images: ["old:1"] },
    },
  });
  await agents[1]!.send({
    finding: {
      id: "boot-node-b:4",
      atMs: NOW - 3000,
      recovery: { pod: "shop/web-0", container: "web", image: "ghcr.io/acme/web:1.2", cause: "not-found", durationMs: 60_000, outcome: "recovered" },
    },
  });
});

after(async () => {
  for (const a of agents) a.call.end();
  client?.close();
  await agg?.stop();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

/** A request with the path sent exactly as written (no URL normalization). */
function raw(method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const url = new URL(agg.httpUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: opts.headers ?? {} }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> }));
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

const get = (path: string) => raw("GET", path);
const post = (body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }) =>
  raw("POST", "/api/v1/prepull", { headers, body });

test("health, readiness and Prometheus metrics", async () => {
  assert.equal((await get("/healthz")).status, 200);
  const ready = await get("/readyz");
  assert.equal(ready.status, 200);
  assert.equal(ready.text, "ready\n");
  const m = await get("/metrics");
  assert.equal(m.status, 200);
  assert.match(String(m.headers["content-type"]), /text\/plain/);
  m.text = m.text
    .split("\n")
    .filter((l) => l.includes("pullmedic_aggregator_") && !/_(process|nodejs)_/.test(l))
    .join("\n");
  assert.match(m.text, /^pullmedic_aggregator_nodes_connected 2$/m);
  assert.match(m.text, /^pullmedic_aggregator_nodes_stale 0$/m);
  assert.match(m.text, /^pullmedic_aggregator_reports_received_total 2$/m);
  assert.match(m.text, /^pullmedic_aggregator_findings_stored_total 3$/m);
  assert.match(m.text, /^pullmedic_aggregator_open_failures\{cause="not-found"\} 3$/m);
  assert.match(m.text, /^pullmedic_aggregator_messages_rejected_total\{reason="oversized"\} 0$/m);
  // One aggregator (SQLite, no replicas): the start's pass ran here.
  assert.match(m.text, /^pullmedic_aggregator_housekeeping_passes_total\{result="ran"\} 1$/m);
  assert.match(m.text, /^pullmedic_aggregator_housekeeping_passes_total\{result="skipped"\} 0$/m);
  assert.match(m.text, /^# TYPE pullmedic_aggregator_ack_latency_seconds histogram$/m);
  assert.match(m.text, /^pullmedic_aggregator_ack_latency_seconds_count 7$/m);
});

test("the views: nodes, failures grouped, registries matrix, quota per egress source, disks, coverage", async () => {
  const nodes = (await get("/api/v1/nodes")).json();
  assert.equal(typeof nodes["generatedAt"], "number");
  const list = nodes["nodes"] as { node: string; connected: boolean; stale: boolean; failures: number }[];
  assert.deepEqual(
    list.map((n) => [n.node, n.connected, n.stale, n.failures]),
    [
      ["node-a", true, false, 2],
      ["node-b", true, false, 1],
    ],
  );

  const failures = (await get("/api/v1/failures")).json()["failures"] as { cause: string; image: string; podCount: number; nodes: string[]; fix: string[] }[];
  assert.equal(failures.length, 1, "one problem, whatever the number of pods");
  assert.equal(failures[0]?.cause, "not-found");
  assert.equal(failures[0]?.podCount, 3);
  assert.deepEqual(failures[0]?.nodes, ["node-a", "node-b"]);
  assert.match(failures[0]?.fix[0] ?? "", /kubectl -n shop set image/);

  const registries = (await get("/api/v1/registries")).json();
  const cells = registries["cells"] as { registry: string; node: string; ok: boolean; failingStep: string }[];
  const broken = cells.find((c) => c.registry === "registry.internal:5000" && c.node === "node-a");
  assert.equal(broken?.ok, false);
  assert.equal(broken?.failingStep, "tcp");

  const quota = (await get("/api/v1/quota")).json();
  const sources = quota["sources"] as { source: string; remaining: number; nodes: string[] }[];
  assert.equal(sources.length, 1, "nodes behind one NAT share one quota");
  assert.deepEqual(sources[0]?.nodes, ["node-a", "node-b"]);
  assert.equal(sources[0]?.remaining, 40, "the freshest reading");

  const disks = (await get("/api/v1/disks")).json()["disks"] as { node: string; highestUsedPercent: number }[];
  assert.deepEqual(
    disks.map((d) => d.node),
    ["node-a", "node-b"],
    "the fullest first",
  );
  assert.equal(disks[0]?.highestUsedPercent, 92);

  const coverage = (await get("/api/v1/coverage")).json();
  assert.ok((coverage["images"] as string[]).includes("nginx:1.27"));
  const cell = (coverage["cells"] as { image: string; node: string; state: string }[]).find((c) => c.node === "node-b" && c.image === "nginx:1.27");
  assert.equal(cell?.state, "missing");
});

test("findings history from the database, filtered by kind and node; bad parameters are 400 naming them", async () => {
  const all = (await get("/api/v1/findings")).json()["findings"] as { id: string; kind: string; node: string }[];
  assert.deepEqual(
    all.map((f) => f.id),
    ["boot-node-b:4", "boot-node-a:10", "boot-node-a:9"],
    "newest first",
  );
  const prunes = (await get("/api/v1/findings?kind=prune")).json()["findings"] as { id: string }[];
  assert.deepEqual(
    prunes.map((f) => f.id),
    ["boot-node-a:10"],
  );
  const ofB = (await get("/api/v1/findings?node=node-b&limit=5")).json()["findings"] as { id: string }[];
  assert.deepEqual(
    ofB.map((f) => f.id),
    ["boot-node-b:4"],
  );
  const one = (await get("/api/v1/findings?limit=1")).json()["findings"] as unknown[];
  assert.equal(one.length, 1);
  const badKind = await get("/api/v1/findings?kind=explosion");
  assert.equal(badKind.status, 400);
  assert.match(String(badKind.json()["error"]), /^kind: expected one of diagnosis, recovery, prune, prepull, secretBroken/);
  const badLimit = await get("/api/v1/findings?limit=-3");
  assert.equal(badLimit.status, 400);
  assert.match(String(badLimit.json()["error"]), /^limit:/);
});

test("POST /api/v1/prepull needs a bearer token: 401 without or with a wrong one", async () => {
  const none = await post('{"images":["nginx:1.27"]}', { "content-type": "application/json" });
  assert.equal(none.status, 401);
  assert.equal(none.headers["www-authenticate"], 'Bearer realm="pullmedic"');
  assert.match(String(none.json()["error"]), /missing credentials/);
  const wrong = await post('{"images":["nginx:1.27"]}', { authorization: "Bearer nope-nope", "content-type": "application/json" });
  assert.equal(wrong.status, 401);
  assert.doesNotMatch(wrong.text, /nope-nope/);
});

test("POST /api/v1/prepull: a bad body is 400 naming the problem", async () => {
  const cases: [string, RegExp][] = [
    ["{not json", /^body: not JSON/],
    ['["nginx"]', /^body: expected an object/],
    ["{}", /^images: missing/],
    ['{"images":[]}', /^images: empty/],
    ['{"images":"nginx"}', /^images: expected a list/],
    ['{"images":["nginx:1.27","Bad/Upper:1",7]}', /^2 problems: images\[1\]: invalid image reference "Bad\/Upper:1".*; images\[2\]: expected a string/],
  ];
  for (const [body, expected] of cases) {
    const r = await post(body);
    assert.equal(r.status, 400, body);
    assert.match(String(r.json()["error"]), expected, body);
  }
  const type = await post('{"images":["nginx:1.27"]}', { authorization: `Bearer ${TOKEN}`, "content-type": "text/plain" });
  assert.equal(type.status, 415);
});

test("POST /api/v1/prepull: 202 with the plan; the command reaches the agents and its progress is served", async () => {
  const r = await post('{"images":["ghcr.io/acme/tools:2.1","ghcr.io/acme/tools:2.1"]}');
  assert.equal(r.status, 202, r.text);
  const body = r.json() as { id: string; images: string[]; plan: { node: string; notBeforeMs: number; notBefore: string }[]; status: string };
  assert.deepEqual(body.images, ["ghcr.io/acme/tools:2.1"], "duplicates dropped");
  assert.deepEqual(
    body.plan.map((p) => p.node),
    ["node-a", "node-b"],
  );
  assert.equal(body.status, `/api/v1/commands/${body.id}`);
  for (const a of agents) await waitFor(`the command on ${a.node}`, () => a.commands.some((c) => c.id === body.id));
  assert.deepEqual(agents[0]?.commands.at(-1)?.prepull?.images, ["ghcr.io/acme/tools:2.1"]);

  let status = (await get(body.status)).json() as { done: boolean; nodes: { node: string; images: { state: string }[] }[]; counts: Record<string, number> };
  assert.equal(status.done, false);
  assert.deepEqual(
    status.nodes.map((n) => n.images[0]?.state),
    ["pending", "pending"],
  );

  const update = (state: string, extra: Record<string, unknown> = {}) => ({
    commandUpdate: { commandId: body.id, image: "ghcr.io/acme/tools:2.1", state, cause: "", summary: "", durationMs: 0, atMs: Date.now(), ...extra },
  });
  await agents[0]!.send(update("pulled", { durationMs: 2100 }));
  await agents[1]!.send(update("failed", { cause: "auth-denied", summary: "ghcr.io refused the node's credentials" }));
  status = (await get(body.status)).json() as typeof status;
  assert.equal(status.done, true);
  assert.deepEqual(status.counts["pulled"], 1);
  assert.deepEqual(status.counts["failed"], 1);
  assert.deepEqual(
    status.nodes.map((n) => n.images[0]?.state),
    ["pulled", "failed"],
  );

  const missing = await get("/api/v1/commands/pp-nope");
  assert.equal(missing.status, 404);
  assert.match(String(missing.json()["error"]), /no command "pp-nope"/);
});

test("the dashboard's files are served with their types; nothing outside the folder, ever", async () => {
  const index = await get("/");
  assert.equal(index.status, 200);
  assert.match(String(index.headers["content-type"]), /^text\/html/);
  assert.match(index.text, /<title>pullmedic<\/title>/);
  assert.match(String((await get("/app.js")).headers["content-type"]), /^text\/javascript/);
  assert.match(String((await get("/style.css")).headers["content-type"]), /^text\/css/);
  assert.equal((await raw("HEAD", "/app.js")).status, 200);
  for (const path of [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/escape.txt",
    "/.hidden",
    "/app.js%00.html",
    "//etc/passwd",
    "/nothing.js",
  ]) {
    const r = await get(path);
    assert.equal(r.status, 404, `${path}: ${r.status} ${r.text.slice(0, 80)}`);
    assert.doesNotMatch(r.text, /outside the web folder|dotfile|root:/, path);
    assert.match(String(r.headers["content-type"]), /application\/json/, path);
  }
  const unknown = await get("/api/v1/nope");
  assert.equal(unknown.status, 404);
  assert.match(String(unknown.json()["error"]), /no such path: \/api\/v1\/nope/);
  assert.equal((await raw("POST", "/api/v1/nodes")).status, 405);
  assert.equal((await raw("GET", "/api/v1/prepull")).status, 405);
});

test("a malformed percent escape in a command id is a 400 naming it, not an internal error", async () => {
  const r = await get("/api/v1/commands/pp-%E0%A4%A");
  assert.equal(r.status, 400, r.text);
  assert.match(String(r.json()["error"]), /command id/);
});

test("without a token check (the embedded mode), only requests addressed to loopback or an IP are answered: no DNS rebinding", async () => {
  const config = await loadAggregatorConfig({
    env: {},
    flags: { grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", database: join(dir, "open.db"), allowUnauthenticated: true },
  });
  const open = await startAggregator(config, log, { webDir: web });
  const url = new URL(open.httpUrl);
  const ask = (method: string, path: string, host: string, body?: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const headers: Record<string, string> = { host };
      if (body !== undefined) headers["content-type"] = "application/json";
      const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  try {
    // A page on attacker.example whose name now resolves to 127.0.0.1: same-origin to the browser.
    const rebound = await ask("POST", "/api/v1/prepull", "attacker.example:9478", '{"images":["nginx:1.27"]}');
    assert.equal(rebound.status, 403, rebound.text);
    assert.match(rebound.text, /attacker\.example/);
    assert.equal((await open.store.latestCommands(5)).length, 0, "no command was made");
    assert.equal((await ask("GET", "/api/v1/nodes", "attacker.example")).status, 403);
    for (const host of [`127.0.0.1:${url.port}`, `localhost:${url.port}`, "[::1]:9478", "192.168.1.20:9478"]) {
      const r = await ask("GET", "/api/v1/nodes", host);
      assert.equal(r.status, 200, `${host}: ${r.text}`);
    }
    const posted = await ask("POST", "/api/v1/prepull", `localhost:${url.port}`, '{"images":["nginx:1.27"]}');
    assert.equal(posted.status, 202, posted.text);
  } finally {
    await open.stop();
  }
});

test("POST /api/v1/prepull twice: the second plans around the Docker Hub pulls the first already took", async () => {
  // node-a and node-b share 198.51.100.9 (40 left, 10 kept for pods): 30 pulls, 15 images each.
  const images = Array.from({ length: 15 }, (_, i) => `acme/tool-${i}:1`);
  // node-b's seeded reading is dated NOW + 1 s: starts before it would count as already in it.
  await new Promise((r) => setTimeout(r, Math.max(0, NOW + 1500 - Date.now())));
  const first = await post(JSON.stringify({ images }));
  assert.equal(first.status, 202, first.text);
  const firstPlan = (first.json() as { plan: { notBeforeMs: number }[] }).plan;
  assert.ok(
    firstPlan.every((p) => p.notBeforeMs < NOW + 3_600_000),
    JSON.stringify(firstPlan),
  );
  const second = await post(JSON.stringify({ images: images.map((i) => i.replace(":1", ":2")) }));
  const secondPlan = (second.json() as { plan: { notBeforeMs: number }[] }).plan;
  assert.ok(
    secondPlan.every((p) => p.notBeforeMs >= NOW + 21600 * 1000),
    `the second waits for the window's end: ${JSON.stringify(secondPlan)}`,
  );
});

test("without a token check the aggregator listens on loopback only: anything else is a configuration error", async () => {
  const flags = (httpListen: string, grpcListen = "127.0.0.1:0") => ({ grpcListen, httpListen, database: join(dir, "never.db"), allowUnauthenticated: true });
  for (const [http, grpc] of [
    ["0.0.0.0:9478", "127.0.0.1:0"],
    ["localhost.example.com:9478", "127.0.0.1:0"],
    ["127.0.0.1:9478", "0.0.0.0:9477"],
    ["[::]:9478", "127.0.0.1:0"],
  ] as const) {
    await assert.rejects(loadAggregatorConfig({ env: {}, flags: flags(http, grpc) }), /allowUnauthenticated: .*loopback/, `${http} ${grpc}`);
  }
  for (const http of ["127.0.0.1:9478", "127.1.2.3:0", "localhost:9478", "[::1]:9478"]) await loadAggregatorConfig({ env: {}, flags: flags(http) });
});

test("replicaRefresh: 2 s by default, from the file or PULLMEDIC_AGGREGATOR_REPLICA_REFRESH, and a value under 100 ms refused by name", async () => {
  const flags = { grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", database: join(dir, "never.db"), allowUnauthenticated: true };
  assert.equal((await loadAggregatorConfig({ env: {}, flags })).replicaRefresh, 2000);
  assert.equal((await loadAggregatorConfig({ env: { PULLMEDIC_AGGREGATOR_REPLICA_REFRESH: "10s" }, flags })).replicaRefresh, 10_000);
  const file = join(dir, "refresh.yaml");
  writeFileSync(file, "replicaRefresh: 5s\n");
  assert.equal((await loadAggregatorConfig({ file, env: {}, flags })).replicaRefresh, 5000);
  await assert.rejects(
    loadAggregatorConfig({ env: { PULLMEDIC_AGGREGATOR_REPLICA_REFRESH: "50ms" }, flags }),
    /replicaRefresh.*PULLMEDIC_AGGREGATOR_REPLICA_REFRESH|PULLMEDIC_AGGREGATOR_REPLICA_REFRESH.*replicaRefresh/s,
  );
});

test("viewThread: on by default (the views from a thread of their own), off from the file or PULLMEDIC_AGGREGATOR_VIEW_THREAD, a non-boolean refused by name", async () => {
  const flags = { grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", database: join(dir, "never.db"), allowUnauthenticated: true };
  assert.equal((await loadAggregatorConfig({ env: {}, flags })).viewThread, true);
  assert.equal((await loadAggregatorConfig({ env: { PULLMEDIC_AGGREGATOR_VIEW_THREAD: "false" }, flags })).viewThread, false);
  const file = join(dir, "view-thread.yaml");
  writeFileSync(file, "viewThread: false\n");
  assert.equal((await loadAggregatorConfig({ file, env: {}, flags })).viewThread, false);
  await assert.rejects(loadAggregatorConfig({ env: { PULLMEDIC_AGGREGATOR_VIEW_THREAD: "maybe" }, flags }), /viewThread|PULLMEDIC_AGGREGATOR_VIEW_THREAD/);

  // Off, a view is computed where the request is: no view thread (SCHED_IDLE, policy 5) is started for it.
  const idleThreads = () =>
    readdirSync("/proc/self/task").filter((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[38] === "5";
    });
  const off = await startAggregator(await loadAggregatorConfig({ file, env: {}, flags: { ...flags, database: join(dir, "no-thread.db") } }), log, {
    webDir: web,
  });
  try {
    const before = idleThreads();
    const r = await fetch(`${off.httpUrl.replace(/\/$/, "")}/api/v1/nodes`);
    assert.equal(r.status, 200);
    assert.deepEqual(
      idleThreads().filter((tid) => !before.includes(tid)),
      [],
    );
  } finally {
    await off.stop();
  }
});
