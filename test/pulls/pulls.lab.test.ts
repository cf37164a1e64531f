import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Diagnosis, diagnoseImage, nodeRuntimeFrom } from "../../agent/diagnose/index.js";
import { createKubeApi, type KubeApi, type KubeEvent, loadKubeConnection, type Pod } from "../../agent/kube/index.js";
import { PodWatch } from "../../agent/podwatch/index.js";
import { type PullRound, type PullsView, PullWatch } from "../../agent/pulls/index.js";
import { createMetrics, NodeState } from "../../agent/report/index.js";
import { ContentStore } from "../../agent/runtime/containerd/index.js";
import { parseEndpoint, RuntimeClient } from "../../agent/runtime/index.js";
import { nodePlatform } from "../../core/image/index.js";
import type { Logger } from "../../core/log/index.js";
import { writeRegistryHost } from "../lab/containerd.js";
import { type Lab, startLab } from "../lab/index.js";
import { type KubeStandIn, podFixture, startKubeStandIn } from "../support/kube-apiserver.js";
import { startTrickleRegistry, type TrickleRegistry } from "../support/trickle-registry.js";
import { waitFor } from "../support/wait.js";
import { imageBytes, multiLayerImage } from "./image.js";

// Real containerd pulling a multi-layer image through a registry that trickles, read through its
// content store; the pods waiting for it come from the API stand-in and get their Events there.
// The pull watch and the pod watch run on a clock that goes 10 times as fast as the wall clock,
// so the Events' 30 s rate limit is crossed several times within one short pull.

const NODE = "node-1";
const MiB = 1024 * 1024;
const SPEED = 10;
const quiet: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

let lab: Lab;
let api: KubeStandIn;
let kube: KubeApi;
let runtime: RuntimeClient;
let content: ContentStore;
const proxies: TrickleRegistry[] = [];
const dir = mkdtempSync(join(tmpdir(), "pm-pulls-"));

before(async () => {
  lab = await startLab();
  api = await startKubeStandIn();
  const connection = await loadKubeConnection({ env: {}, kubeconfig: await api.writeKubeconfig(dir) });
  if (!connection) throw new Error("no kube connection");
  kube = createKubeApi(connection);
  runtime = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
  content = await ContentStore.connect(parseEndpoint(lab.criEndpoint, "flag"));
});

after(async () => {
  content?.close();
  runtime?.close();
  for (const p of proxies) await p.stop();
  await kube?.close();
  await api?.close();
  await lab?.stop();
});

async function trickling(bytesPerSecond: number, stallAfterBytes?: number): Promise<TrickleRegistry> {
  const proxy = await startTrickleRegistry(lab.registry.url, { bytesPerSecond, ...(stallAfterBytes === undefined ? {} : { stallAfterBytes }) });
  proxies.push(proxy);
  writeRegistryHost(lab.hostsDir, proxy.host);
  return proxy;
}

/** A pod kubelet has just started pulling for: its container waits in ContainerCreating, no image ID yet. */
function waitingPod(name: string, image: string): Pod {
  const pod = podFixture({ name, nodeName: NODE, image, state: "running", imagePullSecrets: [] });
  const status = pod.status?.containerStatuses?.[0];
  if (status) {
    status.state = { waiting: { reason: "ContainerCreating" } };
    status.ready = false;
    status.imageID = "";
  }
  pod.status = { ...pod.status, phase: "Pending" };
  return pod;
}

function watchers(now: () => number, stallAfterMs: number, diagnose?: (image: string) => Promise<Diagnosis>) {
  const pods = new PodWatch({
    api: kube,
    nodeName: NODE,
    hostsDir: lab.hostsDir,
    platform: nodePlatform(),
    log: quiet,
    readSecrets: false,
    postEvents: true,
    dedupeWindowMs: 30_000,
    diagnoseTimeoutMs: 2000,
    diagnose: diagnoseImage,
    runtime: async () => ({ why: "not needed" }),
    containerdVersion: async () => undefined,
    onRateLimit: () => undefined,
    now,
  });
  const pulls = new PullWatch({
    store: async () => content,
    waits: () => pods.imageWaits(),
    imageFsUsed: async () => undefined,
    ...(diagnose ? { diagnose } : {}),
    now,
    stallAfterMs,
  });
  const round = async (): Promise<PullRound> => {
    const r = await pulls.round();
    await pods.publishPulls(r.words);
    return r;
  };
  return { pods, round };
}

function pullEvents(pod: string): KubeEvent[] {
  return api.events().filter((e) => e.involvedObject.name === pod && (e.reason === "PullProgress" || e.reason === "PullStalled"));
}

test("a multi-layer image through a trickling registry: progress monotone, the total right, one progress for two pods, Events within the rate limit, and every trace gone at the end", async () => {
  const image = multiLayerImage([12 * MiB, 9 * MiB, 6 * MiB, 3 * MiB], "pulls/big");
  await lab.push(image, "pulls/big:1");
  const proxy = await trickling(3 * MiB);
  const ref = `${proxy.host}/pulls/big:1`;
  const start = Date.now();
  const now = () => start + (Date.now() - start) * SPEED;
  const { pods, round } = watchers(now, 10 * 60_000);
  const writes: { pod: string; at: number; reason: string }[] = [];
  api.onEventWritten((e) => writes.push({ pod: e.involvedObject.name ?? "", at: Date.parse(e.lastTimestamp ?? ""), reason: e.reason ?? "" }));
  api.putPod(waitingPod("big-0", ref));
  api.putPod(waitingPod("big-1", ref));
  pods.start();
  await waitFor("both pods watched", () => pods.imageWaits().length === 2);

  let pulled = false;
  const pull = runtime.pullImage(ref).then(() => (pulled = true));
  const views: PullsView[] = [];
  const state = new NodeState(NODE, "test");
  while (!pulled || views.at(-1)?.pulls.length !== 0) {
    const r = await round();
    views.push(r.view);
    state.record("pulls", { ok: true, durationMs: 0, result: r.view });
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await pull;

  const seen = views.flatMap((v) => v.pulls);
  assert.ok(seen.length >= 5, `the pull was seen in flight ${seen.length} times`);
  assert.ok(
    seen.every((p) => p.manifest === image.manifestDigest),
    "one pull: the image's manifest",
  );
  assert.ok(
    seen.every((p) => p.bytesTotal === imageBytes(image) && p.layersTotal === 4),
    "the total is the config and the four layers",
  );
  assert.ok(
    seen.every((p, i) => i === 0 || p.bytesDone >= (seen[i - 1]?.bytesDone ?? 0)),
    "bytes done never go back",
  );
  assert.ok(
    seen.every((p) => p.pods.join() === "shop/big-0,shop/big-1"),
    "both pods wait for the one pull",
  );
  assert.ok(
    seen.some((p) => p.bytesPerSecond > 0 && p.etaSeconds !== undefined),
    "a rate and an ETA while it runs",
  );
  assert.ok(seen.some((p) => p.percent > 0 && p.percent < 100));

  // Every pod ends with its one PullProgress Event patched to "pulled".
  await waitFor(
    "the done word on both pods",
    async () => {
      await round();
      return ["big-0", "big-1"].map((p) => pullEvents(p)[0]?.message ?? "");
    },
    (m) => m.every((x) => x.startsWith("pulled: ")),
    { timeoutMs: 20_000 },
  );
  for (const pod of ["big-0", "big-1"]) {
    const events = pullEvents(pod);
    assert.equal(events.length, 1, `one PullProgress Event on ${pod}, patched in place`);
    assert.match(events[0]?.message ?? "", /^pulled: image ".+\/pulls\/big:1": 30\.0 MiB, 4 layers in /);
    const mine = writes.filter((w) => w.pod === pod);
    assert.ok(mine.length >= 2, `${pod}: created, then patched (${mine.length} writes)`);
    const span = (mine.at(-1)?.at ?? 0) - (mine[0]?.at ?? 0);
    assert.ok(mine.length <= Math.floor(span / 30_000) + 1, `${pod}: ${mine.length} writes in ${span / 1000} s of the watch's clock, at most one per 30 s`);
    for (let i = 1; i < mine.length; i++) assert.ok((mine[i]?.at ?? 0) - (mine[i - 1]?.at ?? 0) >= 30_000, `${pod}: writes 30 s apart`);
  }
  const metrics = await (await createMetrics(state, { quotaReadings: () => [] })).render();
  assert.match(metrics, new RegExp(`pullmedic_pulls_in_flight\\{registry="${proxy.host.replace(".", "\\.")}"\\} 0`));
  assert.match(metrics, /pullmedic_pull_bytes_per_second\{registry="[^"]+"\} 0\n/);
  assert.equal(state.result("pulls")?.pulls.length, 0);
  await pods.stop();
});

test("a registry that stops sending part-way through a layer really stalls the pull: reported as stalled, a pull-timeout finding naming the registry, a PullStalled Warning", async () => {
  const image = multiLayerImage([6 * MiB], "pulls/stuck");
  await lab.push(image, "pulls/stuck:1");
  const proxy = await trickling(8 * MiB, 2 * MiB);
  const ref = `${proxy.host}/pulls/stuck:1`;
  const diagnose = async (img: string) =>
    diagnoseImage({
      image: img,
      platform: nodePlatform(),
      hostsDir: lab.hostsDir,
      timeoutMs: 2000,
      pullDeadlineMs: 60_000,
      pull: false,
      runtime: nodeRuntimeFrom(runtime),
    });
  const { pods, round } = watchers(Date.now, 3000, diagnose);
  api.putPod(waitingPod("stuck-0", ref));
  pods.start();
  await waitFor("the pod watched", () => pods.imageWaits().some((w) => w.pod === "shop/stuck-0"));
  const pull = runtime.pullImage(ref, { timeoutMs: 120_000 }).then(
    () => "pulled",
    (err: Error) => err.message,
  );
  const stalled = await waitFor(
    "a stall with its finding",
    async () => {
      const r = await round();
      return { view: r.view, stalls: r.stalls };
    },
    (r) => r.stalls.length > 0,
    { timeoutMs: 60_000 },
  );
  const p = stalled.view.pulls.find((x) => x.manifest === image.manifestDigest);
  assert.ok(p, "the stuck pull is in flight");
  assert.equal(p.stalled, true);
  assert.equal(p.bytesPerSecond, 0);
  assert.equal(p.etaSeconds, undefined);
  assert.ok(p.bytesDone >= MiB && p.bytesDone < p.bytesTotal, `part of the layer is written: ${p.bytesDone} of ${p.bytesTotal}`);
  assert.deepEqual(p.pods, ["shop/stuck-0"]);
  const finding = stalled.stalls[0]?.finding;
  assert.equal(finding?.cause, "pull-timeout");
  assert.equal(finding?.registry, proxy.host, "the finding names the registry");
  assert.match(finding?.summary ?? "", new RegExp(`from ${proxy.host.replace(/\./g, "\\.")} is stalled: no bytes for`));
  assert.ok(finding?.fix.some((f) => f.startsWith("kubectl delete pod -n shop stuck-0")));
  const warning = await waitFor(
    "the PullStalled Warning",
    async () => {
      await round();
      return pullEvents("stuck-0").find((e) => e.reason === "PullStalled");
    },
    // The first progress Event took the pod's slot: the Warning waits for the next, 30 s later.
    { timeoutMs: 45_000 },
  );
  assert.ok(warning);
  assert.equal(warning.type, "Warning");
  assert.match(warning.message ?? "", /^pull-timeout: image ".+\/pulls\/stuck:1": /);
  // The stall is not over: the pull still waits (containerd 1.6 never gives up on its own).
  assert.equal(await Promise.race([pull, new Promise((resolve) => setTimeout(() => resolve("waiting"), 500))]), "waiting");
  await proxy.stop();
  assert.notEqual(await pull, "pulled");
  await pods.stop();
});
