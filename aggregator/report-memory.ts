// The memory the nodes' latest reports may hold, shared so that no node can be starved by others.
// Each node has a share (half the budget over maxNodes) that is always its own; what a report needs
// beyond its share comes from a pool, the other half. The total never exceeds the budget, and a
// node whose report fits its share is never refused, however big the others are.

/** The default budget: 256 MiB, which the install's memory limit must hold beside the nodes' connections (test/bench/aggregator-bounds.bench.ts). */
export const DEFAULT_REPORT_MEMORY_BYTES = 256 * 1024 * 1024;

export interface ReportMemoryOptions {
  /** Bytes of reports held at most (their estimate, core/protocol measureReport). */
  budgetBytes: number;
  /** Nodes there can be at most: the shares are the budget's first half over them. */
  maxNodes: number;
}

export class ReportMemory {
  readonly budgetBytes: number;
  /** Bytes of a report that are its node's own. */
  readonly shareBytes: number;
  /** Bytes shared by the reports above their share. */
  readonly poolBytes: number;
  private readonly held = new Map<string, number>();
  private pooled = 0;
  private total = 0;

  constructor(opts: ReportMemoryOptions) {
    this.budgetBytes = opts.budgetBytes;
    this.shareBytes = Math.floor(opts.budgetBytes / 2 / Math.max(1, opts.maxNodes));
    this.poolBytes = opts.budgetBytes - this.shareBytes * Math.max(1, opts.maxNodes);
  }

  /** Bytes held by every report now. */
  get usedBytes(): number {
    return this.total;
  }

  /** Bytes of the pool in use. */
  get pooledBytes(): number {
    return this.pooled;
  }

  heldBy(node: string): number {
    return this.held.get(node) ?? 0;
  }

  /** Whether the node's next report of `bytes` fits: its share, else the pool without the node's present part of it. */
  fits(node: string, bytes: number): boolean {
    const above = Math.max(0, bytes - this.shareBytes);
    return this.pooled - this.above(this.heldBy(node)) + above <= this.poolBytes;
  }

  /** The node now holds `bytes` (its report replaced, or 0 for none); returns what it held before. */
  set(node: string, bytes: number): number {
    const before = this.heldBy(node);
    this.pooled += this.above(bytes) - this.above(before);
    this.total += bytes - before;
    if (bytes > 0) this.held.set(node, bytes);
    else this.held.delete(node);
    return before;
  }

  /** Takes `bytes` for the node's report when it fits; false leaves everything as it was. */
  take(node: string, bytes: number): boolean {
    if (!this.fits(node, bytes)) return false;
    this.set(node, bytes);
    return true;
  }

  /** What a refused report is told: the budget, the node's share, and what is free. */
  describe(bytes: number): string {
    const kib = (n: number) => `${Math.ceil(n / 1024).toLocaleString("en-US")} KiB`;
    return (
      `the report (about ${kib(bytes)} in memory) does not fit the aggregator's report memory (reportMemoryBytes ${kib(this.budgetBytes)}): ` +
      `each node's first ${kib(this.shareBytes)} are its own, and the ${kib(this.poolBytes)} shared by larger reports have ${kib(Math.max(0, this.poolBytes - this.pooled))} free; ` +
      "send a smaller report, or raise reportMemoryBytes"
    );
  }

  private above(bytes: number): number {
    return Math.max(0, bytes - this.shareBytes);
  }
}
