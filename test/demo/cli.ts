// `npm run demo`: pullmedic with something true to show, on one Linux machine without a cluster.
// Starts the demo scene (the real lab, six real pull failures on a stand-in API server), then the
// agent with the embedded aggregator against it, waits until every failure is diagnosed, prints
// where to look and what to run, and on Ctrl-C removes everything it started.

import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { onJsonLines } from "../support/json-lines.js";
import { waitFor } from "../support/wait.js";
import { DEMO_NAMESPACE, DEMO_NODE, type DemoScene, startDemoScene } from "./scene.js";

const USAGE = `usage: sudo npm run demo -- [--listen HOST:PORT] [--dashboard-listen HOST:PORT]

  --listen            the agent's /metrics and /v1/state (default 127.0.0.1:9476)
  --dashboard-listen  the dashboard and the aggregator's API (default 127.0.0.1:9478)

Needs Linux, root and the lab's Debian packages (containerd runc docker-registry apache2-utils
openssl busybox-static); bash .ci/run installs them.`;

const root = new URL("../..", import.meta.url).pathname;

interface Agent {
  child: ChildProcess;
  agentUrl: string;
  dashboardUrl: string;
  logFile: string;
}

function startAgent(scene: DemoScene, listen: string, dashboardListen: string): Promise<Agent> {
  const logFile = join(scene.dir, "agent.log");
  const log = createWriteStream(logFile);
  const args = ["--import", "tsx", join(root, "cli/main.ts"), "agent", "--config", scene.agentConfig({ listen }), "--with-aggregator"];
  const child = spawn(process.execPath, [...args, "--dashboard-listen", dashboardListen, "--log-format", "json"], {
    cwd: root,
    env: { ...process.env, KUBECONFIG: "", KUBERNETES_SERVICE_HOST: "", CRI_ENDPOINT: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stderr?.pipe(log);
  let agentUrl = "";
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the agent exited with ${code} before it was up; its log: ${logFile}`)));
    onJsonLines(child.stdout, (record) => {
      log.write(`${JSON.stringify(record)}\n`);
      const message = String(record["message"] ?? "");
      agentUrl ||= /state (http:\/\/[^ ]+)\/v1\/state/.exec(message)?.[1] ?? "";
      const dashboard = /^dashboard: (http:\/\/\S+?)\/? /.exec(message)?.[1];
      if (dashboard && agentUrl) resolve({ child, agentUrl, dashboardUrl: dashboard, logFile });
    });
  });
}

/** The agent as the API sees it, so `kubectl pullmedic` reaches it and the aggregator through the proxy. */
function registerInApi(scene: DemoScene, agent: Agent): void {
  const { hostname, port } = new URL(agent.agentUrl);
  scene.api.putPod({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "pullmedic-agent-demo",
      namespace: "pullmedic",
      labels: { "app.kubernetes.io/name": "pullmedic", "app.kubernetes.io/component": "agent" },
    },
    spec: { nodeName: DEMO_NODE, containers: [{ name: "agent", image: "pullmedic:demo", ports: [{ name: "http", containerPort: Number(port) }] }] },
    status: { phase: "Running", podIP: hostname },
  } as never);
  scene.api.putService("pullmedic", "pullmedic-aggregator", { http: agent.dashboardUrl });
}

async function waitForDiagnoses(scene: DemoScene, agent: Agent): Promise<void> {
  await waitFor(
    "the agent's diagnosis of every seeded failure",
    async () => {
      const state = (await (await fetch(`${agent.agentUrl}/v1/state`)).json()) as { pods?: { failures?: { cause?: string }[] } };
      return (state.pods?.failures ?? []).filter((f) => f.cause).length;
    },
    (n) => n >= scene.failures.length,
    { timeoutMs: 90_000, intervalMs: 500 },
  );
}

function banner(scene: DemoScene, agent: Agent, seconds: number): string {
  const width = Math.max(...scene.failures.map((f) => f.pod.length)) + DEMO_NAMESPACE.length + 1;
  const failures = scene.failures.map((f) => `  ${`${DEMO_NAMESPACE}/${f.pod}`.padEnd(width)}  ${f.cause.padEnd(18)}  ${f.what}`).join("\n");
  const plugin = `KUBECONFIG=${scene.kubeconfig} npx kubectl-pullmedic`;
  return `pullmedic demo is up (${seconds} s): ${scene.failures.length} real pull failures on node ${DEMO_NODE}, each diagnosed by the agent from the node.

  dashboard   ${agent.dashboardUrl}/
  metrics     ${agent.agentUrl}/metrics (agent), ${agent.dashboardUrl}/metrics (aggregator)
  agent       ${agent.agentUrl}/v1/state, log ${agent.logFile}
  runtime     ${scene.lab.criEndpoint} (a real containerd), registries under ${scene.lab.hostsDir}
  kubeconfig  ${scene.kubeconfig} (a stand-in API server holding the failing pods)

Seeded failures (pods in namespace ${DEMO_NAMESPACE}):
${failures}

Try:
  ${plugin} why ${scene.failures[0]?.pod} -n ${DEMO_NAMESPACE}
  ${plugin} failures
  ${plugin} nodes -o wide
  npx pullmedic images --cri-endpoint ${scene.lab.criEndpoint}
  npx pullmedic probe --cri-endpoint ${scene.lab.criEndpoint} --hosts-dir ${scene.lab.hostsDir}
  npx pullmedic diagnose ${scene.failures[2]?.image} --hosts-dir ${scene.lab.hostsDir}
  curl -s ${agent.agentUrl}/metrics | grep pullmedic_pull_failing_containers

Ctrl-C stops everything and removes it.
`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { listen: { type: "string" }, "dashboard-listen": { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const started = Date.now();
  console.log("starting the demo: containerd, four registries, a stand-in API server and the agent…");
  const scene = await startDemoScene();
  let agent: Agent | undefined;
  const stop = async () => {
    if (agent && agent.child.exitCode === null) {
      agent.child.kill("SIGTERM");
      await new Promise((r) => agent?.child.once("exit", r));
    }
    await scene.stop();
  };
  try {
    agent = await startAgent(scene, values.listen ?? "127.0.0.1:9476", values["dashboard-listen"] ?? "127.0.0.1:9478");
    registerInApi(scene, agent);
    await waitForDiagnoses(scene, agent);
  } catch (err) {
    await stop();
    throw err;
  }
  console.log(banner(scene, agent, Math.round((Date.now() - started) / 1000)));
  // Signal listeners do not keep Node running: the timer does, until Ctrl-C.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => {
    let first = 0;
    // A Ctrl-C reaches this process twice (from the terminal, and relayed by tsx): the first stops
    // the demo; one more, a while later, gives up on stopping cleanly.
    const onSignal = () => {
      if (first === 0) {
        first = Date.now();
        resolve();
      } else if (Date.now() - first > 2000) process.exit(130);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  clearInterval(keepAlive);
  console.log("\nstopping the demo…");
  await stop();
  console.log("stopped; everything it started is gone");
}

main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
