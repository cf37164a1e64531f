// What watching pulls costs: the agent's CPU and resident memory with no pull in flight, then with
// 10 pulls in flight in the lab's containerd (four 8 MiB layers each, through a proxy that sends
// every blob at 64 KiB/s, so they stay in flight), its pulls check every 2 s. Prints figures only.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { writeRegistryHost } from "../lab/containerd.js";
import { startLab } from "../lab/index.js";
import { multiLayerImage } from "../pulls/image.js";
import { startTrickleRegistry } from "../support/trickle-registry.js";
import { AGENT_NODE_FLAGS } from "./agent.bench.js";

const PULLS = 10;
const MEASURE_MS = Number(process.env["BENCH_PULLS_MEASURE_MS"] ?? 60_000);
const root = new URL("../..", import.meta.url).pathname;
const MiB = 1024 * 1024;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function measure(agent: ChildProcess, url: () => string): Promise<{ cpu: number; rss: number; inFlight: number; roundMs: number }> {
  const pid = agent.pid ?? 0;
  const before = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const cpu = ((cpuSeconds(pid) - before) / (MEASURE_MS / 1000)) * 100;
  const state = (await (await fetch(`${url()}/v1/state`)).json()) as { checks: { pulls?: { durationMs: number; result?: { pulls: unknown[] } } } };
  return { cpu, rss: rssMiB(pid), inFlight: state.checks.pulls?.result?.pulls.length ?? 0, roundMs: state.checks.pulls?.durationMs ?? 0 };
}

export async function benchPulls(): Promise<void> {
  const lab = await startLab();
  const proxy = await startTrickleRegistry(lab.registry.url, { bytesPerSecond: 64 * 1024 });
  writeRegistryHost(lab.hostsDir, proxy.host);
  const dir = mkdtempSync(join(tmpdir(), "pm-bench-pulls-"));
  const config = join(dir, "agent.yaml");
  writeFileSync(
    config,
    [
      `listen: 127.0.0.1:0`,
      `criEndpoint: ${lab.criEndpoint}`,
      `hostsDir: ${lab.hostsDir}`,
      `stateFile: ${join(dir, "state.json")}`,
      "quota:\n  enabled: false",
      "probes:\n  enabled: false",
      "logLevel: info",
      "logFormat: json",
    ].join("\n"),
  );
  const agent = spawn(process.execPath, [...AGENT_NODE_FLAGS, join(root, "dist/cli/main.js"), "agent", "--config", config], {
    cwd: root,
    stdio: ["ignore", "pipe", "ignore"],
  });
  let url = "";
  agent.stdout?.on("data", (d: Buffer) => {
    const m = /state (http:\/\/[^ ]+)\/v1\/state/.exec(d.toString());
    if (m?.[1]) url = m[1];
  });
  const client = await RuntimeClient.connect({ endpoint: lab.criEndpoint, timeoutMs: 60_000 });
  try {
    const refs: string[] = [];
    for (let i = 0; i < PULLS; i++) {
      await lab.push(multiLayerImage([8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB], `bench/pull${i}`), `bench/pull${i}:1`);
      refs.push(`${proxy.host}/bench/pull${i}:1`);
    }
    process.stderr.write(`agent running; ${MEASURE_MS / 1000} s with no pull in flight…\n`);
    await new Promise((r) => setTimeout(r, 15_000));
    const idle = await measure(agent, () => url);
    for (const ref of refs) void client.pullImage(ref, { timeoutMs: 30 * 60_000 }).catch(() => undefined);
    process.stderr.write(`${PULLS} pulls started; ${MEASURE_MS / 1000} s with them in flight…\n`);
    await new Promise((r) => setTimeout(r, 15_000));
    const busy = await measure(agent, () => url);
    console.log(`pullmedic agent watching pulls: the lab containerd, pulls check every 2 s, Node ${process.version}\n`);
    console.log(
      `no pull in flight    CPU ${idle.cpu.toFixed(2)} % of one core, resident ${idle.rss.toFixed(1)} MiB, pulls round ${idle.roundMs.toFixed(1)} ms`,
    );
    console.log(
      `${busy.inFlight} pulls in flight    CPU ${busy.cpu.toFixed(2)} % of one core, resident ${busy.rss.toFixed(1)} MiB, pulls round ${busy.roundMs.toFixed(1)} ms (each 4 × 8 MiB layers at 64 KiB/s per blob)`,
    );
    console.log(`overhead             CPU +${(busy.cpu - idle.cpu).toFixed(2)} points, resident +${(busy.rss - idle.rss).toFixed(1)} MiB`);
  } finally {
    client.close();
    agent.kill("SIGTERM");
    await proxy.stop();
    await lab.stop();
  }
}
