// The aggregator's live view of the cluster: the latest state of every node, in memory. One record
// per node, replaced in place, so memory grows with the node count (bounded by maxNodes), never
// with time, and the reports' memory is bounded by a budget (report-memory.ts). The store
// (store.ts) persists the same records; at start they come back through restore() as
// disconnected until their agents say hello again, each report only if it fits the budget.

import type { Hello, NodeReport } from "../core/protocol/index.js";
import { DEFAULT_REPORT_MEMORY_BYTES, ReportMemory } from "./report-memory.js";

export interface NodeRecord {
  node: string;
  agentVersion: string;
  bootId: string;
  reportIntervalSeconds: number;
  connected: boolean;
  firstSeenMs: number;
  /** The latest message of any kind from the node (staleness counts from here). */
  lastSeenMs: number;
  /** When the latest full report arrived (0 before the first). */
  lastReportMs: number;
  report: NodeReport | undefined;
  /** When the node's last stream ended (absent while connected or never known). */
  disconnectedMs?: number;
}

/** A node changed since the last takeChanges(): its record, live, and whether its report changed. */
export interface NodeChange {
  rec: NodeRecord;
  report: boolean;
}

export interface ClusterStateOptions {
  /** A node is stale after this many report intervals without a message. Default 3. */
  staleAfterIntervals?: number;
  /** Nodes kept at most; hello from a new node beyond this throws. Default 20,000. */
  maxNodes?: number;
  /** Estimated bytes the nodes' reports may hold (ReportMemory). Default 256 MiB. */
  reportMemoryBytes?: number;
}

export const DEFAULT_STALE_AFTER_INTERVALS = 3;
export const DEFAULT_MAX_NODES = 20_000;
/** The interval assumed for a node that announced none (0): the agent's default report interval. */
const FALLBACK_REPORT_INTERVAL_SECONDS = 30;

/** Thrown by hello() when a new node would exceed maxNodes. */
export class TooManyNodesError extends Error {
  constructor(
    readonly node: string,
    readonly maxNodes: number,
  ) {
    super(`node ${JSON.stringify(node)} refused: the aggregator already keeps ${maxNodes} nodes (its maxNodes limit)`);
    this.name = "TooManyNodesError";
  }
}

/**
 * Whether a node has missed more than `staleAfterIntervals` report intervals:
 * now - lastSeenMs > staleAfterIntervals × reportIntervalSeconds × 1000. A node that announced no
 * interval is judged by FALLBACK_REPORT_INTERVAL_SECONDS. Pure, for views that have no ClusterState.
 */
export function isStaleRecord(rec: NodeRecord, now: number, staleAfterIntervals = DEFAULT_STALE_AFTER_INTERVALS): boolean {
  const interval = rec.reportIntervalSeconds > 0 ? rec.reportIntervalSeconds : FALLBACK_REPORT_INTERVAL_SECONDS;
  return now - rec.lastSeenMs > staleAfterIntervals * interval * 1000;
}

/** Whether two records say the same, their reports aside. */
function sameFields(a: NodeRecord, b: NodeRecord): boolean {
  return (
    a.agentVersion === b.agentVersion &&
    a.bootId === b.bootId &&
    a.reportIntervalSeconds === b.reportIntervalSeconds &&
    a.connected === b.connected &&
    a.firstSeenMs === b.firstSeenMs &&
    a.lastSeenMs === b.lastSeenMs &&
    a.lastReportMs === b.lastReportMs &&
    a.disconnectedMs === b.disconnectedMs
  );
}

/** Records by node name, in code-point order (nodes()'s order, and the view thread's copy's). */
export function byNodeName(a: NodeRecord, b: NodeRecord): number {
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

export class ClusterState {
  readonly staleAfterIntervals: number;
  readonly maxNodes: number;
  /** What the reports hold of their budget: take() before a report is accepted, see report(). */
  readonly memory: ReportMemory;
  private readonly records = new Map<string, NodeRecord>();
  /** Open streams per node that said hello: a reconnect's hello may come before the old stream's end. */
  private readonly streams = new Map<string, number>();
  /** nodes() sorted, rebuilt only when a node is added. */
  private sorted: NodeRecord[] | undefined;
  /** While a copy elsewhere follows this state (trackChanges): node → whether its report changed. */
  private changes: Map<string, boolean> | undefined;
  /** Nodes forgotten since the last takeChanges(), while tracking. */
  private readonly dropped = new Set<string>();

  constructor(opts: ClusterStateOptions = {}) {
    this.staleAfterIntervals = opts.staleAfterIntervals ?? DEFAULT_STALE_AFTER_INTERVALS;
    this.maxNodes = opts.maxNodes ?? DEFAULT_MAX_NODES;
    if (!(this.staleAfterIntervals > 0)) throw new Error(`staleAfterIntervals must be above 0, not ${this.staleAfterIntervals}`);
    if (!(this.maxNodes >= 1)) throw new Error(`maxNodes must be at least 1, not ${this.maxNodes}`);
    this.memory = new ReportMemory({ budgetBytes: opts.reportMemoryBytes ?? DEFAULT_REPORT_MEMORY_BYTES, maxNodes: this.maxNodes });
  }

  get size(): number {
    return this.records.size;
  }

  /**
   * A stream said hello: the node is connected, its identity and interval are updated, and the
   * report it had (from before a reconnect or a restart of either side) is kept until the next.
   * Call once per stream; pair with one disconnected() when that stream ends.
   */
  hello(h: Hello, now: number): NodeRecord {
    let rec = this.records.get(h.node);
    if (rec === undefined) {
      if (this.records.size >= this.maxNodes) throw new TooManyNodesError(h.node, this.maxNodes);
      rec = {
        node: h.node,
        agentVersion: h.agentVersion,
        bootId: h.bootId,
        reportIntervalSeconds: h.reportIntervalSeconds,
        connected: true,
        firstSeenMs: now,
        lastSeenMs: now,
        lastReportMs: 0,
        report: undefined,
      };
      this.add(rec);
      this.changed(h.node, true);
    } else {
      this.changed(h.node, false);
      rec.agentVersion = h.agentVersion;
      rec.bootId = h.bootId;
      rec.reportIntervalSeconds = h.reportIntervalSeconds;
      rec.connected = true;
      delete rec.disconnectedMs;
      rec.lastSeenMs = Math.max(rec.lastSeenMs, now);
    }
    this.streams.set(h.node, (this.streams.get(h.node) ?? 0) + 1);
    return rec;
  }

  /**
   * A full report replaces the node's previous one. Throws for a node that never said hello. Its
   * memory is taken from the budget before (memory.take, when the report is accepted).
   */
  report(node: string, r: NodeReport, now: number): NodeRecord {
    const rec = this.records.get(node);
    if (rec === undefined) throw new Error(`report from node ${JSON.stringify(node)} before its hello`);
    rec.report = r;
    rec.lastReportMs = now;
    rec.lastSeenMs = Math.max(rec.lastSeenMs, now);
    this.changed(node, true);
    return rec;
  }

  /** Any message is a sign of life. Unknown nodes are ignored. */
  seen(node: string, now: number): void {
    const rec = this.records.get(node);
    if (rec === undefined || now <= rec.lastSeenMs) return;
    rec.lastSeenMs = now;
    this.changed(node, false);
  }

  /** One of the node's streams ended; the node is disconnected when none is left. */
  disconnected(node: string, now: number): void {
    const rec = this.records.get(node);
    if (rec === undefined) return;
    const open = Math.max(0, (this.streams.get(node) ?? 0) - 1);
    if (open > 0) {
      this.streams.set(node, open);
      return;
    }
    this.streams.delete(node);
    rec.connected = false;
    rec.disconnectedMs = now;
    this.changed(node, false);
  }

  /**
   * A record from the store at start: kept as disconnected (its agent has to say hello again).
   * Restores are not limited by maxNodes, so a restart never drops known nodes; a node that
   * already said hello in this process is not overwritten. Its report (of `reportBytes`) is kept
   * only if it fits the report memory; returns false when it was left out (the node's next
   * report brings it back).
   */
  restore(rec: NodeRecord, reportBytes = 0): boolean {
    if (this.records.has(rec.node)) return true;
    const fits = rec.report === undefined || this.memory.take(rec.node, reportBytes);
    this.add({ ...rec, connected: false, report: fits ? rec.report : undefined });
    this.changed(rec.node, true);
    return fits;
  }

  /**
   * Drops a node (gone from the cluster; see Store.pruneNodes). A connected node is kept: it is
   * plainly not gone. Returns whether it was dropped.
   */
  forget(name: string): boolean {
    const rec = this.records.get(name);
    if (rec === undefined || rec.connected) return false;
    this.records.delete(name);
    this.streams.delete(name);
    this.memory.set(name, 0);
    this.sorted = undefined;
    if (this.changes !== undefined) {
      this.changes.delete(name);
      this.dropped.add(name);
    }
    return true;
  }

  /** Whether a stream of the node's is open in this process (hello without its disconnected()). */
  hasStream(node: string): boolean {
    return this.streams.has(node);
  }

  /**
   * A node as the database shared by replicas has it (aggregator/replicas): its stream is held by
   * another replica, or by none. A node with a stream here is left alone (this process knows it
   * better). With a report of `reportBytes` the report is replaced (kept only if it fits the
   * memory; returns false when left out); without, the report held is kept. Not limited by
   * maxNodes, like restore().
   */
  mirror(rec: NodeRecord, reportBytes?: number): boolean {
    if (this.streams.has(rec.node)) return true;
    const held = this.records.get(rec.node);
    let report = held?.report;
    let fits = true;
    if (reportBytes !== undefined) {
      fits = rec.report === undefined || this.memory.take(rec.node, reportBytes);
      report = fits ? rec.report : undefined;
      if (report === undefined) this.memory.set(rec.node, 0);
    }
    const next: NodeRecord = { ...rec, report };
    if (next.connected) delete next.disconnectedMs;
    // Every refresh mirrors every node: only a difference is a change (for trackChanges).
    const reportChanged = held === undefined || reportBytes !== undefined;
    if (reportChanged || !sameFields(held, next)) this.changed(rec.node, reportChanged);
    if (held === undefined) this.add(next);
    else {
      Object.assign(held, next);
      if (next.connected) delete held.disconnectedMs;
    }
    return fits;
  }

  /** Every node, sorted by name. The records are live: read them, do not change them. */
  nodes(): NodeRecord[] {
    this.sorted ??= [...this.records.values()].sort(byNodeName);
    return this.sorted.slice();
  }

  node(name: string): NodeRecord | undefined {
    return this.records.get(name);
  }

  isStale(rec: NodeRecord, now: number): boolean {
    return isStaleRecord(rec, now, this.staleAfterIntervals);
  }

  /**
   * From now on, every change to a node is noted until takeChanges() hands it over: for a copy of
   * the records kept elsewhere (the view thread, aggregator/view-thread). Every node counts as
   * changed, report included, so the first takeChanges() is the whole state.
   */
  trackChanges(): void {
    this.changes = new Map([...this.records.keys()].map((node) => [node, true]));
    this.dropped.clear();
  }

  /** Changes are no longer noted (the copy is gone). */
  untrackChanges(): void {
    this.changes = undefined;
    this.dropped.clear();
  }

  /** The nodes changed since the last call (each record live, and whether its report changed), and those forgotten. */
  takeChanges(): { changed: NodeChange[]; dropped: string[] } {
    const changes = this.changes;
    if (changes === undefined) return { changed: [], dropped: [] };
    const changed: NodeChange[] = [];
    for (const [node, report] of changes) {
      const rec = this.records.get(node);
      if (rec !== undefined) changed.push({ rec, report });
    }
    const dropped = [...this.dropped];
    this.changes = new Map();
    this.dropped.clear();
    return { changed, dropped };
  }

  private changed(node: string, report: boolean): void {
    if (this.changes === undefined) return;
    this.dropped.delete(node);
    if (report || !this.changes.has(node)) this.changes.set(node, report);
  }

  private add(rec: NodeRecord): void {
    this.records.set(rec.node, rec);
    this.sorted = undefined;
  }
}
