import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadAggregatorConfig, type RunningAggregator, startAggregator } from "../../aggregator/index.js";
import { createLogger } from "../../core/log/log.js";
import { type KubeStandIn, startKubeStandIn } from "../support/kube-apiserver.js";

// Who may read the aggregator's API, dashboard data and /metrics, and start pre-pulls, when it is
// checked the Kubernetes way (httpAuth kubernetes, the default beyond loopback): each caller's own
// token through TokenReview, then SubjectAccessReview for what the request does. The listener is on
// loopback here, so loopback peers are not trusted (trustLoopbackPeers false) to see the checks.

const dir = mkdtempSync(join(tmpdir(), "pm-http-access-"));
const log = createLogger("cli", "error");
let api: KubeStandIn;
let agg: RunningAggregator;
let portForwarded: RunningAggregator;

before(async () => {
  api = await startKubeStandIn();
  api.addIdentity("alice-token", { username: "alice", groups: ["sre"] });
  api.addIdentity("prometheus-token", { username: "system:serviceaccount:monitoring:prometheus", groups: ["system:serviceaccounts"] });
  api.addIdentity("bob-token", { username: "bob" });
  api.grant({ group: "sre" }, { verbs: ["get", "list", "create"], apiGroups: ["pullmedic.dev"], resources: ["nodereports", "prepulls"] });
  api.grant({ user: "system:serviceaccount:monitoring:prometheus" }, { verbs: ["get"], nonResourceURLs: ["/metrics"] });
  api.grant({ user: "bob" }, { verbs: ["list"], apiGroups: ["pullmedic.dev"], resources: ["nodereports"] });
  const kubeconfig = await api.writeKubeconfig(dir);
  const flags = {
    grpcListen: "127.0.0.1:0",
    httpListen: "127.0.0.1:0",
    agentAuth: "serviceAccountToken",
    httpAuth: "kubernetes",
    "kube.kubeconfig": kubeconfig,
  };
  agg = await startAggregator(await loadAggregatorConfig({ env: {}, flags: { ...flags, database: join(dir, "a.db"), trustLoopbackPeers: false } }), log, {
    env: {},
  });
  portForwarded = await startAggregator(await loadAggregatorConfig({ env: {}, flags: { ...flags, database: join(dir, "b.db") } }), log, { env: {} });
});

after(async () => {
  await agg?.stop();
  await portForwarded?.stop();
  await api?.close();
});

async function get(path: string, token?: string, init: RequestInit = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(`${agg.httpUrl}${path}`, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) },
  });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

test("the probes and the dashboard's own files need no token", async () => {
  for (const path of ["/healthz", "/readyz"]) assert.equal((await get(path)).status, 200, path);
  assert.notEqual((await get("/")).status, 401, "the dashboard page holds no data");
});

test("the cluster view: no token 401 with a challenge, a token nobody knows 401, a user without the grant 403, with it 200", async () => {
  const none = await get("/api/v1/nodes");
  assert.equal(none.status, 401);
  assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="pullmedic"');
  assert.match(JSON.parse(none.body).error, /missing credentials.*your Kubernetes token.*list nodereports\.pullmedic\.dev/);
  assert.equal((await get("/api/v1/nodes", "made-up-token")).status, 401);
  const prom = await get("/api/v1/failures", "prometheus-token");
  assert.equal(prom.status, 403);
  assert.match(JSON.parse(prom.body).error, /system:serviceaccount:monitoring:prometheus may not list nodereports\.pullmedic\.dev/);
  assert.equal((await get("/api/v1/nodes", "alice-token")).status, 200);
  assert.equal((await get("/api/v1/nodes", "bob-token")).status, 200);
});

test("/metrics is Prometheus' non-resource URL; pre-pull commands are prepulls.pullmedic.dev", async () => {
  assert.equal((await get("/metrics", "prometheus-token")).status, 200);
  assert.equal((await get("/metrics", "alice-token")).status, 403);
  assert.equal((await get("/api/v1/commands", "bob-token")).status, 403, "reading the view is not reading the pre-pulls");
  assert.equal((await get("/api/v1/commands", "alice-token")).status, 200);
  const post = (token: string) =>
    get("/api/v1/prepull", token, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ images: ["nginx:1.27"] }) });
  const bob = await post("bob-token");
  assert.equal(bob.status, 403);
  assert.match(JSON.parse(bob.body).error, /bob may not create prepulls\.pullmedic\.dev/);
  assert.ok(![401, 403].includes((await post("alice-token")).status), "alice may");
});

test("answers are remembered: repeated requests do not repeat the reviews", async () => {
  const before = api.reviewCounts();
  for (let i = 0; i < 5; i++) assert.equal((await get("/api/v1/nodes", "alice-token")).status, 200);
  assert.deepEqual(api.reviewCounts(), before);
});

test("by default a loopback peer (kubectl port-forward, already allowed by RBAC) needs no token", async () => {
  const res = await fetch(`${portForwarded.httpUrl}/api/v1/nodes`);
  assert.equal(res.status, 200);
});
