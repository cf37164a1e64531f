import assert from "node:assert/strict";
import { test } from "node:test";
import { ClusterState, isStaleRecord, type NodeRecord, TooManyNodesError } from "../../aggregator/cluster-state.js";
import { normalizeReport } from "../../aggregator/store/index.js";
import type { Hello, NodeReport } from "../../core/protocol/protocol.js";

// The aggregator's in-memory cluster view: one record per node, connected while a stream is open,
// stale after 3 missed report intervals, bounded by maxNodes. The clock is passed in, so every
// time here is exact.

const T0 = 1_700_000_000_000;

function hello(node: string, over: Partial<Hello> = {}): Hello {
  return { node, agentVersion: "0.1.0", bootId: `boot-${node}`, reportIntervalSeconds: 10, protocol: "pullmedic.v1", ...over };
}

function report(over: Partial<NodeReport> = {}): NodeReport {
  return normalizeReport({ observedAtMs: T0, runtime: "containerd 1.7.2", ...over });
}

test("hello makes a connected record; a report is kept through a reconnect and a new boot", () => {
  const state = new ClusterState();
  const rec = state.hello(hello("n1"), T0);
  assert.equal(rec.connected, true);
  assert.equal(rec.firstSeenMs, T0);
  assert.equal(rec.lastSeenMs, T0);
  assert.equal(rec.lastReportMs, 0);
  assert.equal(rec.report, undefined);

  const r = report();
  state.report("n1", r, T0 + 1000);
  assert.equal(state.node("n1")?.report, r);
  assert.equal(state.node("n1")?.lastReportMs, T0 + 1000);

  state.disconnected("n1", T0 + 2000);
  assert.equal(state.node("n1")?.connected, false);
  assert.equal(state.node("n1")?.disconnectedMs, T0 + 2000);

  const again = state.hello(hello("n1", { bootId: "boot-2", agentVersion: "0.2.0", reportIntervalSeconds: 30 }), T0 + 3000);
  assert.equal(again, rec, "the same record, updated in place");
  assert.equal(again.connected, true);
  assert.equal(again.disconnectedMs, undefined);
  assert.equal(again.bootId, "boot-2");
  assert.equal(again.agentVersion, "0.2.0");
  assert.equal(again.reportIntervalSeconds, 30);
  assert.equal(again.report, r, "the report it had stays until the next");
  assert.equal(again.firstSeenMs, T0);
  assert.equal(state.size, 1);
});

test("a report from a node that never said hello throws; seen() and disconnected() ignore unknown nodes", () => {
  const state = new ClusterState();
  assert.throws(() => state.report("ghost", report(), T0), /ghost.*before its hello/);
  state.seen("ghost", T0);
  state.disconnected("ghost", T0);
  assert.equal(state.size, 0);
});

test("a node is stale after 3 missed report intervals, counted from its last message of any kind", () => {
  const state = new ClusterState();
  const rec = state.hello(hello("n1", { reportIntervalSeconds: 10 }), T0);
  assert.equal(state.isStale(rec, T0 + 30_000), false, "exactly 3 intervals is not yet stale");
  assert.equal(state.isStale(rec, T0 + 30_001), true);

  state.seen("n1", T0 + 25_000); // a finding or a command update
  assert.equal(state.isStale(rec, T0 + 50_000), false);
  assert.equal(state.isStale(rec, T0 + 55_001), true);

  state.report("n1", report(), T0 + 60_000);
  assert.equal(state.isStale(rec, T0 + 60_000 + 29_999), false);
  assert.equal(state.isStale(rec, T0 + 60_000 + 30_001), true);

  state.seen("n1", T0); // an older time does not move lastSeen back
  assert.equal(rec.lastSeenMs, T0 + 60_000);

  // A disconnected node turns stale the same way; the disconnect itself is no sign of life.
  state.disconnected("n1", T0 + 70_000);
  assert.equal(rec.lastSeenMs, T0 + 60_000);
  assert.equal(state.isStale(rec, T0 + 90_001), true);
});

test("staleAfterIntervals is configurable, and a node without an interval is judged by 30 s", () => {
  const state = new ClusterState({ staleAfterIntervals: 2 });
  const rec = state.hello(hello("n1", { reportIntervalSeconds: 60 }), T0);
  assert.equal(state.isStale(rec, T0 + 120_000), false);
  assert.equal(state.isStale(rec, T0 + 120_001), true);

  const silent: NodeRecord = { ...rec, reportIntervalSeconds: 0 };
  assert.equal(isStaleRecord(silent, T0 + 90_000), false);
  assert.equal(isStaleRecord(silent, T0 + 90_001), true);
  assert.throws(() => new ClusterState({ staleAfterIntervals: 0 }), /staleAfterIntervals/);
});

test("beyond maxNodes a new node is refused with an error; known nodes keep working", () => {
  const state = new ClusterState({ maxNodes: 2 });
  state.hello(hello("a"), T0);
  state.hello(hello("b"), T0);
  assert.throws(
    () => state.hello(hello("c"), T0),
    (err: unknown) => err instanceof TooManyNodesError && /"c" refused.*2 nodes/.test(err.message),
  );
  assert.equal(state.size, 2);
  assert.equal(state.node("c"), undefined);
  state.disconnected("a", T0);
  assert.equal(state.hello(hello("a"), T0 + 1).connected, true);
});

test("a reconnect's hello before the old stream's end leaves the node connected", () => {
  const state = new ClusterState();
  state.hello(hello("n1"), T0); // stream 1
  state.hello(hello("n1"), T0 + 10); // stream 2: the agent reconnected, stream 1 not yet noticed dead
  state.disconnected("n1", T0 + 20); // stream 1 ends
  assert.equal(state.node("n1")?.connected, true);
  state.disconnected("n1", T0 + 30); // stream 2 ends
  assert.equal(state.node("n1")?.connected, false);
  state.disconnected("n1", T0 + 40); // one too many does no harm
  state.hello(hello("n1"), T0 + 50);
  assert.equal(state.node("n1")?.connected, true);
});

test("restore brings records back disconnected, not over a node that already said hello, beyond maxNodes too", () => {
  const state = new ClusterState({ maxNodes: 1 });
  const stored = (node: string): NodeRecord => ({
    node,
    agentVersion: "0.0.9",
    bootId: "old",
    reportIntervalSeconds: 10,
    connected: true,
    firstSeenMs: T0 - 5000,
    lastSeenMs: T0 - 1000,
    lastReportMs: T0 - 1000,
    report: report(),
  });
  state.hello(hello("live"), T0);
  state.restore(stored("live"));
  state.restore(stored("zeta"));
  state.restore(stored("alpha"));
  assert.equal(state.size, 3);
  assert.equal(state.node("live")?.bootId, "boot-live", "the live record wins");
  assert.equal(state.node("zeta")?.connected, false);
  assert.equal(state.node("alpha")?.report?.runtime, "containerd 1.7.2");
  assert.deepEqual(
    state.nodes().map((n) => n.node),
    ["alpha", "live", "zeta"],
  );
  // A report for a restored node is taken (its hello came in the aggregator's previous life).
  state.report("zeta", report({ runtime: "cri-o 1.29" }), T0 + 5);
  assert.equal(state.node("zeta")?.report?.runtime, "cri-o 1.29");
});

test("nodes() is sorted by name and a copy: changing it changes nothing", () => {
  const state = new ClusterState();
  for (const n of ["node-b", "node-a", "Node-C", "node-10", "node-9"]) state.hello(hello(n), T0);
  const first = state.nodes();
  assert.deepEqual(
    first.map((n) => n.node),
    ["Node-C", "node-10", "node-9", "node-a", "node-b"],
  );
  first.pop();
  assert.equal(state.nodes().length, 5);
  state.hello(hello("node-0"), T0);
  assert.equal(state.nodes()[1]?.node, "node-0");
  assert.equal(state.node("node-a")?.node, "node-a");
});

test("forget drops a disconnected node (gone from the cluster) and frees its place, never a connected one", () => {
  const state = new ClusterState({ maxNodes: 2 });
  state.hello(hello("a"), T0);
  state.hello(hello("b"), T0);
  assert.equal(state.forget("a"), false, "connected");
  state.disconnected("a", T0 + 1);
  assert.equal(state.forget("a"), true);
  assert.equal(state.forget("a"), false, "already gone");
  assert.deepEqual(
    state.nodes().map((n) => n.node),
    ["b"],
  );
  state.hello(hello("c"), T0 + 2);
  assert.equal(state.size, 2);
});
