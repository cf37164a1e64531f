import assert from "node:assert/strict";
import { test } from "node:test";
import { checkBearer, KubeAccess, KubeHttp, PULLMEDIC_API_GROUP, reviewAccess, reviewToken } from "../../core/kube/index.js";
import { API_AUDIENCE, type KubeStandIn, podFixture, startKubeStandIn } from "../support/kube-apiserver.js";

// TokenReview and SubjectAccessReview through the shared client, against the stand-in (which
// answers as the API reference says), and the cache that keeps them from being asked per request.

async function withStandIn(run: (stand: KubeStandIn, http: KubeHttp) => Promise<void>): Promise<void> {
  const stand = await startKubeStandIn();
  const http = new KubeHttp({ server: stand.url, token: async () => stand.token, source: "stand-in" }, 5000, "pullmedic-test", () => undefined);
  try {
    await run(stand, http);
  } finally {
    await http.close();
    await stand.close();
  }
}

const metricsGet = { nonResource: { verb: "get", path: "/metrics" } } as const;
const listReports = { resource: { group: PULLMEDIC_API_GROUP, resource: "nodereports", verb: "list" } } as const;

test("TokenReview: a known token names its user, a token for other audiences or nobody's is not authenticated", async () => {
  await withStandIn(async (stand, http) => {
    stand.addIdentity("alice-token", { username: "alice", groups: ["devs"] });
    const alice = await reviewToken(http, "alice-token");
    assert.equal(alice.authenticated, true);
    assert.equal(alice.user?.username, "alice");
    assert.deepEqual(alice.user?.groups, ["devs", "system:authenticated"]);
    assert.deepEqual(alice.audiences, [API_AUDIENCE], "no audiences asked: the API server's own");
    const forUs = await reviewToken(http, "alice-token", ["pullmedic"]);
    assert.equal(forUs.authenticated, false, "a token for the API server is not a token for pullmedic");
    assert.match(forUs.error ?? "", /audiences/);
    const nobody = await reviewToken(http, "no-such-token");
    assert.deepEqual([nobody.authenticated, nobody.user], [false, undefined]);
  });
});

test("TokenReview: a pod-bound token carries its pod and node, and stops working when its pod is gone", async () => {
  await withStandIn(async (stand, http) => {
    const pod = stand.putPod(podFixture({ name: "agent-x", namespace: "pullmedic", nodeName: "node-a", image: "pullmedic:1" }));
    stand.addPodToken({
      token: "pod-token",
      serviceAccount: "pullmedic:pullmedic-agent",
      pod: { name: "agent-x", uid: pod.metadata.uid ?? "" },
      node: "node-a",
      audiences: ["pullmedic"],
    });
    const r = await reviewToken(http, "pod-token", ["pullmedic"]);
    assert.equal(r.user?.username, "system:serviceaccount:pullmedic:pullmedic-agent");
    assert.deepEqual(r.audiences, ["pullmedic"]);
    assert.deepEqual(r.user?.extra["authentication.kubernetes.io/node-name"], ["node-a"]);
    assert.deepEqual(r.user?.extra["authentication.kubernetes.io/pod-name"], ["agent-x"]);
    stand.deletePod("pullmedic", "agent-x");
    assert.equal((await reviewToken(http, "pod-token", ["pullmedic"])).authenticated, false);
  });
});

test("SubjectAccessReview: what a grant names is allowed, with RBAC's reason; nothing else is", async () => {
  await withStandIn(async (stand, http) => {
    const alice = { username: "alice", uid: undefined, groups: ["devs"], extra: {} };
    stand.grant({ group: "devs" }, { verbs: ["list"], apiGroups: [PULLMEDIC_API_GROUP], resources: ["nodereports"] });
    const yes = await reviewAccess(http, alice, listReports);
    assert.equal(yes.allowed, true);
    assert.match(yes.reason ?? "", /RBAC: allowed by ClusterRoleBinding/);
    assert.equal((await reviewAccess(http, alice, metricsGet)).allowed, false);
    stand.grant({ user: "alice" }, { verbs: ["get"], nonResourceURLs: ["/met*"] });
    assert.equal((await reviewAccess(http, alice, metricsGet)).allowed, true, "a trailing * matches a prefix");
  });
});

test("KubeAccess remembers answers: one review per token and question while they hold, none for an API failure", async () => {
  await withStandIn(async (stand, http) => {
    let now = 1_000_000;
    stand.addIdentity("alice-token", { username: "alice" });
    stand.grant({ user: "alice" }, { verbs: ["list"], apiGroups: [PULLMEDIC_API_GROUP], resources: ["nodereports"] });
    const access = new KubeAccess(http, { ttlMs: 60_000, deniedTtlMs: 10_000, now: () => now });
    for (let i = 0; i < 5; i++) assert.deepEqual(await checkBearer(access, "Bearer alice-token", listReports), { ok: true, user: "alice" });
    assert.deepEqual(stand.reviewCounts(), { tokenReviews: 1, accessReviews: 1 });
    const refused = await checkBearer(access, "Bearer alice-token", metricsGet);
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.status, 403);
    await checkBearer(access, "Bearer alice-token", metricsGet);
    assert.equal(stand.reviewCounts().accessReviews, 2, "a no is remembered too");
    now += 61_000;
    stand.failNext(1, 503);
    const down = await checkBearer(access, "Bearer alice-token", listReports);
    assert.equal(!down.ok && down.status, 503, "the API server failing is no verdict on the caller");
    assert.deepEqual(await checkBearer(access, "Bearer alice-token", listReports), { ok: true, user: "alice" }, "and it is not remembered");
    const missing = await checkBearer(access, undefined, listReports);
    assert.equal(!missing.ok && missing.status, 401);
    assert.match(!missing.ok ? missing.problem : "", /missing credentials.*list nodereports\.pullmedic\.dev/);
  });
});

test("KubeAccess: a server the API forbids to review says which grant it lacks, and the caller may retry", async () => {
  await withStandIn(async (stand, http) => {
    stand.addIdentity("alice-token", { username: "alice" });
    stand.deny("create", "tokenreviews");
    const verdict = await checkBearer(new KubeAccess(http), "Bearer alice-token", listReports);
    assert.equal(!verdict.ok && verdict.status, 503);
    assert.match(
      !verdict.ok ? verdict.problem : "",
      /does not let this server create tokenreviews \(RBAC: .*cannot create resource "tokenreviews" in API group "authentication\.k8s\.io"/,
    );
    assert.doesNotMatch(!verdict.ok ? verdict.problem : "", /alice-token/);
  });
});
