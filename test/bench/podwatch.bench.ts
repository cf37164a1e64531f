// npm run bench podwatch: detection latency of the pod watch. 200 pods on the node (20 images, 10
// replicas each) turn ErrImagePull in the Kubernetes API stand-in; the real agent process (built,
// run as on a node) sees the change through its watch, diagnoses against the real lab registry and
// posts a PullDiagnosis Event. Timed from the stand-in's status change to the Event's arrival, both
// in this process. Prints figures only.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startLab } from "../lab/index.js";
import { podFixture, startKubeStandIn } from "../support/kube-apiserver.js";
import { waitFor } from "../support/wait.js";
import { AGENT_NODE_FLAGS } from "./agent.bench.js";

const PODS = Number(process.env["BENCH_PODS"] ?? 200);
const IMAGES = 20;
const NODE = "bench-node";
/** What the product people use today promises ("detects ImagePullBackOff within 30 seconds"). */
const ANCHOR_CLAIM_MS = 30_000;
const root = new URL("../..", import.meta.url).pathname;

function quantile(samples: number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
}

export async function benchPodWatch(): Promise<void> {
  const lab = await startLab();
  const api = await startKubeStandIn();
  const dir = mkdtempSync(join(tmpdir(), "pm-bench-podwatch-"));
  const changedAt = new Map<string, number>();
  const latencies = new Map<string, number>();
  let done: (() => void) | undefined;
  api.onEventWritten((e, kind) => {
    const name = e.involvedObject.name ?? "";
    const started = changedAt.get(name);
    if (kind !== "created" || e.reason !== "PullDiagnosis" || started === undefined || latencies.has(name)) return;
    latencies.set(name, performance.now() - started);
    if (latencies.size === changedAt.size) done?.();
  });
  api.putNode({ apiVersion: "v1", kind: "Node", metadata: { name: NODE }, status: { conditions: [] } });
  const kubeconfig = await api.writeKubeconfig(dir);
  const config = join(dir, "agent.yaml");
  writeFileSync(
    config,
    [
      "listen: 127.0.0.1:0",
      `criEndpoint: ${lab.criEndpoint}`,
      `hostsDir: ${lab.hostsDir}`,
      `stateFile: ${join(dir, "state.json")}`,
      "probes:\n  enabled: false",
      "quota:\n  enabled: false",
      "prune:\n  enabled: false",
      `kube:\n  enabled: true\n  kubeconfig: ${kubeconfig}`,
    ].join("\n"),
  );
  const pods = Array.from({ length: PODS }, (_, i) => ({ metadata: { name: `app-${i}` } }));
  const agent = spawn(
    process.execPath,
    [
      ...AGENT_NODE_FLAGS,
      ...(process.env["BENCH_AGENT_FLAGS"]?.split(" ").filter(Boolean) ?? []),
      join(root, "dist/cli/main.js"),
      "agent",
      "--config",
      config,
      "--log-format",
      "json",
      "--log-level",
      process.env["BENCH_AGENT_LOG"] ?? "warn",
    ],
    {
      cwd: root,
      env: { ...process.env, NODE_NAME: NODE, KUBECONFIG: "", KUBERNETES_SERVICE_HOST: "" },
      stdio: ["ignore", process.env["BENCH_AGENT_LOG"] ? "inherit" : "ignore", "inherit"],
    },
  );
  try {
    // The agent is watching once its list request has been answered and a watch is open.
    await waitFor("the agent's pod watch", () => api.openWatches() > 0, { timeoutMs: 30_000 });
    const phases: [string, number][] = [
      ["steady (one pod every 20 ms)", 20],
      ["burst (all at once)", 0],
    ];
    for (const [label, gapMs] of phases) {
      changedAt.clear();
      latencies.clear();
      const finished = new Promise<void>((resolve) => (done = resolve));
      const wave = label.startsWith("burst") ? "b" : "s";
      for (const [i, pod] of pods.entries()) {
        // A fresh pod per phase: new failures, not repeats of the last phase's.
        const name = `${wave}-${pod.metadata.name}`;
        const image = `${lab.registry.host}/bench/${wave}-app-${i % IMAGES}:missing`;
        api.putPod(podFixture({ name, namespace: "bench", nodeName: NODE, image, state: "running", containerName: "app", imagePullSecrets: [] }));
      }
      await new Promise((r) => setTimeout(r, 500));
      const started = performance.now();
      for (const [i, pod] of pods.entries()) {
        const name = `${wave}-${pod.metadata.name}`;
        const image = `${lab.registry.host}/bench/${wave}-app-${i % IMAGES}:missing`;
        changedAt.set(name, performance.now());
        api.updatePod("bench", name, (p) => {
          const s = p.status?.containerStatuses?.[0];
          if (s) {
            s.state = {
              waiting: {
                reason: "ErrImagePull",
                message: `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`,
              },
            };
            s.ready = false;
            delete s.imageID;
          }
        });
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      const timeout = new Promise<void>((_, reject) =>
        setTimeout(() => reject(new Error(`only ${latencies.size} of ${PODS} Events within 120 s`)), 120_000).unref(),
      );
      await Promise.race([finished, timeout]);
      const total = performance.now() - started;
      const ms = [...latencies.values()];
      const p50 = quantile(ms, 0.5);
      const p99 = quantile(ms, 0.99);
      console.log(`pod watch, ${label}: ${PODS} pods, ${IMAGES} images, status change → PullDiagnosis Event`);
      console.log(
        `  median ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms (goal p99 <= 1000 ms: ${p99 <= 1000 ? "met" : "NOT met"}); all ${PODS} in ${(total / 1000).toFixed(1)} s`,
      );
      console.log(`  p99 / the anchor product's 30 s claim = ${(p99 / ANCHOR_CLAIM_MS).toFixed(3)}`);
    }
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${agent.pid}/status`, "utf8"))?.[1];
    console.log(`  agent resident memory after both phases (${PODS * 2} pods watched, ${PODS * 2} failing): ${(Number(rss) / 1024).toFixed(1)} MiB`);
  } finally {
    agent.kill("SIGTERM");
    await new Promise((r) => agent.once("exit", r));
    await api.close();
    await lab.stop();
  }
}
