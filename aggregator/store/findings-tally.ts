// The findings table against its budget, counted as rows go in and out so that neither engine
// counts the table on each write; a rollback puts the count back (restore()).

import { DEFAULT_MAX_FINDINGS, DEFAULT_MAX_FINDINGS_BYTES, type FindingsBudget, type StoreOptions } from "./types.js";

/** Rows deleted by one statement when the budget is over: the transaction stays short. */
const EVICT_CHUNK = 5000;

export class FindingsTally {
  private rowCount = 0;
  private byteCount = 0;
  private droppedCount = 0;
  private readonly maxRows: number;
  private readonly maxBytes: number;

  constructor(opts: StoreOptions) {
    this.maxRows = opts.maxFindings ?? DEFAULT_MAX_FINDINGS;
    this.maxBytes = opts.maxFindingsBytes ?? DEFAULT_MAX_FINDINGS_BYTES;
  }

  get rows(): number {
    return this.rowCount;
  }

  /** The table as counted by a query (at open, after a prune). */
  recount(rows: number, bytes: number): void {
    this.rowCount = rows;
    this.byteCount = bytes;
  }

  /** A function that puts the count back as it is now: what a rollback calls. */
  saved(): () => void {
    const [rows, bytes, dropped] = [this.rowCount, this.byteCount, this.droppedCount];
    return () => {
      [this.rowCount, this.byteCount, this.droppedCount] = [rows, bytes, dropped];
    };
  }

  added(bytes: number): void {
    this.rowCount++;
    this.byteCount += bytes;
  }

  /** The oldest findings were deleted to stay within the budget, these bytes each. */
  evicted(sizes: readonly number[]): void {
    this.rowCount -= sizes.length;
    this.byteCount -= sizes.reduce((a, b) => a + b, 0);
    this.droppedCount += sizes.length;
  }

  /** Beyond maxFindings or maxFindingsBytes: time to evict. */
  overBudget(): boolean {
    return this.rowCount > this.maxRows || this.byteCount > this.maxBytes;
  }

  /**
   * How many of the oldest findings to delete next (one chunk at most), 0 once the table is back a
   * little under its budget: deleting a little more than the excess makes eviction run seldom.
   */
  toEvict(): number {
    const slack = Math.max(1, Math.min(1000, Math.floor(this.maxRows / 100)));
    const rowsGoal = this.maxRows - slack;
    const bytesGoal = this.maxBytes * 0.99;
    if (this.rowCount <= 0 || (this.rowCount <= rowsGoal && this.byteCount <= bytesGoal)) return 0;
    const average = this.byteCount / this.rowCount;
    const want = Math.max(this.rowCount - rowsGoal, Math.ceil((this.byteCount - bytesGoal) / average), 1);
    return Math.min(want, EVICT_CHUNK);
  }

  budget(): FindingsBudget {
    return { rows: this.rowCount, bytes: this.byteCount, maxRows: this.maxRows, maxBytes: this.maxBytes, dropped: this.droppedCount };
  }
}
