// npm run bench aggregator: the aggregator's ingest under simulated agents (then what a hostile
// peer costs it, aggregator-bounds.bench.ts). The built aggregator
// runs as its own process pinned to one core (taskset); this process, pinned to the other, opens one
// gRPC stream per simulated node (as many agents would), sends a hello and then a realistic node
// report every interval at a random phase, and times each report until its ack. Prints sustained
// reports per second, ack latency percentiles, and the aggregator's memory per 1,000 nodes; the
// peer is the storage floor: the same reports upserted straight into SQLite in this process.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { ClientDuplexStream, Metadata } from "@grpc/grpc-js";
import { type AgentMessage, type AggregatorMessage, loadAggregatorProtocol, type NodeReport } from "../../core/protocol/protocol.js";
import { benchAggregatorFloods, benchAggregatorMemory } from "./aggregator-bounds.bench.js";
import { benchAggregatorFleet } from "./aggregator-fleet.bench.js";

const root = new URL("../..", import.meta.url).pathname;
const TOKEN = "bench-token-0123456789";
const STREAMS_PER_CHANNEL = 90;
const MEASURE_MS = Number(process.env["BENCH_AGG_MEASURE_MS"] ?? 30_000);

function report(i: number, now: number): NodeReport {
  return {
    observedAtMs: now,
    runtime: "containerd 1.7.24",
    runtimeProblem: "",
    disks: [{ mountpoint: "/var/lib/containerd", capacityBytes: 100e9, availableBytes: 40e9 + i, usedPercent: 60, inodesFree: 5e6 }],
    images: { count: 80, bytes: 12e9, inUse: 30, sandboxImage: "registry.k8s.io/pause:3.10" },
    registries: ["docker.io", "ghcr.io", "registry.k8s.io"].map((registry) => ({
      registry,
      ok: true,
      failingStep: "",
      error: "",
      certificateExpiresMs: now + 30 * 86_400_000,
      latencyMs: 12,
    })),
    quota: [{ source: `192.0.2.${i % 50}`, limit: 100, remaining: 60, windowSeconds: 21600, observedAtMs: now }],
    prepull: ["registry.k8s.io/pause:3.10", "ghcr.io/acme/api:2.4", "docker.io/library/nginx:1.27"].map((image) => ({
      image,
      state: "present",
      cause: "",
      summary: "",
      lastPullMs: now,
      bytes: 50e6,
    })),
    failures:
      i % 20 === 0
        ? [
            {
              pod: `shop/api-${i}`,
              container: "api",
              image: "ghcr.io/acme/api:9.9",
              registry: "ghcr.io",
              reason: "ImagePullBackOff",
              cause: "not-found",
              summary: "ghcr.io has no acme/api:9.9",
              fix: ["kubectl set image deployment/api api=ghcr.io/acme/api:2.4 -n shop"],
              sinceMs: now - 60_000,
              impact: 1,
              note: "",
            },
          ]
        : [],
    prune: { lastRunMs: now - 600_000, removedTotal: 3, freedBytesTotal: 1e9 },
    conditions: [
      { type: "ImageFsPressure", status: "False", reason: "ImageFsHasSpace", message: "60 % used" },
      { type: "RegistryUnreachable", status: "False", reason: "RegistriesReachable", message: "" },
    ],
    checkErrors: {},
    hygiene: [],
    secrets: [],
    pulls: [],
  };
}

function quantile(samples: number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

/** The built aggregator; `config` is its YAML file's text. */
async function startAggregator(dir: string, config = "{}\n"): Promise<{ child: ChildProcess; grpc: string; http: string }> {
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, `${TOKEN}\n`);
  writeFileSync(join(dir, "config.yaml"), config);
  const args = [
    join(root, "dist/cli/main.js"),
    "aggregator",
    "--config",
    join(dir, "config.yaml"),
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
  ];
  // BENCH_AGG_NODE_FLAGS: Node flags for the aggregator (the image's --max-semi-space-size=2, --cpu-prof).
  const flags = (process.env["BENCH_AGG_NODE_FLAGS"] ?? "").split(" ").filter(Boolean);
  const child = spawn("taskset", ["-c", "0", process.execPath, ...flags, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, PULLMEDIC_LOG_LEVEL: "info" },
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the aggregator did not start: ${out}`)), 30_000);
    child.stdout?.on("data", (d: Buffer) => {
      out += d;
      const m = /gRPC (\S+), dashboard (\S+?)\/?"/.exec(out);
      if (m?.[1] && m[2]) {
        clearTimeout(timer);
        resolve({ child, grpc: m[1], http: m[2] });
      }
    });
  });
}

interface Phase {
  nodes: number;
  intervalMs: number;
}

async function runPhase(
  grpcAddress: string,
  phase: Phase,
  aggregatorPid: number,
): Promise<{ perSecond: number; p50: number; p99: number; max: number; sent: number; acked: number; rss: number }> {
  const grpc = await import("@grpc/grpc-js");
  const { Client } = await loadAggregatorProtocol();
  const channels = Array.from(
    { length: Math.ceil(phase.nodes / STREAMS_PER_CHANNEL) },
    () => new Client(grpcAddress, grpc.credentials.createInsecure(), { "grpc.max_send_message_length": 4 * 1024 * 1024, "grpc.enable_retries": 0 }),
  );
  const pending = new Map<string, number>();
  const latencies: number[] = [];
  let measuring = false;
  let sent = 0;
  const streams: ClientDuplexStream<AgentMessage, AggregatorMessage>[] = [];
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < phase.nodes; i++) {
    const client = channels[Math.floor(i / STREAMS_PER_CHANNEL)] as unknown as { connect(m: Metadata): ClientDuplexStream<AgentMessage, AggregatorMessage> };
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${TOKEN}`);
    const call = client.connect(metadata);
    let seq = 0;
    call.on("data", (m: AggregatorMessage) => {
      if (!m.ack) return;
      const key = `${i}:${m.ack.seq}`;
      const started = pending.get(key);
      if (started === undefined) return;
      pending.delete(key);
      if (measuring) latencies.push(performance.now() - started);
    });
    call.on("error", () => undefined);
    streams.push(call);
    const node = `sim-${String(i).padStart(5, "0")}`;
    call.write({
      seq: ++seq,
      hello: { node, agentVersion: "bench", bootId: `boot-${i}`, reportIntervalSeconds: phase.intervalMs / 1000, protocol: "pullmedic.v1" },
    });
    const send = () => {
      const s = ++seq;
      pending.set(`${i}:${s}`, performance.now());
      if (measuring) sent++;
      call.write({ seq: s, report: report(i, Date.now()) });
    };
    // Agents start at random moments: each node's reports come at its own phase of the interval.
    timers.push(
      setTimeout(() => {
        send();
        timers.push(setInterval(send, phase.intervalMs));
      }, Math.random() * phase.intervalMs),
    );
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 50));
  }
  // One interval to settle (every node connected and reporting), then measure.
  await new Promise((r) => setTimeout(r, phase.intervalMs + 2000));
  measuring = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  measuring = false;
  const seconds = (performance.now() - started) / 1000;
  const rss = rssMiB(aggregatorPid);
  for (const t of timers) clearTimeout(t);
  for (const s of streams) s.end();
  await new Promise((r) => setTimeout(r, 1000));
  for (const c of channels) c.close();
  await new Promise((r) => setTimeout(r, 3000));
  return {
    perSecond: latencies.length / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: Math.max(...latencies),
    sent,
    acked: latencies.length,
    rss,
  };
}

/** The storage floor: the same reports upserted into SQLite directly, one transaction each. */
async function sqliteFloor(dir: string, count: number): Promise<number> {
  const Database = (await import("better-sqlite3")).default;
  const db = new Database(join(dir, "floor.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec("CREATE TABLE nodes (node TEXT PRIMARY KEY, seen INTEGER, report TEXT)");
  const upsert = db.prepare(
    "INSERT INTO nodes (node, seen, report) VALUES (?, ?, ?) ON CONFLICT(node) DO UPDATE SET seen = excluded.seen, report = excluded.report",
  );
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const now = Date.now();
    db.transaction(() => upsert.run(`sim-${i % 5000}`, now, JSON.stringify(report(i, now))))();
  }
  const ms = performance.now() - started;
  db.close();
  return count / (ms / 1000);
}

/** BENCH_AGG_PARTS: which of ingest, dashboards, floods, memory and fleet to run (all by default). */
export async function benchAggregator(): Promise<void> {
  const parts = (process.env["BENCH_AGG_PARTS"] ?? "ingest,dashboards,floods,memory,fleet").split(",");
  if (parts.includes("ingest")) await benchIngest();
  if (parts.includes("dashboards")) await benchDashboards();
  if (parts.includes("floods")) await benchAggregatorFloods();
  if (parts.includes("memory")) await benchAggregatorMemory();
  if (parts.includes("fleet")) await benchAggregatorFleet();
}

async function benchIngest(): Promise<void> {
  if (spawnSync("taskset", ["-cp", "1", String(process.pid)]).status !== 0) console.log("(taskset failed: the simulator shares cores with the aggregator)");
  const dir = mkdtempSync(join(tmpdir(), "pm-bench-agg-"));
  const { child, grpc } = await startAggregator(dir);
  try {
    const idle = rssMiB(child.pid ?? 0);
    console.log(`aggregator ingest (aggregator pinned to one core; ${Math.round(MEASURE_MS / 1000)} s measured after one interval of warm-up per phase)`);
    const phases: Phase[] = [
      { nodes: 5000, intervalMs: 10_000 },
      { nodes: 10_000, intervalMs: 30_000 },
      { nodes: 15_000, intervalMs: 30_000 },
    ];
    let largest30 = 0;
    let perThousand = Number.NaN;
    for (const phase of phases) {
      const r = await runPhase(grpc, phase, child.pid ?? 0);
      const holds = r.p99 <= 50 && r.perSecond >= 0.95 * (phase.nodes / (phase.intervalMs / 1000));
      console.log(
        `  ${phase.nodes} nodes every ${phase.intervalMs / 1000} s (offered ${(phase.nodes / (phase.intervalMs / 1000)).toFixed(0)}/s): ${r.perSecond.toFixed(0)} reports/s acked, ack p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(0)} ms — ${holds ? "holds" : "does NOT hold"} (goal p99 <= 50 ms); aggregator ${r.rss.toFixed(0)} MiB`,
      );
      if (phase.nodes === 5000) perThousand = (r.rss - idle) / 5;
      if (phase.intervalMs === 30_000 && holds) largest30 = phase.nodes;
    }
    console.log(`  largest node count measured to hold at 30 s intervals: ${largest30 || "none of those tried"} (the cluster state is capped at 20,000 nodes)`);
    console.log(`  memory: ${idle.toFixed(1)} MiB idle, ${perThousand.toFixed(1)} MiB per 1,000 reporting nodes`);
    const floor = await sqliteFloor(dir, 20_000);
    console.log(`  peer (storage floor): the same reports upserted into SQLite one transaction each, in-process: ${floor.toFixed(0)}/s`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

// The dashboards part: what open dashboards cost ingest. Each simulated dashboard does what
// aggregator/web/app.js does every REFRESH_MS: asks for every section's view at once, with the
// page's query.
// Measured 2026-12-06, 5,000 nodes every 10 s, ack p99 with ten dashboards / without, median of
// 5 rounds alternating without and with them on one aggregator. The dashboards run in a process
// of their own at SCHED_IDLE: in the simulator's process their fetches delayed the acks timed
// there, and at normal priority on its core they took it from the simulator (3.5-5.3 measured
// that way). Views on the main thread, taking turns with the event loop (aggregator/http/turns.ts;
// BENCH_AGG_DASH_CONFIG="viewThread: false"): 1.93 (0.98-3.81). On the view thread
// (aggregator/view-thread, the default): 1.06 (0.66-1.60), 0.83-0.92 with a 5 s cache,
// 0.70-0.86 with none: within the noise (the p99 without dashboards ranged 7.3-26.7 ms).
const DASHBOARDS = 10;
const REFRESH_MS = 5000;
const DASHBOARD_QUERIES: Record<string, string> = {
  nodes: "?limit=100&order=attention",
  failures: "?limit=100",
  pulls: "",
  registries: "?limit=100&order=attention",
  quota: "?limit=100",
  disks: "?limit=100",
  coverage: "?limit=100&order=attention",
};

/**
 * Ten dashboards at their own phases, in a process of their own (dashboards-load.mjs), until
 * stop(), which resolves with the refreshes answered and failed. On the simulator's core at
 * SCHED_IDLE, so the simulator, which times the acks, never waits for it.
 */
function dashboards(http: string): { stop(): Promise<{ refreshes: number; failed: number }> } {
  const script = join(root, "test/bench/dashboards-load.mjs");
  const args = [script, http, String(DASHBOARDS), String(REFRESH_MS), JSON.stringify(DASHBOARD_QUERIES)];
  const child = spawn("taskset", ["-c", "1", "chrt", "--idle", "0", process.execPath, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      const [refreshes, failed] = out.trim().split(" ").map(Number);
      return { refreshes: refreshes ?? Number.NaN, failed: failed ?? Number.NaN };
    },
  };
}

/** The aggregator process's CPU seconds so far (user + system). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The views' CPU per dashboard refresh, in this process (on the view thread by default, on the
 * event loop with viewThread: false): a cluster state of `nodes` nodes with the
 * bench's reports, ten dashboards refreshing every 5 s for a simulated minute (a clock of our own),
 * each view's answer computed through the HTTP side's viewAnswer with the cache's window as given.
 * The store is a stand-in (coverage's recent commands: none).
 */
async function refreshCost(nodes: number, windowMs: number): Promise<{ msPerRefresh: number; medianMs: number; computed: number; asked: number }> {
  const { ClusterState } = await import("../../aggregator/cluster-state.js");
  const { viewAnswer } = await import("../../aggregator/http/api.js");
  const { ViewCache } = await import("../../aggregator/http/view-cache.js");
  const { VIEWS } = await import("../../aggregator/views/index.js");
  const start = Date.now();
  const state = new ClusterState();
  for (let i = 0; i < nodes; i++) {
    const node = `sim-${String(i).padStart(5, "0")}`;
    state.hello({ node, agentVersion: "bench", bootId: `boot-${i}`, reportIntervalSeconds: 10, protocol: "pullmedic.v1" }, start);
    state.report(node, report(i, start), start);
  }
  const clock = { now: start };
  const views = new ViewCache<Promise<import("../../aggregator/http/answer.js").Answer>>({ windowMs });
  const store = { latestCommands: async () => [] } as unknown as import("../../aggregator/store/index.js").Store;
  const sources = { state, store, now: () => clock.now, views };
  const phases = Array.from({ length: DASHBOARDS }, () => Math.random() * REFRESH_MS);
  const asks = phases.flatMap((phase) => Array.from({ length: 60_000 / REFRESH_MS }, (_, k) => start + phase + k * REFRESH_MS)).sort((a, b) => a - b);
  const busy: number[] = [];
  for (const at of asks) {
    clock.now = Math.round(at);
    const t = performance.now();
    // Awaited, so a view's work after its store read is counted too.
    await Promise.all(
      VIEWS.flatMap((view) => {
        const query = DASHBOARD_QUERIES[view.name];
        return query === undefined ? [] : [viewAnswer(view, new URL(`http://bench${view.path}${query}`), sources)];
      }),
    );
    busy.push(performance.now() - t);
  }
  const msPerRefresh = busy.reduce((a, b) => a + b, 0) / busy.length;
  return { msPerRefresh, medianMs: quantile(busy, 0.5), computed: views.misses, asked: views.hits + views.misses };
}

/** BENCH_AGG_DASH_NODES: the node count, reporting every 10 s (default 5,000, what held on one core). */
async function benchDashboards(): Promise<void> {
  const nodes = Number(process.env["BENCH_AGG_DASH_NODES"] ?? 5000);
  const phase: Phase = { nodes, intervalMs: 10_000 };
  console.log(`aggregator with ${DASHBOARDS} dashboards refreshing every ${REFRESH_MS / 1000} s (${nodes} nodes every ${phase.intervalMs / 1000} s)`);
  for (const windowMs of [0, 1000, 5000]) {
    const r = await refreshCost(nodes, windowMs);
    console.log(
      `  in-process, view cache window ${windowMs} ms: views' CPU per dashboard refresh (all ${Object.keys(DASHBOARD_QUERIES).length} views) mean ${r.msPerRefresh.toFixed(1)} ms, median ${r.medianMs.toFixed(1)} ms, ${r.computed} of ${r.asked} answers computed; ${((r.msPerRefresh * DASHBOARDS * 1000) / REFRESH_MS).toFixed(0)} ms per second for ${DASHBOARDS} dashboards`,
    );
  }
  if (spawnSync("taskset", ["-cp", "1", String(process.pid)]).status !== 0) console.log("(taskset failed: the simulator shares cores with the aggregator)");
  // The default window is measured in rounds that alternate without and with dashboards on the
  // same aggregator, and compared round by round: the machine's load drifts between phases.
  const rounds = Number(process.env["BENCH_AGG_DASH_ROUNDS"] ?? 3);
  const runs: { label: string; config: string; withDashboards: boolean[] }[] = [
    // BENCH_AGG_DASH_CONFIG: the alternating rounds' aggregator.yaml instead of the defaults (e.g. "viewThread: false").
    {
      label: process.env["BENCH_AGG_DASH_CONFIG"] ? `with ${process.env["BENCH_AGG_DASH_CONFIG"]}` : "view cache 1 s (the default)",
      config: `${process.env["BENCH_AGG_DASH_CONFIG"] ?? "{}"}\n`,
      withDashboards: Array.from({ length: rounds }, () => [false, true]).flat(),
    },
    { label: "view cache 5 s (viewCacheWindow: 5s)", config: "viewCacheWindow: 5s\n", withDashboards: [true] },
    { label: "view cache off (viewCacheWindow: 0s)", config: "viewCacheWindow: 0s\n", withDashboards: [true] },
    { label: "views on the main thread (viewThread: false)", config: "viewThread: false\n", withDashboards: [true] },
  ];
  const p99 = new Map<string, number[]>();
  for (const run of runs) {
    const dir = mkdtempSync(join(tmpdir(), "pm-bench-agg-views-"));
    const { child, grpc, http } = await startAggregator(dir, run.config);
    try {
      for (const withDashboards of run.withDashboards) {
        const label = withDashboards ? `${run.label}, ${DASHBOARDS} dashboards` : "no dashboards";
        const r = await dashboardPhase(grpc, http, phase, child.pid ?? 0, withDashboards);
        p99.set(label, [...(p99.get(label) ?? []), r.p99]);
        console.log(`  ${label}: ${r.line}`);
      }
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  }
  const without = p99.get("no dashboards") ?? [];
  const withDefault = p99.get(`${runs[0]?.label}, ${DASHBOARDS} dashboards`) ?? [];
  const paired = without.map((w, i) => (withDefault[i] ?? Number.NaN) / w);
  console.log(
    `  ack p99 with ${DASHBOARDS} dashboards / without, the default window, ${paired.length} alternating rounds: median ${quantile(paired, 0.5).toFixed(2)} (${paired.map((x) => x.toFixed(2)).join(", ")})`,
  );
  const base = quantile(without, 0.5);
  for (const [label, values] of p99)
    if (label !== "no dashboards") console.log(`  ack p99 ${label} / no dashboards (medians): ${(quantile(values, 0.5) / base).toFixed(2)}`);
}

/** One measured phase of ingest, with or without the dashboards refreshing; its figures as a line. */
async function dashboardPhase(grpc: string, http: string, phase: Phase, pid: number, withDashboards: boolean): Promise<{ p99: number; line: string }> {
  const load = withDashboards ? dashboards(http) : undefined;
  const cpu = cpuSeconds(pid);
  const started = performance.now();
  const r = await runPhase(grpc, phase, pid);
  const cpuShare = (cpuSeconds(pid) - cpu) / ((performance.now() - started) / 1000);
  const done = await load?.stop();
  const answered = done ? `; ${done.refreshes} refreshes answered, ${done.failed} failed` : "";
  return {
    p99: r.p99,
    line: `${r.perSecond.toFixed(0)} reports/s acked, ack p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(0)} ms; aggregator CPU ${(cpuShare * 100).toFixed(0)} % of its core, RSS ${r.rss.toFixed(0)} MiB${answered}`,
  };
}
