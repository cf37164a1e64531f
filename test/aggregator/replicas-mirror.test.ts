import assert from "node:assert/strict";
import { test } from "node:test";
import { ClusterState } from "../../aggregator/cluster-state.js";
import type { NodeSummary } from "../../aggregator/replicas/database.js";
import { NodeMirror } from "../../aggregator/replicas/mirror.js";
import { encodeReport } from "../../aggregator/store/index.js";
import { hello, report } from "./agent-stream.js";

// A replica's view of the nodes other replicas hold, refreshed from the shared database: what
// another replica stored shows here; a node whose stream this replica holds keeps what it knows;
// a report is read again only when a newer one was stored; a node deleted elsewhere goes.

function summary(node: string, partial: Partial<NodeSummary> = {}): NodeSummary {
  return {
    node,
    agentVersion: "1.0.0",
    bootId: "boot",
    reportIntervalSeconds: 30,
    connected: true,
    firstSeenMs: 1000,
    lastSeenMs: 5000,
    lastReportMs: 5000,
    hasReport: true,
    ...partial,
  };
}

class FakeDatabase {
  rows: NodeSummary[] = [];
  stored = new Map<string, string>();
  reportReads: string[][] = [];
  async summaries(): Promise<NodeSummary[]> {
    return this.rows;
  }
  async reports(nodes: string[]): Promise<Map<string, string>> {
    this.reportReads.push(nodes);
    return new Map(nodes.flatMap((n) => (this.stored.has(n) ? [[n, this.stored.get(n)!] as const] : [])));
  }
}

test("nodes held elsewhere show here as stored; a node held here keeps what this replica knows", async () => {
  const state = new ClusterState();
  const db = new FakeDatabase();
  const mirror = new NodeMirror(db, state);
  state.hello(hello("local"), 9000);
  state.report("local", report({ runtime: "containerd local" }), 9000);
  db.rows = [summary("remote"), summary("local", { connected: false, lastSeenMs: 1 })];
  db.stored.set("remote", encodeReport(report({ runtime: "containerd remote" })));
  db.stored.set("local", encodeReport(report({ runtime: "stale copy" })));
  await mirror.refresh();

  assert.deepEqual(
    state.nodes().map((r) => [r.node, r.connected, r.report?.runtime]),
    [
      ["local", true, "containerd local"],
      ["remote", true, "containerd remote"],
    ],
  );
  assert.deepEqual(db.reportReads, [["remote"]]);
});

test("a report is read again only when a newer one was stored; disconnection and deletion elsewhere show", async () => {
  const state = new ClusterState();
  const db = new FakeDatabase();
  const mirror = new NodeMirror(db, state);
  db.rows = [summary("a"), summary("b")];
  db.stored.set("a", encodeReport(report({ runtime: "one" })));
  db.stored.set("b", encodeReport(report({ runtime: "b" })));
  await mirror.refresh();
  db.rows = [summary("a", { lastReportMs: 6000, lastSeenMs: 6000, connected: false })];
  db.stored.set("a", encodeReport(report({ runtime: "two" })));
  await mirror.refresh();
  await mirror.refresh();

  assert.deepEqual(db.reportReads, [["a", "b"], ["a"], []]);
  const a = state.node("a");
  assert.equal(a?.report?.runtime, "two");
  assert.equal(a?.connected, false);
  assert.equal(a?.disconnectedMs, 6000);
  assert.equal(state.node("b"), undefined, "a node deleted by another replica's housekeeping goes here too");
});
