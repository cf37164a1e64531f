// npm run bench: how fast `pullmedic diagnose` answers for a healthy image on the lab registry,
// against skopeo (a Go registry client, one process per inspect) and a bare Node start, all run
// here in one go. Prints figures and ratios; asserts nothing.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { diagnoseImage } from "../../agent/diagnose/index.js";
import { nodePlatform } from "../../core/image/index.js";
import { buildImage, startLab } from "../lab/index.js";

const RUNS = Number(process.env["BENCH_RUNS"] ?? 15);
const root = new URL("../..", import.meta.url).pathname;
const bin = join(root, "dist/cli/main.js");

interface Stats {
  median: number;
  p90: number;
  min: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { median: at(0.5), p90: at(0.9), min: s[0] ?? Number.NaN };
}

function timeProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number[] {
  const samples: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const started = performance.now();
    const r = spawnSync(cmd, args, { env, encoding: "utf8" });
    const ms = performance.now() - started;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}${r.stdout}`);
    if (i > 0) samples.push(ms); // the first run warms the page cache
  }
  return samples;
}

function row(name: string, s: Stats): string {
  return `${name.padEnd(44)} ${s.median.toFixed(1).padStart(8)} ${s.p90.toFixed(1).padStart(8)} ${s.min.toFixed(1).padStart(8)}`;
}

export async function benchDiagnose(): Promise<void> {
  if (!existsSync(bin)) throw new Error("dist/ is missing: run npm run build first (npm run bench does)");
  const skopeo = spawnSync("skopeo", ["--version"], { encoding: "utf8" });
  if (skopeo.status !== 0) throw new Error("skopeo is the peer tool of this benchmark: apt-get install -y skopeo");

  const lab = await startLab();
  try {
    const { ref } = await lab.push(buildImage({ files: { "app/run": "run" }, padBytes: 2 * 1024 * 1024, label: "bench" }), "bench/app:1.0");
    const env = { ...process.env, CRI_ENDPOINT: "" };
    const diagnoseArgs = [bin, "diagnose", ref, "--hosts-dir", lab.hostsDir, "--json"];

    const bare = stats(timeProcess(process.execPath, ["-e", "0"]));
    const skopeoInspect = stats(timeProcess("skopeo", ["inspect", "--tls-verify=false", `docker://${ref}`]));
    const diagnoseNoRuntime = stats(timeProcess(process.execPath, diagnoseArgs, env));
    const diagnoseWithRuntime = stats(timeProcess(process.execPath, [...diagnoseArgs, "--cri-endpoint", lab.criEndpoint], env));
    const helpOnly = stats(timeProcess(process.execPath, [bin, "--help"], env));

    const inProcess: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const started = performance.now();
      const d = await diagnoseImage({ image: ref, platform: nodePlatform(), hostsDir: lab.hostsDir, timeoutMs: 10_000, pullDeadlineMs: 300_000, pull: false });
      if (d.cause !== "ok") throw new Error(`the bench image should be healthy: ${d.summary}`);
      if (i > 0) inProcess.push(performance.now() - started);
    }
    const pipeline = stats(inProcess);

    console.log(`pullmedic diagnose benchmark: ${RUNS} runs each after one warm-up, times in ms, Node ${process.version}, ${skopeo.stdout.trim()}`);
    console.log(`image ${ref} (2 MiB layer) on the lab's CNCF registry, loopback\n`);
    console.log(`${"".padEnd(44)} ${"median".padStart(8)} ${"p90".padStart(8)} ${"min".padStart(8)}`);
    console.log(row("node -e 0 (bare Node start)", bare));
    console.log(row("pullmedic --help (CLI load)", helpOnly));
    console.log(row("skopeo inspect (whole process)", skopeoInspect));
    console.log(row("pullmedic diagnose --json (whole process)", diagnoseNoRuntime));
    console.log(row("  … with --cri-endpoint (loads grpc, disk)", diagnoseWithRuntime));
    console.log(row("diagnose pipeline in-process", pipeline));
    console.log("");
    console.log(`in-process pipeline / skopeo inspect:   ${(pipeline.median / skopeoInspect.median).toFixed(2)}  (goal <= 1.0)`);
    console.log(`diagnose process / bare Node start:     ${(diagnoseNoRuntime.median / bare.median).toFixed(2)}  (goal <= 2.5)`);
    console.log(`  … with the runtime / bare Node start: ${(diagnoseWithRuntime.median / bare.median).toFixed(2)}`);
  } finally {
    await lab.stop();
  }
}
