import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { test } from "node:test";
import { createKubeApi, type KubeApi, KubeApiError, loadKubeConnection, type PodWatchEvent, type WatchStatus } from "../../agent/kube/index.js";
import { type KubeConnection, KubeHttp, reviewAccess, reviewToken, type UserInfo } from "../../core/kube/index.js";
import { podFixture, startKubeStandIn } from "../support/kube-apiserver.js";

// One set of assertions about the API server, run against the stand-in always and against the
// real server KUBECONFIG names when it is set: what keeps the stand-in honest. Everything here
// must hold for a real API server (any version the agent supports, any RBAC that lets the
// agent do its job), so nothing depends on what the cluster holds.

const WATCH_TIMEOUT_SECONDS = 5;

interface Target {
  api: KubeApi;
  /** Where the test Event is written. */
  namespace: string;
  /** Whose pods are listed and watched; it need not exist (the list is then empty). */
  nodeName: string;
}

async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KubeApiError, `expected a KubeApiError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the call to fail");
}

async function listAndWatch({ api, nodeName }: Target): Promise<void> {
  const events: PodWatchEvent[] = [];
  const statuses: WatchStatus[] = [];
  const abort = new AbortController();
  let settle: (outcome: string) => void = () => undefined;
  const outcome = new Promise<string>((resolve) => (settle = resolve));
  // The timer is the test's deadline, not a measurement: a healthy watch settles long before it.
  const deadline = setTimeout(() => settle("nothing within the watch timeout"), (WATCH_TIMEOUT_SECONDS + 20) * 1000);
  const done = api.watchPods({
    nodeName,
    signal: abort.signal,
    onEvent: (e) => {
      events.push(e);
      if (e.type !== "sync") settle(`event ${e.type}`);
    },
    onStatus: (s) => {
      statuses.push(s);
      if (s.state === "bookmark") settle("bookmark");
      if (s.state === "retrying") settle(`error: ${s.error}`);
      if (s.state === "expired") settle("expired");
      // A second watch means the first one ended cleanly (its timeoutSeconds) and was resumed.
      if (s.state === "watching" && statuses.filter((x) => x.state === "watching").length === 2) settle("ended cleanly");
    },
  });
  const result = await outcome;
  clearTimeout(deadline);
  abort.abort();
  await done;

  assert.ok(["bookmark", "ended cleanly"].includes(result) || result.startsWith("event "), `the watch: ${result}`);
  const sync = events[0];
  assert.ok(sync?.type === "sync", "the list comes first");
  assert.ok(Array.isArray(sync.pods));
  assert.match(sync.resourceVersion, /^\S+$/, "the list has a resourceVersion");
  for (const pod of sync.pods) assert.equal(pod.spec.nodeName, nodeName, "the field selector selects by node");
  const watching = statuses.find((s): s is Extract<WatchStatus, { state: "watching" }> => s.state === "watching");
  assert.equal(watching?.resourceVersion, sync.resourceVersion, "the watch opens at the list's version");
  assert.ok(!statuses.some((s) => s.state === "skipped"), `nothing skipped: ${JSON.stringify(statuses)}`);
}

async function missingSecret({ api, namespace }: Target): Promise<void> {
  const err = await rejection(api.getSecret(namespace, `pullmedic-conformance-missing-${randomBytes(4).toString("hex")}`));
  // 403 when RBAC does not let this identity read Secrets there; either way the status is kept.
  assert.ok(err.status === 404 || err.status === 403, `404 or 403, got ${err.status}: ${err.message}`);
  assert.equal(err.reason, err.status === 404 ? "NotFound" : "Forbidden");
}

async function eventRoundTrip({ api, namespace, nodeName }: Target): Promise<void> {
  const uid = randomUUID();
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const name = `pullmedic-conformance.${randomBytes(6).toString("hex")}`;
  // No delete in KubeApi: on a real server this Event stays until the API server's event TTL
  // (1 h by default) removes it. It names a pod uid no pod has, so nothing reads it as real.
  const created = await api.createEvent(namespace, {
    metadata: { name, namespace },
    involvedObject: { apiVersion: "v1", kind: "Pod", namespace, name: "pullmedic-conformance", uid },
    reason: "PullmedicConformance",
    message: "written by the pullmedic conformance test",
    type: "Normal",
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component: "pullmedic", host: nodeName },
  });
  assert.equal(created.metadata.name, name);
  assert.equal(created.metadata.namespace, namespace);
  assert.equal(created.count, 1);
  const patched = await api.patchEvent(namespace, name, { count: 2, lastTimestamp: now });
  assert.equal(patched.count, 2);
  assert.equal(patched.reason, "PullmedicConformance", "a merge patch leaves the other fields");
  const listed = await api.listPodEvents(namespace, uid);
  assert.deepEqual(
    listed.map((e) => [e.metadata.name, e.count]),
    [[name, 2]],
  );
}

async function missingNode({ api }: Target): Promise<void> {
  const err = await rejection(api.getNode(`pullmedic-conformance-no-such-node-${randomBytes(4).toString("hex")}`));
  assert.equal(err.status, 404, err.message);
  assert.equal(err.reason, "NotFound");
}

/**
 * TokenReview and SubjectAccessReview, the questions the aggregator and the agent's HTTP port ask:
 * what holds for any token and any default RBAC. Skipped where this identity may not ask them.
 */
async function reviews(conn: KubeConnection, skip: (why: string) => void): Promise<void> {
  const http = new KubeHttp(conn, 15_000, "pullmedic-conformance", () => undefined);
  try {
    let nobody;
    try {
      nobody = await reviewToken(http, `pullmedic-conformance-${randomBytes(16).toString("hex")}`);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 403) return skip(`this identity may not create tokenreviews: ${err.message}`);
      throw err;
    }
    assert.deepEqual([nobody.authenticated, nobody.user], [false, undefined], "a token nobody was given belongs to nobody");
    const own = await conn.token?.();
    if (own !== undefined) {
      const me = await reviewToken(http, own);
      assert.equal(me.authenticated, true, me.error);
      assert.ok(me.user?.groups.includes("system:authenticated"), JSON.stringify(me.user));
      const elsewhere = await reviewToken(http, own, ["pullmedic-conformance-audience"]);
      assert.equal(elsewhere.authenticated, false, "a token for the API server is no token for another audience");
    }
    const stranger: UserInfo = {
      username: `pullmedic-conformance-${randomBytes(4).toString("hex")}`,
      uid: undefined,
      groups: ["system:authenticated"],
      extra: {},
    };
    assert.equal((await reviewAccess(http, stranger, { nonResource: { verb: "get", path: "/healthz" } })).allowed, true, "public info is for everyone");
    assert.equal((await reviewAccess(http, stranger, { resource: { verb: "delete", group: "", resource: "nodes" } })).allowed, false);
  } finally {
    await http.close();
  }
}

async function conformance(target: Target): Promise<void> {
  await listAndWatch(target);
  await missingSecret(target);
  await eventRoundTrip(target);
  await missingNode(target);
}

test("conformance: the stand-in", async () => {
  const stand = await startKubeStandIn();
  const api = createKubeApi({ server: stand.url, token: async () => stand.token, source: "stand-in" }, { watchTimeoutSeconds: WATCH_TIMEOUT_SECONDS });
  try {
    stand.putPod(podFixture({ name: "web-1", nodeName: "node-a", image: "registry.example/web:1" }));
    stand.putPod(podFixture({ name: "web-2", nodeName: "node-b", image: "registry.example/web:1" }));
    await conformance({ api, namespace: "default", nodeName: "node-a" });
    await reviews({ server: stand.url, token: async () => stand.token, source: "stand-in" }, (why) => assert.fail(why));
  } finally {
    await api.close();
    await stand.close();
  }
});

test("conformance: the API server KUBECONFIG names", async (t) => {
  if ((process.env.KUBECONFIG ?? "") === "") {
    t.skip("no KUBECONFIG given");
    return;
  }
  const conn = await loadKubeConnection({ env: process.env });
  assert.ok(conn !== undefined);
  const api = createKubeApi(conn, { watchTimeoutSeconds: WATCH_TIMEOUT_SECONDS, requestTimeoutMs: 15_000 });
  try {
    await conformance({
      api,
      namespace: conn.namespace ?? "default",
      // A node name no node has unless one is given: the list is then empty, which is still a list.
      nodeName: process.env.PULLMEDIC_CONFORMANCE_NODE ?? "pullmedic-conformance-no-such-node",
    });
    await reviews(conn, (why) => t.diagnostic(`reviews skipped: ${why}`));
  } finally {
    await api.close();
  }
});
