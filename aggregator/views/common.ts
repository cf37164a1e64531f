// What every view shares: staleness without a ClusterState, bounds, and orderings.

import { DEFAULT_STALE_AFTER_INTERVALS, isStaleRecord, type NodeRecord } from "../cluster-state.js";

export interface ViewOptions {
  /** Missed report intervals after which a node is stale (ClusterState's setting). Default 3. */
  staleAfterIntervals?: number;
}

/** Long lists in a view (pods of a failure group, its nodes) are cut to this many, with a count. */
export const MAX_LISTED = 100;

export function staleness(opts: ViewOptions | undefined): (rec: NodeRecord, now: number) => boolean {
  const intervals = opts?.staleAfterIntervals ?? DEFAULT_STALE_AFTER_INTERVALS;
  return (rec, now) => isStaleRecord(rec, now, intervals);
}

/** Code-point order: the same on every machine, whatever its locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
