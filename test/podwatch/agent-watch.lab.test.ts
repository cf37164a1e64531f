import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { explainMessage } from "../../agent/diagnose/index.js";
import type { KubeEvent, Pod, Secret } from "../../agent/kube/index.js";
import { plainHttpHosts } from "../diagnose/diagnose-support.js";
import { buildImage, type Lab, startLab } from "../lab/index.js";
import { signal } from "../lab/process.js";
import { push } from "../lab/push.js";
import { type RegistryServer, startRegistry } from "../lab/registry.js";
import { type AgentProcess, startAgentProcess } from "../support/agent-process.js";
import { type KubeStandIn, podFixture, startKubeStandIn } from "../support/kube-apiserver.js";
import { closedPort } from "../support/net.js";
import { waitFor } from "../support/wait.js";

// The agent as a DaemonSet runs it: a real process that watches a (stand-in) API server, diagnoses
// against the real lab registries and containerd, and writes Events and node conditions back.

const NODE = "node-1";
const GOOD = { username: "puller", password: "s3cret-Pa55word-good" };
const WRONG_PASSWORD = "wr0ng-Pa55word-never-shown";

let lab: Lab;
let privateRegistry: RegistryServer;
let api: KubeStandIn;
let agent: AgentProcess;
let unreachablePort: number;
let lateRegistry: Server | undefined;
const dir = mkdtempSync(join(tmpdir(), "pm-podwatch-"));
let missingImage = "";
let presentImage = "";
let privateImage = "";

function dockerConfigSecret(namespace: string, name: string, username: string, password: string, registry: string): Secret {
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  const config = JSON.stringify({ auths: { [registry]: { username, password, auth } } });
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": Buffer.from(config).toString("base64") },
  };
}

function eventsOn(pod: string, reason: string): KubeEvent[] {
  return api.events().filter((e) => e.involvedObject.name === pod && e.reason === reason);
}

async function waitForEvent(pod: string, reason: string, count = 1): Promise<KubeEvent[]> {
  return waitFor(
    `${count} ${reason} Event on ${pod}`,
    async () => eventsOn(pod, reason),
    (e) => e.length >= count,
    { timeoutMs: 30_000 },
  );
}

interface PodsState {
  pods: number;
  watch: { state: string; relists: number; reconnects: number };
  failures: { pod: string; cause?: string; impact: number; message?: string; note?: string }[];
  recovered: { pod: string; outcome: string; durationMs: number; cause?: string }[];
  hygiene: { kind: string; pod: string; secret?: string; message: string }[];
  secrets?: { secret: string; registry: string; state: string; cause?: string }[];
  totals: { diagnoses: number };
}

async function podsState(): Promise<PodsState> {
  const r = await agent.get("/v1/state");
  return (JSON.parse(r.text) as { pods: PodsState }).pods;
}

function failing(name: string, image: string, extra: Partial<Parameters<typeof podFixture>[0]> = {}): Pod {
  return podFixture({ name, nodeName: NODE, image, state: "err-image-pull", imagePullSecrets: [], ...extra });
}

before(async () => {
  lab = await startLab({ imageFsSizeMiB: 64 });
  privateRegistry = await startRegistry(join(dir, "private"), GOOD);
  const { ref } = await lab.push(buildImage({ label: "shop/api:1.0" }), "shop/api:1.0");
  presentImage = ref;
  missingImage = `${lab.registry.host}/shop/api:9.9.9`;
  privateImage = (await push({ url: privateRegistry.url, host: privateRegistry.host, auth: GOOD }, buildImage({ label: "private/app:1.0" }), "private/app:1.0"))
    .ref;
  unreachablePort = await closedPort();

  api = await startKubeStandIn();
  api.putNode({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: NODE },
    status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" }] },
  });
  const kubeconfig = await api.writeKubeconfig(dir);
  const hostsDir = plainHttpHosts(lab.registry.host, privateRegistry.host, `127.0.0.1:${unreachablePort}`);
  const config = join(dir, "agent.yaml");
  writeFileSync(
    config,
    [
      "listen: 127.0.0.1:0",
      `criEndpoint: ${lab.criEndpoint}`,
      `hostsDir: ${hostsDir}`,
      `stateFile: ${join(dir, "state.json")}`,
      "shutdownTimeout: 5s",
      "disk:\n  interval: 1s",
      "images:\n  interval: 2s",
      "prune:\n  enabled: false",
      `probes:\n  interval: 5s\n  timeout: 2s\n  registries: ["127.0.0.1:${unreachablePort}"]`,
      "quota:\n  enabled: false",
      [
        "kube:",
        "  enabled: true",
        `  kubeconfig: ${kubeconfig}`,
        "  readSecrets: true",
        "  imageFsPressurePercent: 60",
        "  secretCheckInterval: 5s",
        "  diagnoseTimeout: 3s",
      ].join("\n"),
    ].join("\n"),
  );
  agent = await startAgentProcess(["--config", config], { NODE_NAME: NODE });
});

after(async () => {
  const code = await agent?.stop();
  lateRegistry?.close();
  await api?.close();
  if (privateRegistry) signal(privateRegistry.daemon.pid, "SIGTERM");
  await lab?.stop();
  assert.equal(code, 0, `the agent exits cleanly: ${agent?.stderr()}`);
});

test("a pod going ErrImagePull → ImagePullBackOff → Running gets one diagnosis Event and then a recovery", async () => {
  const pod = api.putPod(failing("api-1", missingImage));
  const [event] = await waitForEvent("api-1", "PullDiagnosis");
  assert.ok(event);
  assert.match(event.message ?? "", /^not-found: /, event.message);
  assert.match(event.message ?? "", /Fix: /);
  assert.equal(event.type, "Warning");
  assert.equal(event.source?.component, "pullmedic");
  assert.equal(event.source?.host, NODE);
  assert.equal(event.involvedObject.uid, pod.metadata.uid);
  assert.equal(event.involvedObject.fieldPath, "spec.containers{api}");

  api.updatePod("shop", "api-1", (p) => {
    const s = p.status?.containerStatuses?.[0];
    if (s) s.state = { waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${missingImage}"` } };
  });
  await new Promise((r) => setTimeout(r, 1500));
  const after = eventsOn("api-1", "PullDiagnosis");
  assert.equal(after.length, 1, "the back-off adds no second Event");
  assert.equal(after[0]?.count, 1);

  api.putPod(
    podFixture({
      name: "api-1",
      uid: pod.metadata.uid ?? "",
      nodeName: NODE,
      image: missingImage,
      state: "running",
      containerName: "api",
      imagePullSecrets: [],
    }),
  );
  const [recovered] = await waitForEvent("api-1", "PullRecovered");
  assert.equal(recovered?.type, "Normal");
  assert.match(recovered?.message ?? "", /recovered/);
  const state = await waitFor("the recovery in /v1/state", podsState, (s) => s.recovered.some((r) => r.pod === "shop/api-1"));
  const closed = state.recovered.find((r) => r.pod === "shop/api-1");
  assert.equal(closed?.outcome, "recovered");
  assert.equal(closed?.cause, "not-found");
  assert.ok((closed?.durationMs ?? 0) >= 1500, `lasted ${closed?.durationMs} ms`);
  assert.ok(!state.failures.some((f) => f.pod === "shop/api-1"));
});

test("a pod found already in back-off is diagnosed from kubelet's Failed Event, not the bare back-off line", async () => {
  // The image exists: only kubelet's own Event can say what the failed pull saw.
  const pod = podFixture({ name: "late-1", nodeName: NODE, image: presentImage, state: "image-pull-back-off", imagePullSecrets: [] });
  const message = `Failed to pull image "${presentImage}": rpc error: code = NotFound desc = failed to pull and unpack image "${presentImage}": failed to resolve reference "${presentImage}": ${presentImage}: not found`;
  const stored = api.putPod(pod);
  api.putEvent({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: "late-1.kubelet", namespace: "shop" },
    involvedObject: { apiVersion: "v1", kind: "Pod", namespace: "shop", name: "late-1", uid: stored.metadata.uid ?? "", fieldPath: "spec.containers{api}" },
    reason: "Failed",
    type: "Warning",
    message,
    source: { component: "kubelet", host: NODE },
    count: 1,
    firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  });
  // The Event arrives after the pod here; the agent reads Events when it handles the failure.
  const [event] = await waitForEvent("late-1", "PullDiagnosis");
  assert.match(event?.message ?? "", /^not-found: /);
  const state = await podsState();
  const finding = state.failures.find((f) => f.pod === "shop/late-1");
  assert.match(finding?.message ?? "", /^Failed to pull image/);
  assert.match(finding?.note ?? "", /now finds the image pullable/);
  api.deletePod("shop", "late-1");
});

test("fifty pods with the same bad image cause one diagnosis and fifty Events counting the impact", async () => {
  const before = (await podsState()).totals.diagnoses;
  const image = `${lab.registry.host}/shop/api:0.0.0-missing`;
  for (let i = 0; i < 50; i++) api.putPod(failing(`fleet-${i}`, image, { namespace: "fleet" }));
  await waitFor(
    "fifty PullDiagnosis Events",
    async () => api.events().filter((e) => e.reason === "PullDiagnosis" && e.involvedObject.namespace === "fleet").length,
    (n) => n >= 50,
    { timeoutMs: 30_000 },
  );
  const state = await podsState();
  assert.equal(state.totals.diagnoses - before, 1, "one diagnosis for fifty replicas");
  const fleet = state.failures.filter((f) => f.pod.startsWith("fleet/"));
  assert.equal(fleet.length, 50);
  for (const f of fleet) {
    assert.equal(f.cause, "not-found");
    assert.equal(f.impact, 50);
  }
  const metrics = (await agent.get("/metrics")).text;
  assert.match(metrics, /pullmedic_pull_failures\{cause="not-found"\} 5\d/);
  for (let i = 0; i < 50; i++) api.deletePod("fleet", `fleet-${i}`);
  await waitFor("the fleet's failures closed", podsState, (s) => !s.failures.some((f) => f.pod.startsWith("fleet/")));
});

test("the watch survives a connection dropped mid-line and a stale resourceVersion", async () => {
  api.dropWatches({ midLine: true });
  api.putPod(failing("after-drop", missingImage));
  await waitForEvent("after-drop", "PullDiagnosis");

  const relists = (await podsState()).watch.relists;
  api.compact();
  api.dropWatches();
  api.putPod(failing("after-compact", missingImage));
  await waitForEvent("after-compact", "PullDiagnosis");
  const state = await waitFor("a re-list", podsState, (s) => s.watch.relists > relists && s.watch.state === "watching");
  assert.ok(state.pods >= 2);
  api.deletePod("shop", "after-drop");
  api.deletePod("shop", "after-compact");
});

const UNAUTHORIZED = (image: string, host: string) =>
  `rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": unexpected status from HEAD request to http://${host}/v2/private/app/manifests/1.0: 401 Unauthorized`;

test("a pull Secret the agent may not read is reported as unchecked, never as a wrong cause", async () => {
  api.deny("get", "secrets", "locked");
  api.putSecret(dockerConfigSecret("locked", "regcred", GOOD.username, GOOD.password, privateRegistry.host));
  const message = UNAUTHORIZED(privateImage, privateRegistry.host);
  api.putPod(failing("locked-1", privateImage, { namespace: "locked", imagePullSecrets: ["regcred"], message }));
  const [event] = await waitForEvent("locked-1", "PullDiagnosis");
  const expected = explainMessage(message).cause;
  assert.ok(event?.message?.startsWith(`${expected}: `), `${event?.message} starts with kubelet's cause ${expected}`);
  assert.match(event?.message ?? "", /secret could not be checked/);
  assert.equal((await agent.get("/healthz")).status, 200);
  api.deletePod("locked", "locked-1");
});

test("a readable Secret with a wrong password is auth-denied, and no credential appears anywhere", async () => {
  api.putSecret(dockerConfigSecret("shop", "badcred", GOOD.username, WRONG_PASSWORD, privateRegistry.host));
  api.putPod(failing("bad-1", privateImage, { imagePullSecrets: ["badcred"], message: UNAUTHORIZED(privateImage, privateRegistry.host) }));
  const [event] = await waitForEvent("bad-1", "PullDiagnosis");
  assert.match(event?.message ?? "", /^auth-denied: /, event?.message);
  const everything = [
    JSON.stringify(api.events()),
    JSON.stringify(api.nodeStatusPatches()),
    JSON.stringify(agent.logs),
    agent.stderr(),
    (await agent.get("/v1/state")).text,
    (await agent.get("/metrics")).text,
  ].join("\n");
  for (const secret of [WRONG_PASSWORD, GOOD.password, Buffer.from(`${GOOD.username}:${WRONG_PASSWORD}`).toString("base64")]) {
    assert.ok(!everything.includes(secret), `a credential leaked: ${secret}`);
  }
  api.deletePod("shop", "bad-1");
});

test("re-validation warns on the pods when a pull Secret stops working, before they fail", async () => {
  api.putSecret(dockerConfigSecret("shop", "rotating", GOOD.username, GOOD.password, privateRegistry.host));
  api.putPod(podFixture({ name: "steady-1", nodeName: NODE, image: privateImage, state: "running", imagePullSecrets: ["rotating"] }));
  await waitFor("the Secret checked ok", podsState, (s) => (s.secrets ?? []).some((c) => c.secret === "shop/rotating" && c.state === "ok"), {
    timeoutMs: 30_000,
  });
  // The registry's password changed; the Secret still has the old one.
  api.putSecret(dockerConfigSecret("shop", "rotating", GOOD.username, WRONG_PASSWORD, privateRegistry.host));
  const state = await waitFor("the Secret rejected", podsState, (s) => (s.secrets ?? []).some((c) => c.secret === "shop/rotating" && c.state === "rejected"), {
    timeoutMs: 30_000,
  });
  assert.equal(state.secrets?.find((c) => c.secret === "shop/rotating")?.cause, "auth-denied");
  const [warning] = await waitForEvent("steady-1", "PullSecretRejected");
  assert.match(warning?.message ?? "", /^auth-denied: /);
  assert.match(warning?.message ?? "", /shop\/rotating/);
  assert.ok(!JSON.stringify(api.events()).includes(WRONG_PASSWORD));
  api.deletePod("shop", "steady-1");
});

test("pull-hygiene risks: untagged images, Always against Docker Hub, a Secret in another namespace", async () => {
  api.putSecret(dockerConfigSecret("default", "shared", GOOD.username, GOOD.password, "https://index.docker.io/v1/"));
  api.putPod(podFixture({ name: "anchor", namespace: "default", nodeName: NODE, image: presentImage, state: "running", imagePullSecrets: [] }));
  api.putPod(
    podFixture({
      name: "web-1",
      namespace: "team-a",
      nodeName: NODE,
      image: "nginx",
      state: "running",
      imagePullPolicy: "Always",
      imagePullSecrets: ["shared"],
    }),
  );
  const state = await waitFor("hygiene risks of team-a/web-1", podsState, (s) => s.hygiene.filter((h) => h.pod === "team-a/web-1").length >= 3);
  const kinds = state.hygiene
    .filter((h) => h.pod === "team-a/web-1")
    .map((h) => h.kind)
    .sort();
  assert.deepEqual(kinds, ["always-pull-docker-hub", "latest-tag", "secret-other-namespace"]);
  const other = state.hygiene.find((h) => h.kind === "secret-other-namespace");
  assert.match(other?.message ?? "", /default/);
  api.deletePod("team-a", "web-1");
  api.deletePod("default", "anchor");
});

test("node conditions are set when a problem starts and cleared when it ends", async () => {
  interface Patch {
    status?: { conditions?: { type: string; status: string; reason?: string; lastTransitionTime?: string }[] };
  }
  const conditionsOf = (type: string) => api.nodeStatusPatches().flatMap((p) => ((p.body as Patch).status?.conditions ?? []).filter((c) => c.type === type));
  // The probe target refuses connections: the registry is unreachable from this node.
  await waitFor(
    "RegistryUnreachable=True",
    async () => conditionsOf("RegistryUnreachable"),
    (c) => c.at(-1)?.status === "True",
    { timeoutMs: 30_000 },
  );
  lateRegistry = createServer((req, res) => {
    res.writeHead(req.url?.startsWith("/v2/") ? 200 : 404, { "content-type": "application/json", "docker-distribution-api-version": "registry/2.0" });
    res.end("{}");
  });
  await new Promise<void>((resolve) => lateRegistry?.listen(unreachablePort, "127.0.0.1", resolve));
  const cleared = await waitFor(
    "RegistryUnreachable=False",
    async () => conditionsOf("RegistryUnreachable"),
    (c) => c.at(-1)?.status === "False",
    { timeoutMs: 30_000 },
  );
  const [set, clear] = [cleared.findLast((c) => c.status === "True"), cleared.at(-1)];
  assert.notEqual(clear?.lastTransitionTime, set?.lastTransitionTime);

  // The image filesystem fills past the 60 % threshold, then empties.
  const filler = join(lab.containerdRoot, "filler.bin");
  writeFileSync(filler, Buffer.alloc(48 * 1024 * 1024, 1));
  await waitFor(
    "ImageFsPressure=True",
    async () => conditionsOf("ImageFsPressure"),
    (c) => c.at(-1)?.status === "True",
    { timeoutMs: 30_000 },
  );
  rmSync(filler);
  const fs = await waitFor(
    "ImageFsPressure=False",
    async () => conditionsOf("ImageFsPressure"),
    (c) => c.at(-1)?.status === "False",
    { timeoutMs: 30_000 },
  );
  assert.equal(fs.at(-1)?.reason, "ImageFsHasSpace");
  // Conditions pullmedic does not own are never written.
  assert.ok(
    api
      .nodeStatusPatches()
      .every((p) => ((p.body as Patch).status?.conditions ?? []).every((c) => ["ImageFsPressure", "RegistryUnreachable"].includes(c.type))),
  );
});
