import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import type { DiagnoseOptions, Diagnosis } from "../../agent/diagnose/index.js";
import { createKubeApi, type KubeApi, type KubeEvent, type Pod, type Secret } from "../../agent/kube/index.js";
import { PodWatch } from "../../agent/podwatch/index.js";
import { nodePlatform } from "../../core/image/index.js";
import type { Logger } from "../../core/log/log.js";
import { type KubeStandIn, podFixture, startKubeStandIn } from "../support/kube-apiserver.js";
import { waitFor } from "../support/wait.js";

// The PodWatch service in one process against the API server stand-in, with a scripted diagnosis
// (no registry, no runtime), so races between the watch, the diagnosis and the API can be staged.

const NODE = "node-1";

interface Gate {
  promise: Promise<void>;
  open: () => void;
}

function gate(): Gate {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

interface Harness {
  stand: KubeStandIn;
  api: KubeApi;
  watch: PodWatch;
  logs: string[];
  /** Diagnoses of an image wait for its gate, when one is set. */
  diagnoseGates: Map<string, Gate>;
  /** getSecret waits for this gate, when set. */
  secretGate: { current: Gate | undefined };
  clock: { now: number };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function harness(opts: { readSecrets?: boolean } = {}): Promise<Harness> {
  const stand = await startKubeStandIn({ bookmarkIntervalMs: 60_000 });
  stand.putNode({ apiVersion: "v1", kind: "Node", metadata: { name: NODE }, status: { conditions: [] } });
  const client = createKubeApi(
    { server: stand.url, token: async () => stand.token, source: "test" },
    { backoff: { baseMs: 20, maxMs: 200 }, watchTimeoutSeconds: 60 },
  );
  const secretGate: Harness["secretGate"] = { current: undefined };
  const api: KubeApi = Object.assign(Object.create(client) as KubeApi, {
    server: client.server,
    getSecret: async (namespace: string, name: string): Promise<Secret> => {
      await secretGate.current?.promise;
      return client.getSecret(namespace, name);
    },
  });
  const logs: string[] = [];
  const log: Logger = {
    error: (m) => logs.push(`error ${m}`),
    warn: (m) => logs.push(`warn ${m}`),
    info: (m) => logs.push(`info ${m}`),
    debug: (m) => logs.push(`debug ${m}`),
  };
  const diagnoseGates = new Map<string, Gate>();
  const clock = { now: Date.now() };
  const watch = new PodWatch({
    api,
    nodeName: NODE,
    hostsDir: "/nonexistent/certs.d",
    platform: nodePlatform(),
    log,
    readSecrets: opts.readSecrets ?? false,
    postEvents: true,
    dedupeWindowMs: 30_000,
    diagnoseTimeoutMs: 1000,
    diagnose: async (o: DiagnoseOptions): Promise<Diagnosis> => {
      await diagnoseGates.get(o.image)?.promise;
      return {
        image: o.image,
        cause: "not-found",
        summary: `the registry has no ${o.image}`,
        evidence: [],
        fix: [`pullmedic diagnose ${o.image}`],
        registry: "registry.test",
      };
    },
    runtime: async () => ({ why: "no runtime in this test" }),
    containerdVersion: async () => undefined,
    onRateLimit: () => undefined,
    now: () => clock.now,
  });
  cleanups.push(async () => {
    for (const g of diagnoseGates.values()) g.open();
    secretGate.current?.open();
    await watch.stop();
    await client.close();
    await stand.close();
  });
  watch.start();
  await waitFor("the pod watch to open", () => stand.openWatches() > 0);
  return { stand, api, watch, logs, diagnoseGates, secretGate, clock };
}

function eventsOn(stand: KubeStandIn, pod: string, reason = "PullDiagnosis"): KubeEvent[] {
  return stand.events().filter((e) => e.involvedObject.name === pod && e.reason === reason);
}

function failing(name: string, image: string, extra: Partial<Parameters<typeof podFixture>[0]> = {}): Pod {
  return podFixture({ name, nodeName: NODE, image, state: "err-image-pull", imagePullSecrets: [], ...extra });
}

function setWaiting(stand: KubeStandIn, name: string, reason: string, message: string, namespace = "shop"): void {
  stand.updatePod(namespace, name, (p) => {
    const s = p.status?.containerStatuses?.[0];
    if (s) s.state = { waiting: { reason, message } };
  });
}

test("an Event the server has expired (404 on the patch) is created afresh, not patched forever", async () => {
  const h = await harness();
  const image = "registry.test/shop/api:9.9.9";
  h.stand.putPod(failing("api-1", image));
  await waitFor("the first PullDiagnosis", () => eventsOn(h.stand, "api-1").length === 1);
  await h.watch.settled();

  // An hour and more later the API server's Event TTL has removed it; kubelet retries the pull.
  h.stand.expireEvents();
  h.clock.now += 5 * 60_000;
  setWaiting(h.stand, "api-1", "ImagePullBackOff", `Back-off pulling image "${image}"`);
  await waitFor("the back-off seen", () => h.watch.snapshot().failures.some((f) => f.reason === "ImagePullBackOff"));
  setWaiting(h.stand, "api-1", "ErrImagePull", `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`);
  await waitFor("the retry seen", () => h.watch.snapshot().failures.some((f) => f.reason === "ErrImagePull"));
  await h.watch.settled();

  const events = eventsOn(h.stand, "api-1");
  assert.equal(
    events.length,
    1,
    `a new PullDiagnosis Event exists (errors: ${h.watch.totals.eventErrors}; ${h.logs.filter((l) => l.startsWith("warn")).join("; ")})`,
  );
  assert.match(events[0]?.message ?? "", /^not-found: /);
  // The next repeat patches the new Event, not the gone one.
  h.clock.now += 5 * 60_000;
  setWaiting(h.stand, "api-1", "ImagePullBackOff", `Back-off pulling image "${image}"`);
  await waitFor("the back-off seen again", () => h.watch.snapshot().failures.some((f) => f.reason === "ImagePullBackOff"));
  setWaiting(h.stand, "api-1", "ErrImagePull", `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`);
  await waitFor("the second Event write", () => eventsOn(h.stand, "api-1")[0]?.count === 2);
  assert.equal(eventsOn(h.stand, "api-1").length, 1);
});

test("a failure that ends while its handling waits in the queue leaves no finding behind", async () => {
  const h = await harness();
  // Sixty-four replicas wait on one slow diagnosis and fill every handling slot.
  const busy = "registry.test/shop/busy:1";
  h.diagnoseGates.set(busy, gate());
  for (let i = 0; i < 64; i++) h.stand.putPod(failing(`busy-${i}`, busy, { namespace: "busy" }));
  await waitFor("sixty-four findings", () => h.watch.snapshot().failures.length === 64);
  // One more pod fails, is queued, and is deleted (or recovers) before a slot frees up.
  h.stand.putPod(failing("gone-1", "registry.test/shop/gone:1"));
  h.stand.putPod(failing("fixed-1", "registry.test/shop/fixed:1"));
  await waitFor("both pods seen", () => h.watch.podList().length === 66);
  h.stand.deletePod("shop", "gone-1");
  h.stand.updatePod("shop", "fixed-1", (p) => {
    const s = p.status?.containerStatuses?.[0];
    if (s) {
      s.state = { running: { startedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z") } };
      s.imageID = `registry.test/shop/fixed@sha256:${"a".repeat(64)}`;
    }
  });
  await waitFor("both changes seen", () => h.watch.podList().length === 65 && h.watch.snapshot().recovered.some((r) => r.pod === "shop/fixed-1"));
  h.diagnoseGates.get(busy)?.open();
  await h.watch.settled();

  const pods = h.watch.snapshot().failures.map((f) => f.pod);
  assert.ok(!pods.includes("shop/gone-1"), "the deleted pod is not listed as failing");
  assert.ok(!pods.includes("shop/fixed-1"), "the recovered pod is not listed as failing");
  assert.equal(pods.length, 64);
  assert.equal(eventsOn(h.stand, "gone-1").length, 0, "no Event on a deleted pod");
  assert.equal(eventsOn(h.stand, "fixed-1").length, 0, "no failure Event on a pod that already runs");
});

test("a diagnosis of an image the pod no longer uses is never posted over the current one", async () => {
  const h = await harness();
  const oldImage = "registry.test/shop/api:1.0-typo";
  const newImage = "registry.test/shop/api:1.1-typo";
  h.diagnoseGates.set(oldImage, gate());
  h.diagnoseGates.set(newImage, gate());
  h.stand.putPod(failing("api-1", oldImage));
  await waitFor("the first failure", () => h.watch.snapshot().failures.length === 1);
  // Someone edits the image; the new one fails too.
  h.stand.updatePod("shop", "api-1", (p) => {
    p.spec.containers[0]!.image = newImage;
    const s = p.status?.containerStatuses?.[0];
    if (s) {
      s.image = newImage;
      s.state = { waiting: { reason: "ErrImagePull", message: `rpc error: code = NotFound desc = failed to pull and unpack image "${newImage}": not found` } };
    }
  });
  await waitFor("the new image's failure", () => h.watch.snapshot().failures.some((f) => f.image === newImage));
  // The current image's diagnosis finishes first; the stale one after it.
  h.diagnoseGates.get(newImage)?.open();
  await waitFor("the Event for the new image", () => eventsOn(h.stand, "api-1").length === 1);
  h.diagnoseGates.get(oldImage)?.open();
  await h.watch.settled();

  const events = eventsOn(h.stand, "api-1");
  assert.equal(events.length, 1);
  assert.match(events[0]?.message ?? "", new RegExp(`image "${newImage.replace(/[.]/g, "\\.")}"`), events[0]?.message);
  assert.equal(events[0]?.count, 1, "the stale diagnosis did not write");
  const failures = h.watch.snapshot().failures;
  assert.deepEqual(
    failures.map((f) => f.image),
    [newImage],
  );
  assert.equal(h.watch.totals.failuresByCause["not-found"], 1, "one failure counted");
});

test("hygiene risks of a pod deleted while its Secrets were being read are not kept", async () => {
  const h = await harness({ readSecrets: true });
  h.secretGate.current = gate();
  h.stand.putPod(podFixture({ name: "web-1", nodeName: NODE, image: "nginx", state: "running", imagePullSecrets: ["nowhere"] }));
  await waitFor("the pod seen", () => h.watch.podList().length === 1);
  h.stand.deletePod("shop", "web-1");
  await waitFor("the deletion seen", () => h.watch.podList().length === 0);
  h.secretGate.current.open();
  await h.watch.settled();
  assert.deepEqual(h.watch.snapshot().hygiene, []);
});

test("a signed URL in kubelet's message does not reach the findings", async () => {
  const h = await harness();
  const image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:1";
  const signed =
    "https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/abc/def?X-Amz-Security-Token=SESSIONTOKENabc123&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101&X-Amz-Signature=deadbeefcafe";
  const message = `rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to copy: httpReadSeeker: failed open: unexpected status code ${signed}: 403 Forbidden`;
  h.stand.putPod(failing("api-1", image, { message }));
  await waitFor("the finding", () => h.watch.snapshot().failures[0]?.cause !== undefined);
  await h.watch.settled();
  const state = JSON.stringify(h.watch.snapshot());
  for (const secret of ["SESSIONTOKENabc123", "AKIAEXAMPLE", "deadbeefcafe"]) assert.ok(!state.includes(secret), `${secret} is in /v1/state: ${state}`);
  assert.match(h.watch.snapshot().failures[0]?.message ?? "", /failed to pull and unpack image/);
  assert.ok(!JSON.stringify(h.stand.events()).includes("SESSIONTOKENabc123"));
});

test("a recovery Event that waited in the queue is not posted once the pod is deleted", async () => {
  const h = await harness();
  h.stand.putPod(failing("api-1", "registry.test/shop/api:2"));
  await waitFor("the PullDiagnosis", () => eventsOn(h.stand, "api-1").length === 1);
  await h.watch.settled();
  const busy = "registry.test/shop/busy:1";
  h.diagnoseGates.set(busy, gate());
  for (let i = 0; i < 64; i++) h.stand.putPod(failing(`busy-${i}`, busy, { namespace: "busy" }));
  await waitFor("sixty-four findings", () => h.watch.snapshot().failures.length === 65);
  // The pod recovers (its recovery Event is queued), then is deleted, before a slot frees up.
  h.stand.updatePod("shop", "api-1", (p) => {
    const s = p.status?.containerStatuses?.[0];
    if (s) {
      s.state = { running: { startedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z") } };
      s.imageID = `registry.test/shop/api@sha256:${"b".repeat(64)}`;
    }
  });
  await waitFor("the recovery seen", () => h.watch.snapshot().recovered.some((r) => r.pod === "shop/api-1"));
  h.stand.deletePod("shop", "api-1");
  await waitFor("the deletion seen", () => !h.watch.podList().some((p) => p.metadata.name === "api-1"));
  h.diagnoseGates.get(busy)?.open();
  await h.watch.settled();
  assert.equal(eventsOn(h.stand, "api-1", "PullRecovered").length, 0);
});
