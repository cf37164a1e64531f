// /api/v1/nodes: one line per node.

import type { NodeConditionReport } from "../../core/protocol/index.js";
import type { NodeRecord } from "../cluster-state.js";
import { oneOf } from "../query.js";
import { pageFields, pageOf, pageQuery } from "./page.js";
import { defineView, type NodeSource } from "./view.js";

export interface NodeView {
  node: string;
  agentVersion: string;
  connected: boolean;
  /** No message for more than staleAfterIntervals report intervals: what it shows is old. */
  stale: boolean;
  lastSeenMs: number;
  lastReportMs: number;
  /** The runtime's name and version, "" when unknown. */
  runtime: string;
  /** Why the runtime cannot be reached, "" when it can. */
  runtimeProblem: string;
  /** Open pull failures (containers) in the latest report. */
  failures: number;
  /** Checks that failed at their latest run: check name → error in words. */
  checkErrors: Record<string, string>;
  conditions: NodeConditionReport[];
  firstSeenMs: number;
  reportIntervalSeconds: number;
  /** A report has arrived (now or before a restart); false means every other field is from hello only. */
  reported: boolean;
}

export function nodesView(nodes: NodeRecord[], now: number, state: Pick<NodeSource, "isStale">): NodeView[] {
  return nodes.map((rec) => {
    const r = rec.report;
    return {
      node: rec.node,
      agentVersion: rec.agentVersion,
      connected: rec.connected,
      stale: state.isStale(rec, now),
      lastSeenMs: rec.lastSeenMs,
      lastReportMs: rec.lastReportMs,
      runtime: r?.runtime ?? "",
      runtimeProblem: r?.runtimeProblem ?? "",
      failures: r?.failures.length ?? 0,
      checkErrors: r?.checkErrors ?? {},
      conditions: r?.conditions ?? [],
      firstSeenMs: rec.firstSeenMs,
      reportIntervalSeconds: rec.reportIntervalSeconds,
      reported: r !== undefined,
    };
  });
}

/**
 * How much a node needs someone to look at it, most first: 0 its runtime cannot be reached, 1 it is
 * disconnected or stale, 2 it has failing pods, failed checks or a problem condition, 3 nothing.
 */
function attentionRank(n: NodeView): number {
  if (n.runtimeProblem !== "") return 0;
  if (!n.connected || n.stale) return 1;
  const condition = n.conditions.some((c) => (c.type === "Ready" ? c.status === "False" : c.status === "True"));
  return n.failures > 0 || Object.keys(n.checkErrors).length > 0 || condition ? 2 : 3;
}

interface NodeCounts {
  /** Connected and not stale. */
  connected: number;
  stale: number;
  /** Disconnected and not (yet) stale. */
  disconnected: number;
  /** Nodes that need someone to look (attentionRank below 3). */
  attention: number;
  runtimeProblems: number;
}

function nodeCounts(nodes: readonly NodeView[]): NodeCounts {
  const c: NodeCounts = { connected: 0, stale: 0, disconnected: 0, attention: 0, runtimeProblems: 0 };
  for (const n of nodes) {
    if (n.stale) c.stale++;
    else if (n.connected) c.connected++;
    else c.disconnected++;
    if (attentionRank(n) < 3) c.attention++;
    if (n.runtimeProblem !== "") c.runtimeProblems++;
  }
  return c;
}

export const nodesApi = defineView({
  name: "nodes",
  path: "/api/v1/nodes",
  // order=attention: the nodes that need someone first (what the dashboard shows), else by name.
  query: { ...pageQuery(500, 5000), order: oneOf(["name", "attention"] as const) },
  compute: ({ state, now }, { limit, continue: offset, order }) => {
    const all = nodesView(state.nodes(), now, state);
    // Array sort is stable: within a rank, by name.
    const listed = order === "attention" ? [...all].sort((a, b) => attentionRank(a) - attentionRank(b)) : all;
    const page = pageOf(listed, limit, offset);
    return { nodes: page.items, ...pageFields(page), counts: nodeCounts(all) };
  },
});
