import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { test } from "node:test";
import { ClusterState } from "../../aggregator/cluster-state.js";
import type { Answer } from "../../aggregator/http/answer.js";
import { viewAnswer } from "../../aggregator/http/api.js";
import { aggregatorRoutes, findRoute, type RouteSources } from "../../aggregator/http/routes.js";
import { ViewCache } from "../../aggregator/http/view-cache.js";
import { createAggregatorMetrics } from "../../aggregator/metrics.js";
import type { Store } from "../../aggregator/store/index.js";
import { VIEWS, type View } from "../../aggregator/views/index.js";

// The views' answers are computed once per window: what a dashboard sees is the answer of a
// computation at most the window old, never another view's, page's or filter's.

const T0 = 1_700_000_000_000;
const WINDOW = 1000;

function served(name: string): View {
  const view = VIEWS.find((v) => v.name === name);
  assert.ok(view, name);
  return view;
}
const nodesApi = served("nodes");
const disksApi = served("disks");

function cluster(nodes: number): ClusterState {
  const state = new ClusterState();
  for (let i = 0; i < nodes; i++) state.hello({ node: `node-${i}`, agentVersion: "1", bootId: "b", reportIntervalSeconds: 10, protocol: "pullmedic.v1" }, T0);
  return state;
}

/** The view, counting its computations. */
function counted(view: View): View & { count: number } {
  const c = {
    ...view,
    count: 0,
    compute: (ctx: Parameters<View["compute"]>[0], params: URLSearchParams) => {
      c.count++;
      return view.compute(ctx, params);
    },
  };
  return c;
}

function api(state: ClusterState, windowMs = WINDOW) {
  const clock = { now: T0 };
  const sources = { state, store: {} as Store, now: () => clock.now, views: new ViewCache<Promise<Answer>>({ windowMs }) };
  const ask = (view: View, query = "") => viewAnswer(view, new URL(`http://aggregator${view.path}${query}`), sources);
  return { clock, sources, ask };
}

const body = (a: Answer) => JSON.parse(String(a.body)) as Record<string, unknown> & { nodes: { node: string; stale: boolean }[] };

test("ten identical requests within the window compute the view once, and get the same bytes", async () => {
  const { clock, ask, sources } = api(cluster(5));
  const view = counted(nodesApi);
  const asked = Array.from({ length: 10 }, (_, i) => {
    clock.now = T0 + i * 99;
    return ask(view, "?limit=100&order=attention");
  });
  const answers = await Promise.all(asked);
  assert.equal(view.count, 1);
  assert.ok(answers.every((a) => a.body === answers[0]?.body));
  assert.equal(body(answers[9] as Answer)["generatedAt"], T0, "generatedAt says when it was computed");
  assert.deepEqual([sources.views.hits, sources.views.misses], [9, 1]);
});

test("a change to the cluster shows once the window has passed, and staleness follows the time", async () => {
  const state = cluster(2);
  const { clock, ask } = api(state);
  const view = counted(nodesApi);
  assert.equal(body(await ask(view)).nodes.length, 2);
  state.hello({ node: "node-new", agentVersion: "1", bootId: "b", reportIntervalSeconds: 10, protocol: "pullmedic.v1" }, T0 + 10);
  clock.now = T0 + WINDOW - 1;
  assert.equal(body(await ask(view)).nodes.length, 2, "within the window: the answer computed at T0");
  clock.now = T0 + WINDOW;
  assert.equal(body(await ask(view)).nodes.length, 3);
  assert.equal(view.count, 2);
  // Three intervals of 10 s without a message: stale, shown within one window.
  clock.now = T0 + 30_001;
  assert.ok(body(await ask(view)).nodes.every((n) => n.stale === (n.node !== "node-new")));
});

test("the cached answer is byte-identical to the uncached one for the same state and time", async () => {
  const state = cluster(7);
  const cached = api(state);
  const direct = api(state, 0);
  for (const query of ["", "?limit=2", "?limit=3&order=attention", "?limit=2&continue=eyJvIjoyfQ"]) {
    await cached.ask(nodesApi, query);
    assert.equal((await cached.ask(nodesApi, query)).body, (await direct.ask(nodesApi, query)).body, query);
  }
  const view = counted(disksApi);
  await direct.ask(view);
  await direct.ask(view);
  assert.equal(view.count, 2, "a window of 0 computes every request");
});

test("pages, orders and views are kept apart; parameters a view does not read are not", async () => {
  const { ask } = api(cluster(5));
  const nodes = counted(nodesApi);
  const disks = counted(disksApi);
  const first = body(await ask(nodes, "?limit=2"));
  const second = body(await ask(nodes, `?limit=2&continue=${first["continue"] as string}`));
  const wide = body(await ask(nodes, "?limit=3"));
  assert.deepEqual(
    first.nodes.map((n) => n.node),
    ["node-0", "node-1"],
  );
  assert.deepEqual(
    second.nodes.map((n) => n.node),
    ["node-2", "node-3"],
  );
  assert.equal(wide.nodes.length, 3);
  assert.ok("disks" in body(await ask(disks, "?limit=2")), "the disks view's own answer, not the nodes page of the same query");
  assert.equal(nodes.count, 3);
  // An empty parameter counts as absent, as the views read it; one they do not read changes nothing.
  await ask(nodes, "?limit=2&_=123");
  await ask(nodes, "?order=&limit=2");
  assert.equal(nodes.count, 3);
  assert.equal(disks.count, 1);
});

test("a bad parameter is answered each time, never kept", async () => {
  const { ask, sources } = api(cluster(1));
  const view = counted(nodesApi);
  await assert.rejects(ask(view, "?limit=0"), /limit/);
  await assert.rejects(ask(view, "?limit=0"), /limit/);
  assert.equal(view.count, 2);
  assert.equal(sources.views.size, 0);
});

test("the cache holds at most its entries and drops what the window passed", async () => {
  const cache = new ViewCache<number>({ windowMs: WINDOW, maxEntries: 3 });
  let computed = 0;
  for (let i = 0; i < 5; i++) cache.get(`k${i}`, T0, () => ++computed);
  assert.equal(cache.size, 3);
  assert.equal(
    cache.get("k4", T0 + 1, () => -1),
    5,
  );
  cache.get("k5", T0 + WINDOW, () => ++computed);
  assert.equal(cache.size, 1, "every entry of the old window is gone");
  const heavy = new ViewCache<string>({ windowMs: WINDOW, maxWeight: 10, weigh: (v) => v.length });
  heavy.get("a", T0, () => "123456");
  heavy.get("b", T0, () => "123456");
  assert.equal(heavy.size, 1, "the oldest goes when the new one would not fit");
  heavy.get("c", T0, () => "12345678901");
  assert.equal(heavy.size, 1, "a value heavier than the whole budget is not kept");
  let again = 0;
  heavy.get("c", T0, () => String(++again));
  assert.equal(again, 1);
  assert.throws(() => new ViewCache({ windowMs: -1 }), /window/);
});

test("the metrics count the answers served from the cache and those computed", async () => {
  const metrics = await createAggregatorMetrics({ nodes: () => [], isStale: () => false, now: () => T0 });
  const state = cluster(3);
  const deps = { state, store: {} as Store, now: () => T0, metrics, viewCacheWindowMs: WINDOW } as unknown as RouteSources;
  const route = findRoute(aggregatorRoutes(deps), "/api/v1/nodes");
  assert.ok(route);
  const url = new URL("http://aggregator/api/v1/nodes?limit=2");
  for (let i = 0; i < 3; i++) await route.answer({ req: {} as IncomingMessage, url, path: url.pathname });
  const text = await metrics.render();
  assert.match(text, /pullmedic_aggregator_view_answers_total\{source="cache"\} 2/);
  assert.match(text, /pullmedic_aggregator_view_answers_total\{source="computed"\} 1/);
});
