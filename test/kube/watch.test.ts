import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { afterEach, describe, test } from "node:test";
import { createKubeApi, type KubeApi, type Pod, type PodWatchEvent, type WatchStatus } from "../../agent/kube/index.js";
import { LineSplitter } from "../../agent/kube/lines.js";
import { backoffDelay } from "../../agent/kube/watch.js";
import { type KubeStandIn, podFixture, startKubeStandIn } from "../support/kube-apiserver.js";
import { listenOnLoopback } from "../support/net.js";

// The pod watch against the API server stand-in (list, watch, bookmarks, 410, drops, failures),
// and against scripted servers for what the stand-in never sends. Waits are on deliveries, not
// on timers; the timeouts in `until` are only a safety net.

class Recorder {
  readonly events: PodWatchEvent[] = [];
  readonly statuses: WatchStatus[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  readonly onEvent = (e: PodWatchEvent): void => this.push(() => this.events.push(e));
  readonly onStatus = (s: WatchStatus): void => this.push(() => this.statuses.push(s));

  private push(add: () => void): void {
    add();
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; statuses ${JSON.stringify(this.statuses.slice(-6))}`)), timeoutMs);
      this.waiters.push({
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  count(state: WatchStatus["state"]): number {
    return this.statuses.filter((s) => s.state === state).length;
  }

  of<S extends WatchStatus["state"]>(state: S): Extract<WatchStatus, { state: S }>[] {
    return this.statuses.filter((s): s is Extract<WatchStatus, { state: S }> => s.state === state);
  }

  syncs(): Extract<PodWatchEvent, { type: "sync" }>[] {
    return this.events.filter((e): e is Extract<PodWatchEvent, { type: "sync" }> => e.type === "sync");
  }

  changes(): Extract<PodWatchEvent, { pod: Pod }>[] {
    return this.events.filter((e): e is Extract<PodWatchEvent, { pod: Pod }> => e.type !== "sync");
  }
}

interface Running {
  rec: Recorder;
  abort: AbortController;
  done: Promise<void>;
}

function startWatch(api: KubeApi, nodeName = "node-a"): Running {
  const rec = new Recorder();
  const abort = new AbortController();
  const done = api.watchPods({ nodeName, signal: abort.signal, onEvent: rec.onEvent, onStatus: rec.onStatus });
  return { rec, abort, done };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: { bookmarkIntervalMs?: number; listPageSize?: number } = {}): Promise<{ stand: KubeStandIn; api: KubeApi }> {
  const stand = await startKubeStandIn({ bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000 });
  const api = createKubeApi(
    { server: stand.url, token: async () => stand.token, source: "test" },
    { backoff: { baseMs: 20, maxMs: 200 }, listPageSize: opts.listPageSize ?? 500, watchTimeoutSeconds: 60 },
  );
  cleanups.push(async () => {
    await api.close();
    await stand.close();
  });
  return { stand, api };
}

function pod(name: string, nodeName = "node-a", namespace = "shop"): Pod {
  return podFixture({ name, namespace, nodeName, image: `registry.example/shop/${name}:1` });
}

async function stop(w: Running): Promise<void> {
  w.abort.abort();
  await w.done;
}

describe("pod watch against the stand-in", () => {
  test("lists every page of the node's pods, then syncs once with all of them", async () => {
    const { stand, api } = await setup({ listPageSize: 3 });
    for (let i = 0; i < 7; i++) stand.putPod(pod(`web-${i}`));
    stand.putPod(pod("elsewhere-1", "node-b"));
    stand.putPod(pod("elsewhere-2", "node-b"));
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("watching") === 1, "the watch");
    await stop(w);

    const [sync, ...more] = w.rec.syncs();
    assert.equal(more.length, 0);
    assert.ok(sync !== undefined);
    assert.deepEqual(
      sync.pods.map((p) => p.metadata.name).sort(),
      [0, 1, 2, 3, 4, 5, 6].map((i) => `web-${i}`),
    );
    assert.equal(sync.resourceVersion, stand.resourceVersion());
    const lists = stand.requests().filter((r) => r.path === "/api/v1/pods" && r.query.watch === undefined);
    assert.ok(lists.length >= 3, `pages: ${lists.length}`);
    assert.equal(lists[0]?.query.continue, undefined);
    assert.ok(
      lists.slice(1).every((r) => (r.query.continue ?? "") !== ""),
      "later pages continue",
    );
    assert.ok(lists.every((r) => r.query.fieldSelector === "spec.nodeName=node-a" && r.query.limit === "3"));
    // Only the declared fields are kept: no managedFields, env or volumes.
    const first = sync.pods[0] as unknown as Record<string, Record<string, unknown>>;
    assert.equal(first.spec?.volumes, undefined);
    assert.equal(first.metadata?.managedFields, undefined);
    assert.equal((first.spec?.containers as Record<string, unknown>[] | undefined)?.[0]?.ports, undefined);
  });

  test("delivers added, modified and deleted in order, each with its resourceVersion, from the list's version", async () => {
    const { stand, api } = await setup();
    stand.putPod(pod("web-1"));
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("watching") === 1, "the watch");
    const watchRequest = stand.requests().find((r) => r.query.watch === "true");
    assert.equal(watchRequest?.query.resourceVersion, w.rec.syncs()[0]?.resourceVersion);
    assert.equal(watchRequest?.query.allowWatchBookmarks, "true");
    assert.equal(watchRequest?.query.fieldSelector, "spec.nodeName=node-a");
    assert.equal(watchRequest?.query.timeoutSeconds, "60");

    const added = stand.putPod(pod("web-2"));
    const modified = stand.updatePod("shop", "web-1", (p) => {
      p.metadata.labels = { ...p.metadata.labels, touched: "yes" };
    });
    stand.putPod(pod("other", "node-b"));
    stand.deletePod("shop", "web-2");
    await w.rec.until(() => w.rec.changes().length === 3, "three changes");
    await stop(w);

    const changes = w.rec.changes();
    assert.deepEqual(
      changes.map((e) => [e.type, e.pod.metadata.name]),
      [
        ["added", "web-2"],
        ["modified", "web-1"],
        ["deleted", "web-2"],
      ],
    );
    assert.equal(changes[0]?.resourceVersion, added.metadata.resourceVersion);
    assert.equal(changes[1]?.pod.metadata.labels?.touched, "yes");
    assert.equal(changes[1]?.resourceVersion, modified.metadata.resourceVersion);
    assert.equal(changes[2]?.resourceVersion, stand.resourceVersion());
  });

  test("a bookmark advances the resourceVersion the next watch resumes from", async () => {
    const { stand, api } = await setup({ bookmarkIntervalMs: 25 });
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("watching") === 1, "the watch");
    const listed = w.rec.syncs()[0]?.resourceVersion;
    // A write the watch does not see: only a bookmark can tell it the version moved on.
    stand.putPod(pod("other", "node-b"));
    const moved = stand.resourceVersion();
    assert.notEqual(moved, listed);
    await w.rec.until(() => w.rec.of("bookmark").some((b) => b.resourceVersion === moved), "a bookmark at the new version");
    stand.dropWatches();
    await w.rec.until(() => w.rec.count("watching") === 2, "the second watch");
    await stop(w);

    assert.equal(w.rec.of("watching")[1]?.resourceVersion, moved);
    const watches = stand.requests().filter((r) => r.query.watch === "true");
    assert.equal(watches[1]?.query.resourceVersion, moved);
    assert.equal(w.rec.syncs().length, 1, "no re-list");
    assert.equal(w.rec.changes().length, 0, "bookmarks are not events");
  });

  for (const midLine of [false, true]) {
    test(`a dropped connection${midLine ? " (mid-line)" : ""} resumes from the last version: nothing lost, nothing twice`, async () => {
      const { stand, api } = await setup();
      stand.putPod(pod("web-1"));
      const w = startWatch(api);
      await w.rec.until(() => w.rec.count("watching") === 1, "the watch");
      stand.putPod(pod("web-2"));
      await w.rec.until(() => w.rec.changes().length === 1, "web-2 added");
      // Hold reconnects off (500s carry no Retry-After) while things change.
      stand.failNext(1_000_000, 500);
      stand.dropWatches({ midLine });
      await w.rec.until(() => w.rec.count("retrying") >= 1, "a failed reconnect");
      stand.putPod(pod("web-3"));
      stand.updatePod("shop", "web-1", (p) => {
        p.metadata.labels = { step: "2" };
      });
      stand.deletePod("shop", "web-2");
      stand.failNext(0, 500);
      await w.rec.until(() => w.rec.changes().length === 4, "the changes made while away");
      stand.putPod(pod("web-4"));
      await w.rec.until(() => w.rec.changes().length === 5, "a change after the reconnect");
      await stop(w);

      assert.deepEqual(
        w.rec.changes().map((e) => `${e.type} ${e.pod.metadata.name}`),
        ["added web-2", "added web-3", "modified web-1", "deleted web-2", "added web-4"],
      );
      const versions = w.rec.changes().map((e) => Number(e.resourceVersion));
      assert.deepEqual(
        versions,
        [...versions].sort((a, b) => a - b),
      );
      assert.equal(new Set(versions).size, versions.length, "no event twice");
      assert.equal(w.rec.syncs().length, 1, "resumed, not re-listed");
      assert.equal(w.rec.count("skipped"), 0, "the half line is dropped, not reported as a bad object");
    });
  }

  test("history compacted away: expired, then a fresh sync with the full list", async () => {
    const { stand, api } = await setup();
    stand.putPod(pod("web-1"));
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("watching") === 1, "the watch");
    stand.failNext(1_000_000, 500);
    stand.dropWatches();
    await w.rec.until(() => w.rec.count("retrying") >= 1, "a failed reconnect");
    stand.putPod(pod("web-2"));
    stand.deletePod("shop", "web-1");
    stand.compact();
    stand.failNext(0, 500);
    await w.rec.until(() => w.rec.syncs().length === 2, "the second sync");
    await w.rec.until(() => w.rec.count("watching") >= 2, "watching again");
    await stop(w);

    const expired = w.rec.of("expired");
    assert.equal(expired.length, 1);
    assert.equal(expired[0]?.resourceVersion, w.rec.syncs()[0]?.resourceVersion);
    const second = w.rec.syncs()[1];
    assert.deepEqual(
      second?.pods.map((p) => p.metadata.name),
      ["web-2"],
    );
    assert.equal(second?.resourceVersion, stand.resourceVersion());
    const states = w.rec.statuses.map((s) => s.state);
    assert.ok(states.lastIndexOf("expired") < states.lastIndexOf("listing"), "expired, then listing");
  });

  test("503s back off (honouring Retry-After), then the watch recovers and the back-off resets", async () => {
    const { stand, api } = await setup();
    stand.putPod(pod("web-1"));
    stand.failNext(2, 503);
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("watching") === 1, "the watch");
    const retries = w.rec.of("retrying");
    assert.deepEqual(
      retries.map((r) => r.attempt),
      [1, 2],
    );
    for (const r of retries) {
      assert.match(r.error, /503 ServiceUnavailable/);
      assert.ok(r.delayMs >= 1000, `Retry-After: 1 is honoured (delay ${r.delayMs} ms)`);
    }
    assert.equal(w.rec.syncs()[0]?.pods.length, 1);
    // After a successful connect, the next failure starts again at attempt 1.
    stand.failNext(1, 500);
    stand.dropWatches();
    await w.rec.until(() => w.rec.count("watching") === 2, "watching again");
    await stop(w);
    const after = w.rec.of("retrying").slice(2);
    assert.equal(after[0]?.attempt, 1);
    assert.ok((after[0]?.delayMs ?? Infinity) <= 200, "no Retry-After: the back-off's own delay");
  });

  test("a malformed pod is skipped with a status, in the list and in the stream; the watch goes on", async () => {
    const { stand, api } = await setup();
    stand.putPod(pod("web-1"));
    const broken = { metadata: { name: "broken-1", namespace: "shop" }, spec: { nodeName: "node-a", containers: "not a list" } };
    stand.putPod(broken as unknown as Pod);
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("watching") === 1, "the watch");
    assert.deepEqual(
      w.rec.syncs()[0]?.pods.map((p) => p.metadata.name),
      ["web-1"],
    );
    const skippedInList = w.rec.of("skipped");
    assert.equal(skippedInList.length, 1);
    assert.match(skippedInList[0]?.error ?? "", /spec\.containers: expected an array/);

    stand.putPod({ metadata: { name: "broken-2", namespace: "shop" }, spec: { nodeName: "node-a" } } as unknown as Pod);
    stand.putPod(pod("web-2"));
    await w.rec.until(() => w.rec.changes().length === 1, "web-2");
    await stop(w);
    const skipped = w.rec.of("skipped");
    assert.equal(skipped.length, 2);
    assert.match(skipped[1]?.error ?? "", /object\.spec\.containers: missing/);
    assert.equal(w.rec.changes()[0]?.pod.metadata.name, "web-2");
    assert.equal(w.rec.count("retrying"), 0);
  });

  test("abort stops the watch at once: in the stream and in a back-off", async () => {
    const { stand, api } = await setup();
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("watching") === 1, "the watch");
    assert.equal(stand.openWatches(), 1);
    await stop(w);
    for (let i = 0; i < 200 && stand.openWatches() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(stand.openWatches(), 0, "the server saw the watch close");

    stand.failNext(1_000_000, 503);
    const second = startWatch(api);
    await second.rec.until(() => second.rec.count("retrying") === 1, "a back-off");
    const delay = second.rec.of("retrying")[0]?.delayMs ?? 0;
    const started = Date.now();
    await stop(second);
    assert.ok(Date.now() - started < delay, "resolved before the back-off ended");
  });

  test("closing the client ends its watches", async () => {
    const { api } = await setup();
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("watching") === 1, "the watch");
    await api.close();
    await w.done;
  });
});

// A server whose every answer the test scripts.
async function scripted(handler: (req: IncomingMessage, url: URL, res: ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => handler(req, new URL(req.url ?? "/", "http://x"), res));
  const port = await listenOnLoopback(server);
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${port}`, close: async () => undefined };
}

/** Watch headers go out at once, as the API server flushes them before any event. */
function streamHead(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.flushHeaders();
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const rawPod = (name: string, rv: string) => ({
  kind: "Pod",
  apiVersion: "v1",
  metadata: { name, namespace: "shop", resourceVersion: rv },
  spec: { nodeName: "node-a", containers: [{ name: "app", image: "a:1" }] },
});
const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

describe("pod watch against scripted servers", () => {
  test("lines split across chunks, blank lines, a BOOKMARK with containers: null, a 410 ERROR and an HTTP 410", async () => {
    let watches = 0;
    const server = await scripted((_req, url, res) => {
      if (url.searchParams.get("watch") !== "true")
        return json(res, 200, { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: "10" }, items: [] });
      watches++;
      if (watches === 1) {
        res.writeHead(200, { "content-type": "application/json" });
        const text =
          line("ADDED", rawPod("a", "11")) +
          "\n" +
          line("BOOKMARK", { kind: "Pod", apiVersion: "v1", metadata: { resourceVersion: "12" }, spec: { containers: null }, status: {} });
        // Byte by byte for the first line, to split it (and a multi-byte character) anywhere.
        const bytes = Buffer.from(text.replace('"a:1"', '"ä:1"'));
        for (let i = 0; i < 40; i++) res.write(bytes.subarray(i, i + 1));
        res.write(bytes.subarray(40));
        res.end(
          line("ERROR", { kind: "Status", apiVersion: "v1", status: "Failure", message: "too old resource version: 12 (13)", reason: "Expired", code: 410 }),
        );
        return;
      }
      if (watches === 2) return json(res, 410, { kind: "Status", apiVersion: "v1", status: "Failure", message: "too old", reason: "Gone", code: 410 });
      res.writeHead(200, { "content-type": "application/json" });
      res.write(line("MODIFIED", rawPod("a", "13")));
    });
    const api = createKubeApi({ server: server.url, source: "test" }, { backoff: { baseMs: 5, maxMs: 20 } });
    cleanups.push(() => api.close());
    const w = startWatch(api);
    await w.rec.until(() => w.rec.changes().length === 2, "two changes");
    await stop(w);
    assert.equal(w.rec.changes()[0]?.pod.spec.containers[0]?.image, "ä:1");
    assert.deepEqual(
      w.rec.of("bookmark").map((b) => b.resourceVersion),
      ["12"],
    );
    assert.deepEqual(
      w.rec.of("expired").map((e) => e.resourceVersion),
      ["12", "10"],
    );
    assert.equal(w.rec.syncs().length, 3, "listed at the start and after each 410");
    assert.equal(w.rec.count("retrying"), 0, "a 410 is not an error to back off from");
    assert.equal(w.rec.count("skipped"), 0);
  });

  test("an expired continue token restarts the list from its first page", async () => {
    let lists = 0;
    const server = await scripted((_req, url, res) => {
      if (url.searchParams.get("watch") === "true") {
        return streamHead(res);
      }
      lists++;
      const cont = url.searchParams.get("continue");
      if (cont === null)
        return json(res, 200, { kind: "PodList", metadata: { resourceVersion: String(20 + lists), continue: `page2-${lists}` }, items: [rawPod("a", "5")] });
      if (lists === 2)
        return json(res, 410, { kind: "Status", status: "Failure", reason: "Expired", code: 410, message: "The provided continue parameter is too old" });
      return json(res, 200, { kind: "PodList", metadata: { resourceVersion: "99" }, items: [rawPod("b", "6")] });
    });
    const api = createKubeApi({ server: server.url, source: "test" }, { backoff: { baseMs: 5, maxMs: 20 } });
    cleanups.push(() => api.close());
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("watching") === 1, "the watch");
    await stop(w);
    assert.equal(lists, 4, "page 1, expired page 2, page 1 again, page 2");
    const [sync] = w.rec.syncs();
    assert.deepEqual(
      sync?.pods.map((p) => p.metadata.name),
      ["a", "b"],
    );
    assert.equal(sync?.resourceVersion, "23", "the version of the list's first page");
    assert.equal(w.rec.count("retrying"), 0);
  });

  test("a list whose continue token never ends (a proxy dropping the parameter) is an error, not an endless list", async () => {
    let lists = 0;
    const server = await scripted((_req, url, res) => {
      if (url.searchParams.get("watch") === "true") return streamHead(res);
      lists++;
      // The continue parameter is lost on the way: every answer is the first page again.
      return json(res, 200, { kind: "PodList", metadata: { resourceVersion: "5", continue: "page-2" }, items: [rawPod(`p${lists}`, "5")] });
    });
    const api = createKubeApi({ server: server.url, source: "test" }, { backoff: { baseMs: 60_000, maxMs: 60_000 } });
    cleanups.push(() => api.close());
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("retrying") === 1, "the list given up", 5000);
    await stop(w);
    assert.match(w.rec.of("retrying")[0]?.error ?? "", /continue/);
    assert.ok(lists <= 3, `${lists} pages requested`);
    assert.equal(w.rec.syncs().length, 0);
  });

  test("a list that is not a PodList, a stream line that is not JSON, an unknown event type: reported, never a crash", async () => {
    let lists = 0;
    const server = await scripted((_req, url, res) => {
      if (url.searchParams.get("watch") !== "true") {
        lists++;
        if (lists === 1) {
          res.writeHead(200, { "content-type": "text/html" });
          return res.end("<html>proxy login</html>");
        }
        if (lists === 2) return json(res, 200, { kind: "PodList", metadata: { resourceVersion: "1" }, items: { not: "a list" } });
        return json(res, 200, { kind: "PodList", metadata: { resourceVersion: "1" }, items: [] });
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.write("this is not json\n");
      res.write(line("SURPRISE", {}));
      res.write(`${JSON.stringify({ object: {} })}\n`);
      res.write(line("ADDED", rawPod("ok", "2")));
    });
    const api = createKubeApi({ server: server.url, source: "test" }, { backoff: { baseMs: 5, maxMs: 20 } });
    cleanups.push(() => api.close());
    const w = startWatch(api);
    await w.rec.until(() => w.rec.changes().length === 1, "the good pod");
    await stop(w);
    const retrying = w.rec.of("retrying");
    assert.equal(retrying.length, 2);
    assert.match(retrying[0]?.error ?? "", /not JSON \(content-type text\/html\).*proxy login/);
    assert.match(retrying[1]?.error ?? "", /items: expected an array/);
    const skipped = w.rec.of("skipped").map((s) => s.error);
    assert.equal(skipped.length, 3);
    assert.match(skipped[0] ?? "", /not JSON/);
    assert.match(skipped[1] ?? "", /unknown watch event type "SURPRISE"/);
    assert.match(skipped[2] ?? "", /type: missing/);
  });

  test("a server that ends the watch normally is watched again at once, from the last version", async () => {
    let watches = 0;
    const seen: string[] = [];
    const server = await scripted((_req, url, res) => {
      if (url.searchParams.get("watch") !== "true") return json(res, 200, { kind: "PodList", metadata: { resourceVersion: "1" }, items: [] });
      watches++;
      seen.push(url.searchParams.get("resourceVersion") ?? "");
      streamHead(res);
      if (watches <= 3) res.end(line("ADDED", rawPod(`p${watches}`, String(watches + 1))));
    });
    const api = createKubeApi({ server: server.url, source: "test" }, { backoff: { baseMs: 60_000, maxMs: 60_000 } });
    cleanups.push(() => api.close());
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("watching") === 4, "the fourth watch");
    await stop(w);
    assert.deepEqual(seen, ["1", "2", "3", "4"]);
    assert.equal(w.rec.count("retrying"), 0, "no back-off (it is a minute here)");
  });

  test("a server that ends every watch at once, silent, is backed off from, further each time", async () => {
    const server = await scripted((_req, url, res) => {
      if (url.searchParams.get("watch") !== "true") return json(res, 200, { kind: "PodList", metadata: { resourceVersion: "1" }, items: [] });
      streamHead(res);
      res.end();
    });
    const api = createKubeApi({ server: server.url, source: "test" }, { backoff: { baseMs: 2, maxMs: 50 } });
    cleanups.push(() => api.close());
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("retrying") === 3, "three back-offs");
    await stop(w);
    assert.deepEqual(
      w.rec.of("retrying").map((r) => r.attempt),
      [1, 2, 3],
    );
    assert.match(w.rec.of("retrying")[0]?.error ?? "", /ended 3 watches in a row as soon as they started/);
    assert.equal(w.rec.syncs().length, 1);
  });

  test("a watch that is accepted and then cut at once, every time, is backed off from further each time", async () => {
    // A proxy or load balancer in front of the API server that answers and then drops the stream.
    let watches = 0;
    const server = await scripted((req, url, res) => {
      if (url.searchParams.get("watch") !== "true") return json(res, 200, { kind: "PodList", metadata: { resourceVersion: "1" }, items: [] });
      watches++;
      streamHead(res);
      setImmediate(() => req.socket.destroy());
    });
    const api = createKubeApi({ server: server.url, source: "test" }, { backoff: { baseMs: 2, maxMs: 1000 } });
    cleanups.push(() => api.close());
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("retrying") === 7, "seven back-offs");
    await stop(w);
    const attempts = w.rec.of("retrying").map((r) => r.attempt);
    assert.ok((attempts.at(-1) ?? 0) >= 4, `the back-off grows (attempts ${attempts.join(", ")}), it does not restart at 1 on each connect`);
    assert.ok(watches <= 8, `${watches} watch requests`);
    assert.equal(w.rec.syncs().length, 1);
  });

  test("an ERROR that is not 410 backs off and resumes from the same version", async () => {
    let watches = 0;
    const seen: string[] = [];
    const server = await scripted((_req, url, res) => {
      if (url.searchParams.get("watch") !== "true") return json(res, 200, { kind: "PodList", metadata: { resourceVersion: "7" }, items: [] });
      watches++;
      seen.push(url.searchParams.get("resourceVersion") ?? "");
      streamHead(res);
      if (watches === 1) res.end(line("ERROR", { kind: "Status", status: "Failure", message: "etcd is sad", reason: "InternalError", code: 500 }));
    });
    const api = createKubeApi({ server: server.url, source: "test" }, { backoff: { baseMs: 5, maxMs: 20 } });
    cleanups.push(() => api.close());
    const w = startWatch(api);
    await w.rec.until(() => w.rec.count("watching") === 2, "the second watch");
    await stop(w);
    assert.deepEqual(seen, ["7", "7"]);
    assert.match(w.rec.of("retrying")[0]?.error ?? "", /watch ERROR 500 InternalError: etcd is sad/);
    assert.equal(w.rec.syncs().length, 1);
  });

  test("an event handler that throws does not stop the watch", async () => {
    const server = await scripted((_req, url, res) => {
      if (url.searchParams.get("watch") !== "true") return json(res, 200, { kind: "PodList", metadata: { resourceVersion: "1" }, items: [] });
      res.writeHead(200, { "content-type": "application/json" });
      res.write(line("ADDED", rawPod("a", "2")) + line("ADDED", rawPod("b", "3")));
    });
    const logs: string[] = [];
    const api = createKubeApi({ server: server.url, source: "test" }, { log: (level, m) => logs.push(`${level} ${m}`) });
    cleanups.push(() => api.close());
    const names: string[] = [];
    const abort = new AbortController();
    let resolveB: () => void = () => undefined;
    const gotB = new Promise<void>((r) => (resolveB = r));
    const done = api.watchPods({
      nodeName: "node-a",
      signal: abort.signal,
      onEvent: (e) => {
        if (e.type === "sync") return;
        names.push(e.pod.metadata.name);
        if (e.pod.metadata.name === "a") throw new Error("consumer bug");
        resolveB();
      },
    });
    await gotB;
    abort.abort();
    await done;
    assert.deepEqual(names, ["a", "b"]);
    assert.ok(
      logs.some((l) => l.startsWith("warn") && l.includes("consumer bug")),
      logs.join("\n"),
    );
  });
});

describe("watch internals", () => {
  test("LineSplitter joins lines split across chunks and drops an overlong one", () => {
    const s = new LineSplitter(16);
    const texts = (items: ReturnType<LineSplitter["push"]>) => items.map((i) => (i.kind === "line" ? i.line.toString() : "<overlong>"));
    assert.deepEqual(texts(s.push(Buffer.from('{"a":'))), []);
    assert.deepEqual(texts(s.push(Buffer.from('1}\n{"b":2}\n\n  \n{"c"'))), ['{"a":1}', '{"b":2}']);
    assert.equal(s.pending(), 4);
    assert.deepEqual(texts(s.push(Buffer.from(":3}\r\n"))), ['{"c":3}\r']);
    assert.deepEqual(texts(s.push(Buffer.from("x".repeat(10)))), []);
    assert.deepEqual(texts(s.push(Buffer.from("y".repeat(10)))), []);
    assert.ok(s.pending() <= 16);
    assert.deepEqual(texts(s.push(Buffer.from('zzz\n{"d":4}\n'))), ["<overlong>", '{"d":4}']);
    assert.equal(s.pending(), 0);
  });

  test("backoffDelay doubles up to the cap, jitters within the upper half, and never undercuts Retry-After", () => {
    assert.equal(
      backoffDelay(1, 500, 30_000, undefined, () => 0),
      250,
    );
    assert.equal(
      backoffDelay(1, 500, 30_000, undefined, () => 1),
      500,
    );
    assert.equal(
      backoffDelay(3, 500, 30_000, undefined, () => 1),
      2000,
    );
    assert.equal(
      backoffDelay(50, 500, 30_000, undefined, () => 1),
      30_000,
    );
    assert.equal(
      backoffDelay(50, 500, 30_000, undefined, () => 0),
      15_000,
    );
    assert.equal(
      backoffDelay(1, 500, 30_000, 5, () => 0),
      5000,
    );
    assert.equal(
      backoffDelay(1, 500, 30_000, 1_000_000, () => 0),
      600_000,
      "a Retry-After is capped at ten minutes",
    );
  });
});
