import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { type ClientRequest, get as httpGet, type IncomingMessage } from "node:http";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { parse as parseYaml } from "yaml";
import type { KubeEvent, KubeNode, NodeCondition, Pod, Secret, ServiceAccount } from "../../agent/kube/types.js";
import { makeTestCerts } from "../lab/certs.js";
import {
  type KubeStandIn,
  loadFixture,
  podFixture,
  pullFailedEvent,
  STAND_IN_USER,
  type StandInOptions,
  type Status,
  startKubeStandIn,
} from "../support/kube-apiserver.js";
import { waitFor } from "../support/wait.js";

// The stand-in for the API server, tested with plain fetch and node:http the way any client
// would speak to a real one.

// biome-ignore lint/suspicious/noExplicitAny: the tests walk API answers of any shape with plain property access
type Json = any;

async function standIn(t: TestContext, opts?: StandInOptions): Promise<KubeStandIn> {
  const k = await startKubeStandIn(opts);
  t.after(() => k.close());
  return k;
}

interface Reply {
  status: number;
  headers: Headers;
  body: Json;
}

async function call(k: KubeStandIn, path: string, init: { method?: string; body?: unknown; contentType?: string; token?: string | null } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  const token = init.token === undefined ? k.token : init.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (init.contentType !== undefined) headers["Content-Type"] = init.contentType;
  const body = init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body);
  const res = await fetch(`${k.url}${path}`, { method: init.method ?? "GET", headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? undefined : JSON.parse(text) };
}

interface WatchEvent {
  type: string;
  object: Json;
}

/** A watch read line by line over its own connection. */
class Watch {
  raw = "";
  private buffered = "";
  private readonly queue: WatchEvent[] = [];
  private waiters: (() => void)[] = [];
  /** "end" when the server finished the stream, "error" when the connection broke. */
  readonly done: Promise<"end" | "error">;
  private constructor(
    readonly status: number,
    private readonly req: ClientRequest,
    res: IncomingMessage,
  ) {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      this.raw += chunk;
      this.buffered += chunk;
      for (let nl = this.buffered.indexOf("\n"); nl >= 0; nl = this.buffered.indexOf("\n")) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        if (line.trim() !== "") this.queue.push(JSON.parse(line) as WatchEvent);
      }
      this.wake();
    });
    this.done = new Promise((resolve) => {
      res.on("error", () => undefined);
      res.on("close", () => {
        this.wake();
        resolve(res.complete ? "end" : "error");
      });
    });
  }

  static open(k: KubeStandIn, path: string, token = k.token): Promise<Watch> {
    return new Promise((resolve, reject) => {
      const req = httpGet(`${k.url}${path}`, { headers: { Authorization: `Bearer ${token}` }, agent: false }, (res) =>
        resolve(new Watch(res.statusCode ?? 0, req, res)),
      );
      req.on("error", reject);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** The next event, or undefined when none comes within `ms` or the stream is over. */
  async next(ms = 3000): Promise<WatchEvent | undefined> {
    const deadline = Date.now() + ms;
    let over = false;
    void this.done.then(() => (over = true));
    while (this.queue.length === 0) {
      if (over || Date.now() >= deadline) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await new Promise((r) => setImmediate(r));
    }
    return this.queue.shift();
  }

  async take(n: number): Promise<WatchEvent[]> {
    const out: WatchEvent[] = [];
    for (let i = 0; i < n; i++) {
      const e = await this.next();
      assert.ok(e, `expected ${n} watch events, got ${out.length}: ${JSON.stringify(out.map((x) => x.type))}`);
      out.push(e);
    }
    return out;
  }

  close(): void {
    this.req.destroy();
  }
}

function pod(name: string, nodeName: string, extra: Partial<Parameters<typeof podFixture>[0]> = {}): Pod {
  return podFixture({ name, nodeName, image: "registry.example/shop/api:1.2", ...extra });
}

const SELECT_NODE_A = `fieldSelector=${encodeURIComponent("spec.nodeName=node-a")}`;

test("every request needs the bearer token; without it, 401 Unauthorized worded as the real server words it", async (t) => {
  const k = await standIn(t);
  assert.equal(k.token, "stand-in-token");
  const none = await call(k, "/api/v1/pods", { token: null });
  assert.equal(none.status, 401);
  assert.equal(none.headers.get("content-type"), "application/json");
  assert.deepEqual(none.body, loadFixture<Status>("status-401"));
  assert.equal((await call(k, "/api/v1/pods", { token: "wrong" })).status, 401);
  const ok = await fetch(`${k.url}/api/v1/pods?limit=5`, { headers: { Authorization: `bearer ${k.token}` } });
  assert.equal(ok.status, 200);
  await ok.text();

  const custom = await standIn(t, { token: "other-token" });
  assert.equal((await call(custom, "/api/v1/pods")).status, 200);

  const seen = k.requests();
  assert.equal(seen.length, 3);
  assert.deepEqual(
    seen.map((r) => [r.method, r.path, r.query]),
    [
      ["GET", "/api/v1/pods", {}],
      ["GET", "/api/v1/pods", {}],
      ["GET", "/api/v1/pods", { limit: "5" }],
    ],
  );
  assert.ok(seen.every((r) => typeof r.at === "number" && r.at > 0));
});

test("a pod list is a PodList whose items carry no kind; fieldSelector takes =, ==, != and commas; unknown field labels are 400", async (t) => {
  const k = await standIn(t);
  k.putPod(pod("a1", "node-a"));
  k.putPod(pod("a2", "node-a"));
  k.putPod(pod("b1", "node-b"));
  k.putPod(pod("a3", "node-a", { namespace: "other" }));

  const all = await call(k, `/api/v1/pods?${SELECT_NODE_A}`);
  assert.equal(all.status, 200);
  assert.equal(all.body.kind, "PodList");
  assert.equal(all.body.apiVersion, "v1");
  assert.deepEqual(all.body.metadata, { resourceVersion: k.resourceVersion() });
  assert.deepEqual(
    all.body.items.map((p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`),
    ["other/a3", "shop/a1", "shop/a2"],
  );
  for (const item of all.body.items as Json[]) {
    assert.equal(item.kind, undefined);
    assert.equal(item.apiVersion, undefined);
    assert.match(item.metadata.resourceVersion, /^\d+$/);
    assert.match(item.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(item.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }

  const names = async (path: string) => ((await call(k, path)).body.items as Pod[]).map((p) => p.metadata.name);
  assert.deepEqual(await names(`/api/v1/namespaces/shop/pods?${SELECT_NODE_A}`), ["a1", "a2"]);
  assert.deepEqual(await names(`/api/v1/pods?fieldSelector=${encodeURIComponent("spec.nodeName==node-a,metadata.namespace!=shop")}`), ["a3"]);
  assert.deepEqual(await names(`/api/v1/pods?fieldSelector=${encodeURIComponent("spec.nodeName!=node-a")}`), ["b1"]);
  assert.deepEqual(await names(`/api/v1/pods?fieldSelector=${encodeURIComponent("metadata.name=a2,metadata.namespace=shop")}`), ["a2"]);
  assert.deepEqual(await names("/api/v1/pods?labelSelector=app%3Dweb&fieldSelector=metadata.namespace%3Dother"), ["a3"]);

  const bad = await call(k, `/api/v1/pods?fieldSelector=${encodeURIComponent("spec.nodename=node-a")}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.reason, "BadRequest");
  assert.equal(bad.body.message, "field label not supported: spec.nodename");

  const one = await call(k, "/api/v1/namespaces/shop/pods/a1");
  assert.equal(one.body.kind, "Pod");
  assert.equal(one.body.apiVersion, "v1");
});

test("limit and continue page through one consistent snapshot; a continue from before compact() is 410 Expired", async (t) => {
  const k = await standIn(t);
  for (const name of ["p1", "p2", "p3", "p4", "p5"]) k.putPod(pod(name, "node-a"));

  const first = await call(k, "/api/v1/namespaces/shop/pods?limit=2");
  const rv = first.body.metadata.resourceVersion;
  assert.deepEqual(
    first.body.items.map((p: Pod) => p.metadata.name),
    ["p1", "p2"],
  );
  assert.equal(typeof first.body.metadata.continue, "string");
  assert.equal(first.body.metadata.remainingItemCount, 3);
  // With a selector the server cannot count what remains.
  const selected = await call(k, `/api/v1/namespaces/shop/pods?limit=2&${SELECT_NODE_A}`);
  assert.equal(selected.body.metadata.remainingItemCount, undefined);
  assert.equal(typeof selected.body.metadata.continue, "string");

  const before = k.updatePod("shop", "p3", (p) => (p.metadata.labels = { changed: "yes" }));
  k.deletePod("shop", "p4");
  k.putPod(pod("p0", "node-a"));

  const second = await call(k, `/api/v1/namespaces/shop/pods?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`);
  assert.equal(second.status, 200);
  assert.equal(second.body.metadata.resourceVersion, rv);
  assert.deepEqual(
    second.body.items.map((p: Pod) => p.metadata.name),
    ["p3", "p4"],
  );
  assert.equal(second.body.items[0].metadata.labels.changed, undefined, "page 2 shows p3 as it was when the list began");
  assert.notEqual(second.body.items[0].metadata.resourceVersion, before.metadata.resourceVersion);
  const third = await call(k, `/api/v1/namespaces/shop/pods?limit=2&continue=${encodeURIComponent(second.body.metadata.continue)}`);
  assert.deepEqual(
    third.body.items.map((p: Pod) => p.metadata.name),
    ["p5"],
  );
  assert.equal(third.body.metadata.continue, undefined);

  const withRv = await call(k, `/api/v1/namespaces/shop/pods?limit=2&resourceVersion=${rv}&continue=${encodeURIComponent(first.body.metadata.continue)}`);
  assert.equal(withRv.status, 400);
  assert.equal(withRv.body.message, "specifying resource version is not allowed when using continue");

  const fresh = await call(k, "/api/v1/namespaces/shop/pods?limit=2");
  k.compact();
  const expired = await call(k, `/api/v1/namespaces/shop/pods?limit=2&continue=${encodeURIComponent(fresh.body.metadata.continue)}`);
  assert.equal(expired.status, 410);
  assert.equal(expired.body.kind, "Status");
  assert.equal(expired.body.reason, "Expired");
  assert.equal(expired.body.code, 410);
  assert.match(
    expired.body.message,
    /^The provided continue parameter is too old to display a consistent list result\. You can start a new list without the continue parameter, or use the continue token in this response/,
  );
  // The token in the Status lists the rest as it is now.
  const rest = await call(k, `/api/v1/namespaces/shop/pods?limit=10&continue=${encodeURIComponent(expired.body.metadata.continue)}`);
  assert.equal(rest.status, 200);
  assert.deepEqual(
    fresh.body.items.map((p: Pod) => p.metadata.name),
    ["p0", "p1"],
  );
  assert.deepEqual(
    rest.body.items.map((p: Pod) => p.metadata.name),
    ["p2", "p3", "p5"],
  );
  assert.equal(rest.body.metadata.resourceVersion, k.resourceVersion());
});

test("a watch from a resourceVersion replays what changed after it, objects with kind and apiVersion, then follows live", async (t) => {
  const k = await standIn(t);
  k.putPod(pod("p1", "node-a"));
  k.putPod(pod("elsewhere", "node-b"));
  const from = (await call(k, `/api/v1/pods?${SELECT_NODE_A}`)).body.metadata.resourceVersion;
  k.updatePod("shop", "p1", (p) => (p.status!.phase = "Running"));
  k.putPod(pod("p2", "node-a"));
  k.updatePod("shop", "elsewhere", (p) => (p.status!.phase = "Running"));
  k.deletePod("shop", "p1");
  const deletedAt = k.resourceVersion();

  const w = await Watch.open(k, `/api/v1/pods?watch=true&resourceVersion=${from}&${SELECT_NODE_A}`);
  t.after(() => w.close());
  assert.equal(w.status, 200);
  const replay = await w.take(3);
  assert.deepEqual(
    replay.map((e) => [e.type, e.object.metadata.name]),
    [
      ["MODIFIED", "p1"],
      ["ADDED", "p2"],
      ["DELETED", "p1"],
    ],
  );
  for (const e of replay) {
    assert.equal(e.object.kind, "Pod");
    assert.equal(e.object.apiVersion, "v1");
  }
  assert.equal(replay[0]!.object.status.phase, "Running");
  assert.equal(replay[2]!.object.metadata.resourceVersion, deletedAt);
  const rvs = replay.map((e) => Number(e.object.metadata.resourceVersion));
  assert.deepEqual(
    [...rvs].sort((a, b) => a - b),
    rvs,
  );

  const updated = k.updatePod("shop", "p2", (p) => (p.status!.phase = "Running"));
  const live = await w.next();
  assert.equal(live?.type, "MODIFIED");
  assert.equal(live?.object.metadata.resourceVersion, updated.metadata.resourceVersion);
  assert.equal(k.openWatches(), 1);

  for (const rv of ["", "&resourceVersion=0", "&watch=1"]) {
    const initial = await Watch.open(k, `/api/v1/pods?watch=true${rv}&${SELECT_NODE_A}`);
    const [added] = await initial.take(1);
    assert.deepEqual([added!.type, added!.object.metadata.name], ["ADDED", "p2"]);
    assert.equal(await initial.next(150), undefined);
    initial.close();
  }
  const req = k.requests().find((r) => r.query.watch === "true");
  assert.equal(req?.query.resourceVersion, from);
});

test("with allowWatchBookmarks a BOOKMARK comes every bookmarkIntervalMs, shaped as the real server's", async (t) => {
  const k = await standIn(t, { bookmarkIntervalMs: 50 });
  k.putPod(pod("p1", "node-a"));
  const rv = k.resourceVersion();
  const w = await Watch.open(k, `/api/v1/pods?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}&${SELECT_NODE_A}`);
  t.after(() => w.close());
  const [bookmark] = await w.take(1);
  assert.deepEqual(bookmark, {
    type: "BOOKMARK",
    object: { kind: "Pod", apiVersion: "v1", metadata: { resourceVersion: rv, creationTimestamp: null }, spec: { containers: null }, status: {} },
  });
  k.putNode(loadFixture<KubeNode>("node"));
  let next = await w.next();
  while (next?.object.metadata.resourceVersion === rv) next = await w.next();
  assert.equal(next?.type, "BOOKMARK");
  assert.equal(next?.object.metadata.resourceVersion, k.resourceVersion(), "a bookmark carries the newest resourceVersion");

  const quiet = await Watch.open(k, `/api/v1/pods?watch=1&resourceVersion=${rv}&${SELECT_NODE_A}`);
  assert.equal(await quiet.next(200), undefined);
  quiet.close();
});

test("a watch from a compacted resourceVersion gets one ERROR event with a 410 Expired Status (HTTP 200), then the stream ends", async (t) => {
  const k = await standIn(t);
  while (Number(k.resourceVersion()) < 39) k.putNode({ metadata: { name: `n${k.resourceVersion()}` } });
  k.compact();
  assert.equal(k.resourceVersion(), "40");

  const w = await Watch.open(k, `/api/v1/pods?watch=true&resourceVersion=12&${SELECT_NODE_A}`);
  assert.equal(w.status, 200);
  assert.equal(await w.done, "end");
  assert.deepEqual(JSON.parse(w.raw), { type: "ERROR", object: loadFixture<Status>("status-410") });
  assert.ok(w.raw.endsWith("}\n"));
  assert.equal(w.raw.split("\n").length, 2, "exactly one line");

  const current = await Watch.open(k, `/api/v1/pods?watch=true&resourceVersion=40&${SELECT_NODE_A}`);
  t.after(() => current.close());
  k.putPod(pod("p1", "node-a"));
  assert.equal((await current.next())?.type, "ADDED");

  // Exact lists from before the compaction are too old as well.
  const exact = await call(k, "/api/v1/pods?resourceVersion=12&resourceVersionMatch=Exact");
  assert.equal(exact.status, 410);
  assert.equal(exact.body.message, "too old resource version: 12 (40)");
});

test("history is bounded: past historyLimit the oldest changes are compacted on their own", async (t) => {
  const k = await standIn(t, { historyLimit: 5 });
  const start = k.resourceVersion();
  for (let i = 0; i < 10; i++) k.putPod(pod(`p${i}`, "node-a"));
  const w = await Watch.open(k, `/api/v1/pods?watch=true&resourceVersion=${start}`);
  assert.equal(await w.done, "end");
  const [line] = w.raw.split("\n");
  const error = JSON.parse(line!);
  assert.equal(error.type, "ERROR");
  assert.equal(error.object.code, 410);
  assert.equal(error.object.message, `too old resource version: ${start} (${Number(k.resourceVersion()) - 5})`);
  const recent = await Watch.open(k, `/api/v1/pods?watch=true&resourceVersion=${Number(k.resourceVersion()) - 5}`);
  t.after(() => recent.close());
  assert.equal((await recent.take(5)).length, 5);
});

test("dropWatches destroys open watch connections, after half a JSON line when asked", async (t) => {
  const k = await standIn(t);
  k.putPod(pod("p1", "node-a"));
  const rv = k.resourceVersion();
  const w = await Watch.open(k, `/api/v1/pods?watch=true&resourceVersion=${rv}&${SELECT_NODE_A}`);
  const other = await Watch.open(k, `/api/v1/pods?watch=true&resourceVersion=${rv}`);
  assert.equal(k.openWatches(), 2);
  k.dropWatches({ midLine: true });
  assert.equal(k.openWatches(), 0);
  assert.equal(await w.done, "error");
  assert.equal(await other.done, "error");
  assert.ok(w.raw.startsWith('{"type":"MODIFIED"'), w.raw);
  assert.ok(!w.raw.endsWith("\n"));
  assert.throws(() => JSON.parse(w.raw), SyntaxError);

  const plain = await Watch.open(k, `/api/v1/pods?watch=true&resourceVersion=${rv}`);
  await waitFor("one open watch", () => k.openWatches() === 1);
  k.dropWatches();
  assert.equal(await plain.done, "error");
  assert.equal(plain.raw, "");
  assert.equal(k.openWatches(), 0);
  // The server goes on serving.
  assert.equal((await call(k, "/api/v1/pods")).status, 200);
});

test("a field-selected watch sees a pod that starts matching as ADDED and one that stops matching as DELETED", async (t) => {
  const k = await standIn(t);
  k.putPod(pod("pending", ""));
  k.putPod(pod("gone", "node-a"));
  const rv = k.resourceVersion();
  const selector = encodeURIComponent("spec.nodeName=node-a,status.phase!=Failed");
  const w = await Watch.open(k, `/api/v1/pods?watch=true&resourceVersion=${rv}&fieldSelector=${selector}`);
  t.after(() => w.close());

  k.updatePod("shop", "pending", (p) => (p.status!.phase = "Pending")); // still unscheduled: nothing
  const scheduled = k.updatePod("shop", "pending", (p) => (p.spec.nodeName = "node-a"));
  k.updatePod("shop", "pending", (p) => (p.status!.phase = "Running"));
  const failed = k.updatePod("shop", "pending", (p) => (p.status!.phase = "Failed"));
  k.updatePod("shop", "pending", (p) => (p.metadata.labels = { after: "failed" })); // no longer selected: nothing
  k.deletePod("shop", "gone");

  const events = await w.take(4);
  assert.deepEqual(
    events.map((e) => [e.type, e.object.metadata.name]),
    [
      ["ADDED", "pending"],
      ["MODIFIED", "pending"],
      ["DELETED", "pending"],
      ["DELETED", "gone"],
    ],
  );
  assert.equal(events[0]!.object.metadata.resourceVersion, scheduled.metadata.resourceVersion);
  // The pod that stopped matching is sent as it last matched, at the resourceVersion of the change.
  assert.equal(events[2]!.object.status.phase, "Running");
  assert.equal(events[2]!.object.metadata.resourceVersion, failed.metadata.resourceVersion);
  assert.equal(await w.next(150), undefined);
});

test("timeoutSeconds ends the watch cleanly after that long", async (t) => {
  const k = await standIn(t);
  const started = Date.now();
  const w = await Watch.open(k, `/api/v1/pods?watch=true&timeoutSeconds=1&resourceVersion=${k.resourceVersion()}`);
  assert.equal(await w.done, "end");
  const took = Date.now() - started;
  assert.ok(took >= 900 && took < 3000, `ended after ${took} ms`);
  assert.equal(k.openWatches(), 0);
});

test("POST events: 201 with the stored object, generateName, 409 AlreadyExists, 400 for another namespace, 422 without a name", async (t) => {
  const k = await standIn(t);
  const written: [string, string, number][] = [];
  k.onEventWritten((e, kind, at) => written.push([e.metadata.name, kind, at]));
  const event = loadFixture<KubeEvent>("event-failed-pull");
  delete event.metadata.uid;
  delete event.metadata.resourceVersion;
  delete event.metadata.creationTimestamp;

  const created = await call(k, "/api/v1/namespaces/shop/events", { method: "POST", body: event, contentType: "application/json" });
  assert.equal(created.status, 201);
  assert.equal(created.body.kind, "Event");
  assert.equal(created.body.apiVersion, "v1");
  assert.equal(created.body.metadata.name, event.metadata.name);
  assert.equal(created.body.metadata.namespace, "shop");
  assert.equal(created.body.metadata.resourceVersion, k.resourceVersion());
  assert.match(created.body.metadata.uid, /^[0-9a-f-]{36}$/);
  assert.match(created.body.metadata.creationTimestamp, /Z$/);
  assert.equal(created.body.message, event.message);
  assert.deepEqual(created.body.source, { component: "kubelet", host: "node-a" });
  assert.deepEqual(
    written.map(([name, kind]) => [name, kind]),
    [[event.metadata.name, "created"]],
  );

  const again = await call(k, "/api/v1/namespaces/shop/events", { method: "POST", body: event, contentType: "application/json" });
  assert.equal(again.status, 409);
  assert.deepEqual(again.body, loadFixture<Status>("status-409"));

  const generated = await call(k, "/api/v1/namespaces/shop/events", {
    method: "POST",
    contentType: "application/json",
    body: {
      metadata: { generateName: "api-7d9c6b5f4-x2x1q." },
      involvedObject: { kind: "Pod", name: "api-7d9c6b5f4-x2x1q", namespace: "shop" },
      reason: "PullDiagnosed",
      type: "Warning",
    },
  });
  assert.equal(generated.status, 201);
  assert.match(generated.body.metadata.name, /^api-7d9c6b5f4-x2x1q\.[a-z0-9]{5}$/);
  // Fields core/v1 Event always serialises.
  assert.equal(generated.body.eventTime, null);
  assert.equal(generated.body.firstTimestamp, null);
  assert.equal(generated.body.reportingComponent, "");
  assert.deepEqual(generated.body.source, {});

  const elsewhere = await call(k, "/api/v1/namespaces/shop/events", {
    method: "POST",
    contentType: "application/json",
    body: { ...event, metadata: { name: "x", namespace: "other" } },
  });
  assert.equal(elsewhere.status, 400);
  assert.deepEqual(elsewhere.body, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: "the namespace of the provided object does not match the namespace sent on the request",
    reason: "BadRequest",
    code: 400,
  });

  const nameless = await call(k, "/api/v1/namespaces/shop/events", { method: "POST", contentType: "application/json", body: { ...event, metadata: {} } });
  assert.equal(nameless.status, 422);
  assert.equal(nameless.body.reason, "Invalid");
  assert.equal(nameless.body.message, 'Event "" is invalid: metadata.name: Required value: name or generateName is required');

  const broken = await call(k, "/api/v1/namespaces/shop/events", { method: "POST", contentType: "application/json", body: "{not json" });
  assert.equal(broken.status, 400);
  assert.equal(broken.body.reason, "BadRequest");

  const texts = await call(k, "/api/v1/namespaces/shop/events", { method: "POST", contentType: "text/plain", body: "hello" });
  assert.equal(texts.status, 415);

  assert.deepEqual(
    k.events().map((e) => e.metadata.name),
    [event.metadata.name, generated.body.metadata.name],
  );
  assert.equal(written.length, 2);
});

test("POST events: the involved object's namespace is checked as the API server's legacy Event validation does", async (t) => {
  const k = await standIn(t);
  const post = (namespace: string, body: Record<string, unknown>) =>
    call(k, `/api/v1/namespaces/${namespace}/events`, { method: "POST", contentType: "application/json", body });
  const base = { reason: "PullDiagnosis", type: "Warning", message: "m" };
  // Without eventTime, the involved object's namespace must be the Event's (empty only in default).
  const empty = await post("shop", { ...base, metadata: { name: "a.1" }, involvedObject: { kind: "Pod", name: "a" } });
  assert.equal(empty.status, 422);
  assert.equal(empty.body.message, 'Event "a.1" is invalid: involvedObject.namespace: Invalid value: "": does not match event.namespace');
  assert.equal((await post("default", { ...base, metadata: { name: "a.2" }, involvedObject: { kind: "Node", name: "n" } })).status, 201);
  // With eventTime, reportingComponent and reportingInstance are required.
  const newStyle = await post("shop", {
    ...base,
    metadata: { name: "a.3" },
    eventTime: "2024-05-01T10:00:00.000000Z",
    involvedObject: { kind: "Pod", name: "a", namespace: "shop" },
  });
  assert.equal(newStyle.status, 422);
  assert.match(newStyle.body.message, /reportingComponent: Required value/);
  assert.match(newStyle.body.message, /reportingInstance: Required value/);
  const complete = await post("shop", {
    ...base,
    metadata: { name: "a.4" },
    eventTime: "2024-05-01T10:00:00.000000Z",
    reportingComponent: "pullmedic",
    reportingInstance: "node-a",
    action: "Diagnose",
    involvedObject: { kind: "Pod", name: "a", namespace: "shop" },
  });
  assert.equal(complete.status, 201);
});

test("events list by fieldSelector; PATCH by merge or strategic merge; other patch types 415; a missing Event 404", async (t) => {
  const k = await standIn(t);
  const failing = k.putPod(podFixture({ name: "api-1", nodeName: "node-a", image: "registry.example/shop/api:1.2", state: "err-image-pull" }));
  const other = k.putPod(podFixture({ name: "api-2", nodeName: "node-a", image: "registry.example/shop/api:1.2", state: "err-image-pull" }));
  const failed = k.putEvent(pullFailedEvent(failing, { at: "2025-11-20T09:14:04Z" }));
  k.putEvent({ ...loadFixture<KubeEvent>("event-back-off"), involvedObject: { kind: "Pod", namespace: "shop", name: "api-1", uid: failing.metadata.uid! } });
  k.putEvent(pullFailedEvent(other));
  assert.equal(failed.kind, "Event");
  assert.match(failed.metadata.resourceVersion!, /^\d+$/);

  const byUid = await call(k, `/api/v1/namespaces/shop/events?fieldSelector=${encodeURIComponent(`involvedObject.uid=${failing.metadata.uid}`)}`);
  assert.equal(byUid.body.kind, "EventList");
  assert.equal(byUid.body.metadata.resourceVersion, k.resourceVersion());
  assert.deepEqual(byUid.body.items.map((e: KubeEvent) => e.reason).sort(), ["BackOff", "Failed"]);
  const byReason = await call(k, `/api/v1/namespaces/shop/events?fieldSelector=${encodeURIComponent("involvedObject.name=api-1,reason=Failed")}`);
  assert.deepEqual(
    byReason.body.items.map((e: KubeEvent) => e.metadata.name),
    [failed.metadata.name],
  );
  assert.equal(byReason.body.items[0].kind, undefined);

  const written: string[] = [];
  k.onEventWritten((e, kind) => written.push(`${kind} ${e.count}`));
  const path = `/api/v1/namespaces/shop/events/${failed.metadata.name}`;
  const merged = await call(k, path, {
    method: "PATCH",
    contentType: "application/merge-patch+json",
    body: { count: 2, lastTimestamp: "2025-11-20T09:15:31Z", message: null },
  });
  assert.equal(merged.status, 200);
  assert.equal(merged.body.count, 2);
  assert.equal(merged.body.lastTimestamp, "2025-11-20T09:15:31Z");
  assert.equal(merged.body.message, undefined, "null removes a field");
  assert.equal(merged.body.metadata.uid, failed.metadata.uid);
  assert.equal(merged.body.metadata.resourceVersion, k.resourceVersion());
  assert.ok(Number(merged.body.metadata.resourceVersion) > Number(failed.metadata.resourceVersion));

  const strategic = await call(k, path, { method: "PATCH", contentType: "application/strategic-merge-patch+json; charset=utf-8", body: { count: 3 } });
  assert.equal(strategic.status, 200);
  assert.equal(strategic.body.count, 3);
  assert.deepEqual(written, ["patched 2", "patched 3"]);

  const stale = await call(k, path, {
    method: "PATCH",
    contentType: "application/merge-patch+json",
    body: { metadata: { resourceVersion: failed.metadata.resourceVersion }, count: 9 },
  });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.reason, "Conflict");
  assert.equal(
    stale.body.message,
    `Operation cannot be fulfilled on events "${failed.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
  );

  for (const contentType of ["application/json-patch+json", "application/json", undefined]) {
    const refused = await call(k, path, { method: "PATCH", ...(contentType ? { contentType } : {}), body: [{ op: "replace", path: "/count", value: 4 }] });
    assert.equal(refused.status, 415, String(contentType));
    assert.deepEqual(refused.body, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message:
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml",
      reason: "UnsupportedMediaType",
      code: 415,
    });
  }
  const missing = await call(k, "/api/v1/namespaces/shop/events/nope", { method: "PATCH", contentType: "application/merge-patch+json", body: { count: 1 } });
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body.details, { name: "nope", kind: "events" });
  assert.equal(missing.body.message, 'events "nope" not found');
  const broken = await call(k, path, { method: "PATCH", contentType: "application/merge-patch+json", body: "{" });
  assert.equal(broken.status, 400);
  assert.equal(broken.body.reason, "BadRequest");
});

test("node status: a strategic merge patch merges conditions by type, is recorded, and a patch that changes nothing writes nothing", async (t) => {
  const k = await standIn(t);
  k.putNode(loadFixture<KubeNode>("node"));
  const node = await call(k, "/api/v1/nodes/node-a");
  assert.equal(node.status, 200);
  assert.equal(node.body.kind, "Node");
  assert.deepEqual(
    node.body.status.conditions.map((c: NodeCondition) => c.type),
    ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"],
  );

  const ours: NodeCondition = {
    type: "ImagePullsHealthy",
    status: "False",
    reason: "RegistryUnreachable",
    message: "registry.example: connection refused",
    lastHeartbeatTime: "2025-11-20T09:41:00Z",
    lastTransitionTime: "2025-11-20T09:41:00Z",
  };
  const patch = { status: { conditions: [ours] } };
  const first = await call(k, "/api/v1/nodes/node-a/status", { method: "PATCH", contentType: "application/strategic-merge-patch+json", body: patch });
  assert.equal(first.status, 200);
  assert.equal(first.body.kind, "Node");
  const conditions: NodeCondition[] = first.body.status.conditions;
  assert.deepEqual(
    conditions.map((c) => c.type),
    ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready", "ImagePullsHealthy"],
  );
  assert.deepEqual(conditions[4], ours);
  assert.deepEqual(conditions.slice(0, 4), node.body.status.conditions);
  assert.equal(first.body.status.nodeInfo.kubeletVersion, "v1.31.4", "the rest of status stays");

  const healthy = { ...ours, status: "True" as const, reason: "PullsSucceed", message: "all registries answer" };
  const second = await call(k, "/api/v1/nodes/node-a/status", {
    method: "PATCH",
    contentType: "application/strategic-merge-patch+json",
    body: { status: { conditions: [healthy] } },
  });
  assert.deepEqual(second.body.status.conditions.length, 5);
  assert.deepEqual(second.body.status.conditions[4], healthy);

  // Items merge field by field, as strategic merge does: a field the patch leaves out keeps its value.
  const partial = await call(k, "/api/v1/nodes/node-a/status", {
    method: "PATCH",
    contentType: "application/strategic-merge-patch+json",
    body: { status: { conditions: [{ type: "ImagePullsHealthy", status: "True", reason: "PullsSucceed" }] } },
  });
  assert.equal(partial.body.status.conditions[4].message, "all registries answer");

  const rv = k.resourceVersion();
  const same = await call(k, "/api/v1/nodes/node-a/status", {
    method: "PATCH",
    contentType: "application/strategic-merge-patch+json",
    body: { status: { conditions: [healthy] } },
  });
  assert.equal(same.body.metadata.resourceVersion, rv);
  assert.equal(k.resourceVersion(), rv);

  // kubelet's directives: a delete by merge key and the element order.
  const directives = await call(k, "/api/v1/nodes/node-a/status", {
    method: "PATCH",
    contentType: "application/strategic-merge-patch+json",
    body: {
      status: { "$setElementOrder/conditions": [{ type: "Ready" }, { type: "MemoryPressure" }], conditions: [{ type: "ImagePullsHealthy", $patch: "delete" }] },
    },
  });
  assert.deepEqual(
    directives.body.status.conditions.map((c: NodeCondition) => c.type),
    ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"],
  );

  const patches = k.nodeStatusPatches();
  assert.equal(patches.length, 5);
  assert.deepEqual(patches[0], { node: "node-a", body: patch, contentType: "application/strategic-merge-patch+json" });

  // A JSON merge patch replaces the list whole, as on the real server.
  const merge = await call(k, "/api/v1/nodes/node-a/status", { method: "PATCH", contentType: "application/merge-patch+json", body: patch });
  assert.deepEqual(merge.body.status.conditions, [ours]);

  const missing = await call(k, "/api/v1/nodes/node-b");
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'nodes "node-b" not found');
  const missingPatch = await call(k, "/api/v1/nodes/node-b/status", { method: "PATCH", contentType: "application/strategic-merge-patch+json", body: patch });
  assert.equal(missingPatch.status, 404);
});

test("secrets and service accounts: GET returns the object; a missing one is 404 NotFound with name and kind", async (t) => {
  const k = await standIn(t);
  const missing = await call(k, "/api/v1/namespaces/shop/secrets/regcred");
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, loadFixture<Status>("status-404"));
  const missingSa = await call(k, "/api/v1/namespaces/shop/serviceaccounts/default");
  assert.deepEqual(missingSa.body.details, { name: "default", kind: "serviceaccounts" });

  const secret = loadFixture<Secret>("secret-dockerconfigjson");
  k.putSecret(secret);
  k.putServiceAccount(loadFixture<ServiceAccount>("serviceaccount"));
  const got = await call(k, "/api/v1/namespaces/shop/secrets/regcred");
  assert.equal(got.status, 200);
  assert.equal(got.body.kind, "Secret");
  assert.equal(got.body.type, "kubernetes.io/dockerconfigjson");
  assert.deepEqual(got.body.data, secret.data);
  const config = JSON.parse(Buffer.from(got.body.data[".dockerconfigjson"], "base64").toString("utf8"));
  assert.equal(Buffer.from(config.auths["registry.example"].auth, "base64").toString("utf8"), "shop-ci:s3cr3t-t0ken");
  const sa = await call(k, "/api/v1/namespaces/shop/serviceaccounts/default");
  assert.equal(sa.body.kind, "ServiceAccount");
  assert.deepEqual(sa.body.imagePullSecrets, [{ name: "regcred" }]);
  assert.equal((await call(k, "/api/v1/namespaces/other/secrets/regcred")).status, 404);
});

test("deny answers 403 Forbidden in RBAC's words, after authentication", async (t) => {
  const k = await standIn(t);
  k.putSecret(loadFixture<Secret>("secret-dockerconfigjson"));
  k.putSecret({ ...loadFixture<Secret>("secret-dockerconfigjson"), metadata: { name: "regcred", namespace: "other" } });
  k.putNode(loadFixture<KubeNode>("node"));
  k.deny("get", "secrets", "shop");
  k.deny("list", "pods");
  k.deny("watch", "pods");
  k.deny("patch", "nodes/status");
  k.deny("create", "events", "shop");

  const secret = await call(k, "/api/v1/namespaces/shop/secrets/regcred");
  assert.equal(secret.status, 403);
  assert.deepEqual(secret.body, loadFixture<Status>("status-403"));
  assert.equal((await call(k, "/api/v1/namespaces/other/secrets/regcred")).status, 200);
  assert.equal((await call(k, "/api/v1/namespaces/shop/secrets/regcred", { token: null })).status, 401);

  const list = await call(k, `/api/v1/pods?${SELECT_NODE_A}`);
  assert.equal(list.status, 403);
  assert.equal(list.body.message, `pods is forbidden: User "${STAND_IN_USER}" cannot list resource "pods" in API group "" at the cluster scope`);
  assert.deepEqual(list.body.details, { kind: "pods" });
  const watch = await call(k, `/api/v1/pods?watch=true&${SELECT_NODE_A}`);
  assert.equal(watch.status, 403);
  assert.match(watch.body.message, /cannot watch resource "pods"/);

  const status = await call(k, "/api/v1/nodes/node-a/status", { method: "PATCH", contentType: "application/strategic-merge-patch+json", body: {} });
  assert.equal(status.status, 403);
  assert.equal(
    status.body.message,
    `nodes "node-a" is forbidden: User "${STAND_IN_USER}" cannot patch resource "nodes/status" in API group "" at the cluster scope`,
  );
  assert.deepEqual(status.body.details, { name: "node-a", kind: "nodes" });
  assert.equal((await call(k, "/api/v1/nodes/node-a")).status, 200);

  const create = await call(k, "/api/v1/namespaces/shop/events", {
    method: "POST",
    contentType: "application/json",
    body: { metadata: { name: "e" }, involvedObject: {} },
  });
  assert.equal(create.status, 403);
  assert.equal(create.body.message, `events is forbidden: User "${STAND_IN_USER}" cannot create resource "events" in API group "" in the namespace "shop"`);
  assert.equal(k.nodeStatusPatches().length, 0);
});

test("failNext: the next requests fail with a Status of that code, 429 and 503 with Retry-After: 1, before authentication", async (t) => {
  const k = await standIn(t);
  k.failNext(2, 503);
  for (let i = 0; i < 2; i++) {
    const r = await call(k, "/api/v1/pods", { token: null });
    assert.equal(r.status, 503);
    assert.equal(r.headers.get("retry-after"), "1");
    assert.equal(r.body.kind, "Status");
    assert.equal(r.body.reason, "ServiceUnavailable");
    assert.equal(r.body.code, 503);
  }
  assert.equal((await call(k, "/api/v1/pods")).status, 200);

  k.failNext(1, 429);
  const throttled = await call(k, "/api/v1/pods");
  assert.equal(throttled.status, 429);
  assert.equal(throttled.headers.get("retry-after"), "1");
  assert.equal(throttled.body.reason, "TooManyRequests");
  assert.deepEqual(throttled.body.details, { retryAfterSeconds: 1 });

  k.failNext(1, 500);
  const broken = await call(k, "/api/v1/namespaces/shop/secrets/regcred");
  assert.equal(broken.status, 500);
  assert.equal(broken.headers.get("retry-after"), null);
  assert.equal(broken.body.reason, "InternalError");

  k.failNext(1, 403);
  const forbidden = await call(k, "/api/v1/namespaces/shop/secrets/regcred");
  assert.deepEqual(forbidden.body, loadFixture<Status>("status-403"));

  k.failNext(1, 503);
  const w = await Watch.open(k, "/api/v1/pods?watch=true");
  assert.equal(w.status, 503);
  await w.done;
  assert.equal((await call(k, "/api/v1/pods")).status, 200);
});

test("unknown paths are 404 NotFound; methods the stand-in does not serve are 405", async (t) => {
  const k = await standIn(t);
  for (const path of ["/api/v1/limitranges", "/apis/apps/v1/deployments", "/api/v1/namespaces/shop/pods/p1/log", "/api/v1/namespaces/shop/nodes/n1"]) {
    const r = await call(k, path);
    assert.equal(r.status, 404, path);
    assert.deepEqual(r.body, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "the server could not find the requested resource",
      reason: "NotFound",
      details: {},
      code: 404,
    });
  }
  const missingPod = await call(k, "/api/v1/namespaces/shop/pods/p1");
  assert.equal(missingPod.body.message, 'pods "p1" not found');
  const post = await call(k, "/api/v1/namespaces/shop/pods", { method: "POST", contentType: "application/json", body: {} });
  assert.equal(post.status, 405);
  assert.equal(post.body.reason, "MethodNotAllowed");
  const version = await call(k, "/version");
  assert.equal(version.body.major, "1");
});

test("serves HTTPS with the given certificate and writes a kubeconfig that points at it", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "pullmedic-standin-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const certs = await makeTestCerts(join(dir, "certs"));
  const k = await standIn(t, { tls: certs.certs.valid, token: "tls-token" });
  assert.match(k.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = await readFile(certs.caCert);
  const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    httpsGet(`${k.url}/api/v1/pods`, { ca, headers: { Authorization: "Bearer tls-token" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
  assert.equal(reply.status, 200);
  assert.equal(JSON.parse(reply.body).kind, "PodList");

  const path = await k.writeKubeconfig(join(dir, "kube"), { caFile: certs.caCert });
  const config = parseYaml(await readFile(path, "utf8"));
  assert.equal(config.kind, "Config");
  assert.equal(config["current-context"], "stand-in");
  assert.deepEqual(config.clusters, [{ name: "stand-in", cluster: { server: k.url, "certificate-authority": certs.caCert } }]);
  assert.deepEqual(config.users, [{ name: "stand-in", user: { token: "tls-token" } }]);
  assert.deepEqual(config.contexts, [{ name: "stand-in", context: { cluster: "stand-in", user: "stand-in", namespace: "default" } }]);
  const other = parseYaml(await readFile(await k.writeKubeconfig(join(dir, "bad"), { token: "revoked" }), "utf8"));
  assert.deepEqual(other.users[0].user, { token: "revoked" });
  assert.equal(other.clusters[0].cluster["certificate-authority"], undefined);
});

test("close() ends open watches and stops the server promptly", async () => {
  const k = await startKubeStandIn({ bookmarkIntervalMs: 20 });
  const a = await Watch.open(k, "/api/v1/pods?watch=true&allowWatchBookmarks=true");
  const b = await Watch.open(k, `/api/v1/pods?watch=true&${SELECT_NODE_A}`);
  await waitFor("two open watches", () => k.openWatches() === 2);
  const started = Date.now();
  await k.close();
  assert.ok(Date.now() - started < 1000);
  await Promise.all([a.done, b.done]);
  await assert.rejects(fetch(`${k.url}/api/v1/pods`));
});

test("podFixture and pullFailedEvent build pods and kubelet Events from the fixtures", () => {
  const p = podFixture({
    name: "api-x",
    namespace: "team",
    nodeName: "node-z",
    image: "ghcr.io/acme/api:2.4",
    state: "err-image-pull",
    containerName: "server",
  });
  assert.equal(p.metadata.name, "api-x");
  assert.equal(p.metadata.namespace, "team");
  assert.equal(p.metadata.resourceVersion, undefined);
  assert.match(p.metadata.uid!, /^[0-9a-f-]{36}$/);
  assert.equal(p.spec.nodeName, "node-z");
  assert.deepEqual(
    p.spec.containers.map((c) => [c.name, c.image]),
    [["server", "ghcr.io/acme/api:2.4"]],
  );
  const waiting = p.status!.containerStatuses![0]!;
  assert.equal(waiting.name, "server");
  assert.equal(waiting.state!.waiting!.reason, "ErrImagePull");
  assert.equal(
    waiting.state!.waiting!.message,
    'rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/api:2.4": failed to resolve reference "ghcr.io/acme/api:2.4": ghcr.io/acme/api:2.4: not found',
  );
  const backoff = podFixture({ name: "api-x", nodeName: "node-z", image: "ghcr.io/acme/api:2.4", state: "image-pull-back-off" });
  assert.equal(backoff.status!.containerStatuses![0]!.state!.waiting!.message, 'Back-off pulling image "ghcr.io/acme/api:2.4"');
  const init = podFixture({ name: "job", nodeName: "node-z", image: "ghcr.io/acme/migrate:1", state: "init-err-image-pull" });
  assert.equal(init.spec.initContainers![0]!.image, "ghcr.io/acme/migrate:1");
  assert.equal(init.status!.initContainerStatuses![0]!.state!.waiting!.reason, "ErrImagePull");
  assert.equal(init.status!.containerStatuses![0]!.state!.waiting!.reason, "PodInitializing");
  const invalid = podFixture({ name: "cart", nodeName: "node-z", image: "ghcr.io/Acme/cart:1", state: "invalid-image-name", message: "custom" });
  assert.equal(invalid.status!.containerStatuses![0]!.state!.waiting!.message, "custom");
  const unscheduled = podFixture({ name: "later", nodeName: "", image: "nginx:1.27" });
  assert.equal(unscheduled.spec.nodeName, undefined);

  const event = pullFailedEvent(p);
  assert.equal(event.reason, "Failed");
  assert.equal(event.type, "Warning");
  assert.equal(event.message, `Failed to pull image "ghcr.io/acme/api:2.4": ${waiting.state!.waiting!.message}`);
  assert.deepEqual(event.source, { component: "kubelet", host: "node-z" });
  assert.equal(event.involvedObject.uid, p.metadata.uid);
  assert.equal(event.involvedObject.fieldPath, "spec.containers{server}");
  assert.ok(event.metadata.name.startsWith("api-x."));
  const initEvent = pullFailedEvent(init);
  assert.equal(initEvent.involvedObject.fieldPath, "spec.initContainers{migrate}");
  assert.match(initEvent.message!, /^Failed to pull image "ghcr\.io\/acme\/migrate:1": rpc error: code = Unknown/);

  const recorded = loadFixture<KubeEvent>("event-failed-pull");
  assert.match(recorded.message!, /^Failed to pull image "registry\.example\/shop\/api:1\.2": rpc error: code = NotFound/);
  assert.deepEqual(recorded.source, { component: "kubelet", host: "node-a" });
  for (const name of ["status-401", "status-403", "status-404", "status-409", "status-410"]) {
    const s = loadFixture<Status>(name);
    assert.deepEqual(Object.keys(s).slice(0, 5), ["kind", "apiVersion", "metadata", "status", "message"], name);
    assert.equal(s.code, Number(name.slice(-3)));
  }
});
