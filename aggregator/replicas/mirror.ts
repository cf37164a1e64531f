// Brings the nodes other replicas hold into this replica's ClusterState: every refresh reads every
// node's row without its report (small), then the reports only of nodes whose latest report this
// replica has not read yet, and hands each to ClusterState.mirror (which leaves alone the nodes
// whose streams this replica holds). Nodes gone from the database are forgotten here too.

import { measureReport } from "../../core/protocol/index.js";
import type { ClusterState } from "../cluster-state.js";
import { decodeReport } from "../store/index.js";
import type { NodeSummary, ReplicaDatabase } from "./database.js";

/** Nodes applied between two turns of the event loop. */
const YIELD_EVERY = 500;

export class NodeMirror {
  /** node → the last_report_ms whose report was read (or found absent). */
  private readonly read = new Map<string, number>();

  constructor(
    private readonly db: Pick<ReplicaDatabase, "summaries" | "reports">,
    private readonly state: ClusterState,
  ) {}

  async refresh(): Promise<void> {
    const rows = (await this.db.summaries()).filter((r) => !this.state.hasStream(r.node));
    const stale = rows.filter((r) => this.read.get(r.node) !== r.lastReportMs);
    const reports = await this.db.reports(stale.filter((r) => r.hasReport).map((r) => r.node));
    const fresh = new Set(stale.map((r) => r.node));
    for (const [i, row] of rows.entries()) {
      this.apply(row, fresh.has(row.node), reports.get(row.node));
      // Thousands of nodes: the event loop is let go now and then, so acks are not held up.
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
    }
    this.forgetGone(rows);
  }

  private apply(row: NodeSummary, reportChanged: boolean, encoded: string | undefined): void {
    const { hasReport: _, ...rec } = row;
    const base = { ...rec, ...(rec.connected ? {} : { disconnectedMs: rec.lastSeenMs }) };
    if (!reportChanged) {
      this.state.mirror({ ...base, report: undefined });
      return;
    }
    const report = encoded === undefined ? undefined : decodeReport(encoded);
    this.state.mirror({ ...base, report }, report === undefined ? 0 : measureReport(report).bytes);
    this.read.set(row.node, row.lastReportMs);
  }

  /** Nodes another replica's housekeeping deleted (those held here stay: they are plainly not gone). */
  private forgetGone(rows: NodeSummary[]): void {
    const known = new Set(rows.map((r) => r.node));
    for (const rec of this.state.nodes()) {
      if (known.has(rec.node) || this.state.hasStream(rec.node)) continue;
      // Connected at the last refresh, as another replica held it then: it is not held anywhere now.
      if (rec.connected) this.state.mirror({ ...rec, connected: false, disconnectedMs: rec.lastSeenMs });
      this.state.forget(rec.node);
      this.read.delete(rec.node);
    }
  }
}
