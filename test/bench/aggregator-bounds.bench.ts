// npm run bench aggregator (BENCH_AGG_PARTS=floods,memory for these alone): what a hostile or broken
// peer costs the aggregator. Three figures, each from the built aggregator in its own process:
//   - log lines per second while one client opens streams with a wrong token as fast as it can;
//   - database growth while 40 nodes send findings as fast as flow control lets them for 20 s;
//   - resident memory with 20,000 nodes that each sent the largest report the aggregator takes.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { ClientDuplexStream } from "@grpc/grpc-js";
import { type AgentMessage, type AggregatorMessage, type Finding, loadAggregatorProtocol, PROTOCOL } from "../../core/protocol/protocol.js";

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

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

/** The built aggregator with a temp database and token file; `config` is its YAML file's text. */
export async function startBenchAggregator(config = "{}\n", nodeArgs: string[] = []): Promise<BenchAggregator> {
  const dir = mkdtempSync(join(tmpdir(), "pm-bench-bounds-"));
  writeFileSync(join(dir, "token"), `${TOKEN}\n`);
  writeFileSync(join(dir, "config.yaml"), config);
  const args = [
    ...nodeArgs,
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
    join(dir, "token"),
    "--log-format",
    "json",
  ];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, PULLMEDIC_LOG_LEVEL: "info" } });
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
export async function tokenFlood(agg: BenchAggregator, ms = 10_000, parallel = 64): Promise<{ linesPerSecond: number; refusedPerSecond: number }> {
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
export async function findingsFlood(
  agg: BenchAggregator,
  nodes = 40,
  ms = 20_000,
): Promise<{ grewMiB: number; mibPerSecond: number; acked: number; refusals: number; fileMiB: number }> {
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
  return { grewMiB: grew, mibPerSecond: grew / seconds, acked, refusals, fileMiB: dbBytes(agg.dir) / 1024 / 1024 };
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
      `  findings flood (40 nodes, 20 s, as fast as flow control allows): ${f.acked} acked, ${f.refusals} streams refused; database +${f.grewMiB.toFixed(1)} MiB (${f.mibPerSecond.toFixed(2)} MiB/s), ${f.fileMiB.toFixed(1)} MiB in all`,
    );
  } finally {
    await agg.stop();
  }
}
