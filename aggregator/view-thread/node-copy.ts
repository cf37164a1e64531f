// The view thread's copy of the cluster state's nodes: what the main thread handed over, applied
// in order, read by the views as they read the cluster state (nodes() by name, isStale()).

import { byNodeName, isStaleRecord, type NodeRecord } from "../cluster-state.js";
import type { ChangedNode } from "./messages.js";

export class NodeCopy {
  private readonly records = new Map<string, NodeRecord>();
  private sorted: NodeRecord[] | undefined;
  staleAfterIntervals: number;

  constructor(staleAfterIntervals: number) {
    this.staleAfterIntervals = staleAfterIntervals;
  }

  get size(): number {
    return this.records.size;
  }

  apply(changed: readonly ChangedNode[], dropped: readonly string[]): void {
    for (const { rec, report } of changed) {
      const held = this.records.get(rec.node);
      if (held === undefined) {
        this.records.set(rec.node, report ? rec : { ...rec, report: undefined });
        this.sorted = undefined;
        continue;
      }
      // Changed in place, so the sorted list stays valid: it changes only when nodes come or go.
      Object.assign(held, report ? rec : { ...rec, report: held.report });
      if (rec.disconnectedMs === undefined) delete held.disconnectedMs;
    }
    for (const node of dropped) if (this.records.delete(node)) this.sorted = undefined;
  }

  /** Every node, in ClusterState.nodes()'s order. */
  nodes(): NodeRecord[] {
    this.sorted ??= [...this.records.values()].sort(byNodeName);
    return this.sorted.slice();
  }

  isStale(rec: NodeRecord, now: number): boolean {
    return isStaleRecord(rec, now, this.staleAfterIntervals);
  }
}
