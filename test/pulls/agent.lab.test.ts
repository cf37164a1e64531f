import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Pod } from "../../agent/kube/index.js";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { writeRegistryHost } from "../lab/containerd.js";
import { type Lab, startLab } from "../lab/index.js";
import { type AgentProcess, startAgentProcess } from "../support/agent-process.js";
import { type KubeStandIn, podFixture, startKubeStandIn } from "../support/kube-apiserver.js";
import { startTrickleRegistry, type TrickleRegistry } from "../support/trickle-registry.js";
import { waitFor } from "../support/wait.js";
import { multiLayerImage } from "./image.js";

// The agent as a DaemonSet runs it, its pulls check on: a pull in flight shows on /v1/state, in
// /metrics and on the waiting pod, and once it is done every trace is back to zero.

const NODE = "node-1";
const MiB = 1024 * 1024;
let lab: Lab;
let api: KubeStandIn;
let agent: AgentProcess;
let proxy: TrickleRegistry;
const dir = mkdtempSync(join(tmpdir(), "pm-pulls-agent-"));

before(async () => {
  lab = await startLab();
  proxy = await startTrickleRegistry(lab.registry.url, { bytesPerSecond: 2 * MiB });
  writeRegistryHost(lab.hostsDir, proxy.host);
  api = await startKubeStandIn();
  const config = join(dir, "agent.yaml");
  writeFileSync(
    config,
    [
      "listen: 127.0.0.1:0",
      `criEndpoint: ${lab.criEndpoint}`,
      `hostsDir: ${lab.hostsDir}`,
      `stateFile: ${join(dir, "state.json")}`,
      "shutdownTimeout: 5s",
      "prune:\n  enabled: false",
      "probes:\n  enabled: false",
      "quota:\n  enabled: false",
      "pulls:\n  interval: 500ms",
      `kube:\n  enabled: true\n  kubeconfig: ${await api.writeKubeconfig(dir)}`,
    ].join("\n"),
  );
  agent = await startAgentProcess(["--config", config], { NODE_NAME: NODE });
});

after(async () => {
  const code = await agent?.stop();
  await api?.close();
  await proxy?.stop();
  await lab?.stop();
  assert.equal(code, 0, `the agent exits cleanly: ${agent?.stderr()}`);
});

interface PullsState {
  checks: { pulls?: { ok: boolean; result?: { source: string; pulls: { image: string; pods: string[]; percent: number; bytesTotal: number }[] } } };
}

async function pullsNow(): Promise<NonNullable<PullsState["checks"]["pulls"]>["result"]> {
  return (JSON.parse((await agent.get("/v1/state")).text) as PullsState).checks.pulls?.result;
}

test("a pull in flight on /v1/state, /metrics and the waiting pod; done, every trace is back to zero", async () => {
  await lab.push(multiLayerImage([10 * MiB, 6 * MiB], "agent/pull"), "agent/pull:1");
  const ref = `${proxy.host}/agent/pull:1`;
  const pod: Pod = podFixture({ name: "web-0", nodeName: NODE, image: ref, state: "running", imagePullSecrets: [] });
  const status = pod.status?.containerStatuses?.[0];
  if (status) {
    status.state = { waiting: { reason: "ContainerCreating" } };
    status.imageID = "";
  }
  api.putPod(pod);
  const runtime = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
  try {
    const pull = runtime.pullImage(ref);
    const seen = await waitFor("the pull on /v1/state", pullsNow, (r) => (r?.pulls.length ?? 0) > 0 && (r?.pulls[0]?.percent ?? 0) > 0, { timeoutMs: 30_000 });
    assert.equal(seen?.source, "content-store");
    assert.equal(seen?.pulls[0]?.image, ref);
    assert.deepEqual(seen?.pulls[0]?.pods, ["shop/web-0"]);
    const metrics = (await agent.get("/metrics")).text;
    assert.match(metrics, new RegExp(`pullmedic_pulls_in_flight\\{registry="${proxy.host}"\\} 1`));
    assert.match(metrics, /pullmedic_pods_waiting_for_pull 1/);
    const progress = await waitFor("the PullProgress Event", () => api.events().find((e) => e.reason === "PullProgress" && e.involvedObject.name === "web-0"));
    assert.match(progress?.message ?? "", /^pulling: image ".+\/agent\/pull:1": \d+ % \(/);
    await pull;
    await waitFor("no pull on /v1/state", pullsNow, (r) => r?.pulls.length === 0, { timeoutMs: 30_000 });
    const after = (await agent.get("/metrics")).text;
    assert.match(after, new RegExp(`pullmedic_pulls_in_flight\\{registry="${proxy.host}"\\} 0`));
    assert.match(after, new RegExp(`pullmedic_pull_bytes_per_second\\{registry="${proxy.host}"\\} 0`));
    assert.match(after, /pullmedic_pods_waiting_for_pull 0/);
    // The pod's one Event says the pull is done once its 30 s slot comes round.
    const done = await waitFor(
      "the Event patched to pulled",
      () => api.events().filter((e) => e.reason === "PullProgress" && e.involvedObject.name === "web-0"),
      (events) => events.length === 1 && (events[0]?.message ?? "").startsWith("pulled: "),
      { timeoutMs: 45_000 },
    );
    assert.match(done[0]?.message ?? "", /^pulled: image ".+\/agent\/pull:1": 16\.0 MiB, 2 layers in /);
  } finally {
    runtime.close();
  }
});
