// The agent's footprint on a busy node: resident memory after 2 minutes with 1,000 images in the
// lab's containerd, next to a bare Node process and one that only imports our dependencies; its
// idle CPU over the last minute; and the prune planner on 10,000 images. Prints figures only.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { buildImage, type Lab, startLab } from "../lab/index.js";
import { benchPlanner } from "./prune.bench.js";

const IMAGES = Number(process.env["BENCH_IMAGES"] ?? 1000);
const SETTLE_MS = Number(process.env["BENCH_SETTLE_MS"] ?? 120_000);
const root = new URL("../..", import.meta.url).pathname;
const TICKS = 100; // USER_HZ on Linux
/**
 * How the agent is run on a node (npm start, the DaemonSet): a small young generation. V8's
 * default lets it grow to 32 MiB between collections, which an agent polling 1,000 images
 * every 30 s fills with short-lived objects; 2 MiB semi-spaces keep ~25 MiB off every node.
 */
export const AGENT_NODE_FLAGS = ["--max-semi-space-size=2"];

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function keepAlive(args: string[]): ChildProcess {
  return spawn(process.execPath, args, { cwd: root, stdio: "ignore" });
}

async function fillLab(lab: Lab): Promise<void> {
  const client = await RuntimeClient.connect({ endpoint: lab.criEndpoint, timeoutMs: 60_000 });
  try {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < IMAGES; i = next++) {
        const { ref } = await lab.push(buildImage({ files: { "app/id": String(i) }, label: `bench-${i}` }), `bench/app${i % 50}:v${i}`);
        await client.pullImage(ref);
        if (i % 100 === 99) process.stderr.write(`  ${i + 1}/${IMAGES} images pulled\n`);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
  } finally {
    client.close();
  }
}

export async function benchAgent(): Promise<void> {
  const lab = await startLab();
  const dir = mkdtempSync(join(tmpdir(), "pm-bench-"));
  const children: ChildProcess[] = [];
  try {
    process.stderr.write(`filling the lab with ${IMAGES} images…\n`);
    await fillLab(lab);
    const config = join(dir, "agent.yaml");
    writeFileSync(
      config,
      [
        `listen: 127.0.0.1:0`,
        `criEndpoint: ${lab.criEndpoint}`,
        `hostsDir: ${lab.hostsDir}`,
        `stateFile: ${join(dir, "state.json")}`,
        "quota:\n  enabled: false",
        "logLevel: warn",
      ].join("\n"),
    );
    writeFileSync(join(dir, "agent-default.yaml"), readFileSync(config, "utf8").replace("state.json", "state-default.json"));
    const agent = keepAlive([...AGENT_NODE_FLAGS, join(root, "dist/cli/main.js"), "agent", "--config", config]);
    const agentDefault = keepAlive([join(root, "dist/cli/main.js"), "agent", "--config", config.replace("agent.yaml", "agent-default.yaml")]);
    const bare = keepAlive(["-e", "setInterval(() => {}, 1 << 30)"]);
    const deps = ["@grpc/grpc-js", "@grpc/proto-loader", "undici", "winston", "prom-client", "yaml", "zod"];
    const importer = keepAlive([
      "--input-type=module",
      "-e",
      `${deps.map((d) => `await import(${JSON.stringify(d)});`).join(" ")} setInterval(() => {}, 1 << 30);`,
    ]);
    children.push(agent, agentDefault, bare, importer);
    process.stderr.write(`agent running; measuring after ${SETTLE_MS / 1000} s…\n`);
    await new Promise((r) => setTimeout(r, SETTLE_MS - 60_000));
    const cpuBefore = cpuSeconds(agent.pid ?? 0);
    await new Promise((r) => setTimeout(r, 60_000));
    const idleCpu = ((cpuSeconds(agent.pid ?? 0) - cpuBefore) / 60) * 100;
    const [agentRss, defaultRss, bareRss, depsRss] = [agent, agentDefault, bare, importer].map((c) => rssMiB(c.pid ?? 0)) as [number, number, number, number];
    const planner = await benchPlanner();

    console.log(`pullmedic agent footprint: ${IMAGES} images in the lab containerd, after ${SETTLE_MS / 1000} s, Node ${process.version}\n`);
    console.log(
      `resident memory   bare node ${bareRss.toFixed(1)} MiB | our dependencies imported ${depsRss.toFixed(1)} MiB | agent ${agentRss.toFixed(1)} MiB (goal <= 80 MiB; ${AGENT_NODE_FLAGS.join(" ")}) | agent with V8 defaults ${defaultRss.toFixed(1)} MiB`,
    );
    console.log(`agent idle CPU    ${idleCpu.toFixed(2)} % of one core over the last 60 s (disk and images every 30 s, probes every 1 min)`);
    console.log(
      `prune planner     ${planner.images} images, ${planner.containers} containers: median ${planner.medianMs.toFixed(1)} ms, p90 ${planner.p90Ms.toFixed(1)} ms (goal <= 50 ms)`,
    );
  } finally {
    for (const c of children) c.kill("SIGTERM");
    await lab.stop();
  }
}
