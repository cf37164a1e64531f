// /api/v1/nodes: one line per node.

import type { NodeConditionReport } from "../../core/protocol/index.js";
import type { ClusterState, NodeRecord } from "../cluster-state.js";
import { defineView } from "./view.js";

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

export function nodesView(nodes: NodeRecord[], now: number, state: ClusterState): NodeView[] {
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

export const nodesApi = defineView({
  name: "nodes",
  path: "/api/v1/nodes",
  compute: ({ state, now }) => ({ nodes: nodesView(state.nodes(), now, state) }),
});
