// Whether the database takes writes, made visible. A write that fails (a read-only volume, a full
// disk, pages damaged under the running aggregator) refuses the agents' messages with UNAVAILABLE,
// and nothing acked is lost; but an operator must see it: /readyz fails with the reason, a metric
// counts each failure by reason, and the error is logged (folded, so a failing disk under 20,000
// agents writes a few lines, not a line per message).

import type { Logger } from "../../core/log/index.js";

export type WriteFailureReason = "readonly" | "full" | "corrupt" | "io" | "busy" | "other";
export const WRITE_FAILURE_REASONS: readonly WriteFailureReason[] = ["readonly", "full", "corrupt", "io", "busy", "other"];

/** PostgreSQL's SQLSTATE codes and the socket errors of a server out of reach, by reason. */
const POSTGRES_REASONS: [RegExp, WriteFailureReason][] = [
  [/^(25006|42501)$/, "readonly"],
  [/^53100$/, "full"],
  [/^XX00[12]$/, "corrupt"],
  [/^(08...|57P0[123]|58030|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE)$/, "io"],
  [/^(40001|40P01|55P03|53300)$/, "busy"],
];

/**
 * The reason a write failed, from SQLite's extended result code (SQLITE_READONLY_DBMOVED,
 * SQLITE_IOERR_WRITE, …) or PostgreSQL's SQLSTATE (25006 read-only transaction, 53100 disk full, …).
 */
export function writeFailureReason(err: unknown): WriteFailureReason {
  const code = typeof err === "object" && err !== null ? String((err as { code?: unknown }).code ?? "") : "";
  for (const [re, reason] of POSTGRES_REASONS) if (re.test(code)) return reason;
  if (code.startsWith("SQLITE_READONLY") || code === "SQLITE_PERM" || code === "SQLITE_CANTOPEN") return "readonly";
  if (code === "SQLITE_FULL") return "full";
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") return "corrupt";
  if (code.startsWith("SQLITE_IOERR")) return "io";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "busy";
  return "other";
}

const ADVICE: Record<WriteFailureReason, string> = {
  readonly: "the database file or its volume is read-only: check the volume's mount and the file's owner and mode",
  full: "the volume is full: grow it, or lower maxFindingsBytes and retention",
  corrupt: "the database file is damaged: stop the aggregator, move the file away (or restore a copy) and start it again",
  io: "the disk reports I/O errors, or the database server cannot be reached: check the volume, or the server and the network to it",
  busy: "another process holds the database locked, or the server has no connection or lock to spare",
  other: "see the error",
};

export interface StoreHealthOptions {
  /** One small real write; throws what a write would throw now. */
  probe: () => Promise<void> | void;
  /** Where failures are logged at error (a folding logger: repeats.as("store")). */
  log: Logger;
  /** Counts a failed write by reason. */
  count: (reason: WriteFailureReason) => void;
  now?: () => number;
  /** A probe's answer is reused this long: /readyz may be asked often, and each probe is a write. Default 5 s. */
  probeEveryMs?: number;
  /** Bytes free on the database's volume (undefined when unknown). */
  freeBytes?: () => number | undefined;
}

interface Failure {
  reason: WriteFailureReason;
  message: string;
  atMs: number;
  /** For a full disk: the bytes free when it failed. */
  freeBytes?: number | undefined;
}

/**
 * A full disk is written again once this much more is free than when it failed: a small probe
 * fits in the space SQLite already holds (its write-ahead log) and says nothing of the next commit.
 */
const FREED_BYTES = 1024 * 1024;

export class StoreHealth {
  private readonly now: () => number;
  private readonly probeEveryMs: number;
  private failure: Failure | undefined;
  /** A damaged file does not heal: once seen, the aggregator stays not ready until it is restarted. */
  private damaged: Failure | undefined;
  private probedAtMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: StoreHealthOptions) {
    this.now = opts.now ?? Date.now;
    this.probeEveryMs = opts.probeEveryMs ?? 5000;
  }

  /** A write failed: counted, logged at error, and /readyz says it until a write works again. */
  failed(err: unknown, what: string): void {
    const reason = writeFailureReason(err);
    const message = err instanceof Error ? err.message : String(err);
    // "Since" is when writes started failing this way, not the latest failure.
    const f: Failure = { reason, message, atMs: this.failure?.reason === reason ? this.failure.atMs : this.now() };
    if (reason === "full") f.freeBytes = this.opts.freeBytes?.();
    this.failure = f;
    if (reason === "corrupt") this.damaged ??= f;
    // The next readiness check writes again instead of trusting an older probe.
    this.probedAtMs = Number.NEGATIVE_INFINITY;
    this.opts.count(reason);
    this.opts.log.error(`database write failed (${what}): ${message}; ${ADVICE[reason]}`);
  }

  /** A write was committed: the database takes writes (a damaged one stays damaged). */
  succeeded(): void {
    this.failure = undefined;
  }

  /** Whether a write failed last (true until one succeeds or a probe does). */
  get failing(): boolean {
    return this.failure !== undefined || this.damaged !== undefined;
  }

  /** Why the aggregator is not ready because of its database, or undefined when it takes writes. */
  async problem(): Promise<string | undefined> {
    if (this.damaged) return this.describe(this.damaged);
    const now = this.now();
    if (now - this.probedAtMs >= this.probeEveryMs) {
      this.probedAtMs = now;
      try {
        await this.opts.probe();
        if (this.failure === undefined || this.freed(this.failure)) this.failure = undefined;
      } catch (err) {
        this.failed(err, "readiness probe");
        this.probedAtMs = now;
      }
    }
    return this.failure ? this.describe(this.failure) : undefined;
  }

  /** Whether a failure is over once a probe wrote: for a full disk, only once space was freed. */
  private freed(f: Failure): boolean {
    if (f.reason !== "full") return true;
    const now = this.opts.freeBytes?.();
    return now === undefined || f.freeBytes === undefined || now >= f.freeBytes + FREED_BYTES;
  }

  private describe(f: Failure): string {
    return `database: writes fail (${f.reason}: ${f.message}) since ${new Date(f.atMs).toISOString()}; ${ADVICE[f.reason]}`;
  }
}
