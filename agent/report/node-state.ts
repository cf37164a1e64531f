import type { CheckName, CheckResults } from "./findings.js";

/** The latest outcome of one periodic check, as /v1/state shows it. */
export interface CheckRecord<T = CheckResults[CheckName]> {
  ok: boolean;
  /** When the latest run finished, ISO 8601. */
  at: string;
  durationMs: number;
  runs: number;
  failures: number;
  /** The latest run's failure, in words; absent when it succeeded. */
  error?: string;
  /** The latest successful finding; kept through later failures so the last good value stays visible. */
  result?: T;
}

/** One run of a check as it is recorded: its result when it succeeded, its error when not. */
export interface CheckOutcome<T> {
  ok: boolean;
  durationMs: number;
  result?: T;
  error?: string;
}

export interface NodeStateJson {
  node: string;
  version: string;
  startedAt: string;
  checks: Partial<Record<CheckName, CheckRecord>>;
  /** Live sections owned by long-running watchers (the pod watch), read when asked. */
  [section: string]: unknown;
}

/** Each check's record, typed by the check's name; key order is the order checks first ran. */
type CheckRecords = { [N in CheckName]?: CheckRecord<CheckResults[N]> };

/** Writes one check's record; typed over the check's name alone, which the compiler needs to see it fits. */
function store<N extends CheckName>(records: { [K in N]?: CheckRecord<CheckResults[K]> }, check: N, record: CheckRecord<CheckResults[N]>): void {
  records[check] = record;
}

/**
 * The node as the agent last saw it: one record per check, replaced on every run. It holds only
 * the latest finding of each check, so its size does not grow with time.
 */
export class NodeState {
  readonly startedAt: string;
  private readonly checks: CheckRecords = {};
  private readonly sections = new Map<string, () => unknown>();

  constructor(
    readonly node: string,
    readonly version: string,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = new Date(now()).toISOString();
  }

  record<N extends CheckName>(check: N, outcome: CheckOutcome<CheckResults[N]>): CheckRecord<CheckResults[N]> {
    const before = this.get(check);
    const next: CheckRecord<CheckResults[N]> = {
      ok: outcome.ok,
      at: new Date(this.now()).toISOString(),
      durationMs: Math.round(outcome.durationMs * 10) / 10,
      runs: (before?.runs ?? 0) + 1,
      failures: (before?.failures ?? 0) + (outcome.ok ? 0 : 1),
    };
    if (outcome.error !== undefined) next.error = outcome.error;
    const result = outcome.ok ? outcome.result : before?.result;
    if (result !== undefined) next.result = result;
    store(this.checks, check, next);
    return next;
  }

  /** Every check's latest record, without reading the live sections toJSON() includes. */
  checkRecords(): [string, CheckRecord][] {
    return Object.entries(this.checks).flatMap(([name, record]): [string, CheckRecord][] => (record === undefined ? [] : [[name, record]]));
  }

  get<N extends CheckName>(check: N): CheckRecord<CheckResults[N]> | undefined {
    return this.checks[check];
  }

  /** The latest successful result of a check. */
  result<N extends CheckName>(check: N): CheckResults[N] | undefined {
    return this.checks[check]?.result;
  }

  /**
   * A section that is not a periodic check (the pod watch's open failures): its owner keeps the
   * data, bounded, and this reads it on demand, so nothing is copied on every change.
   */
  provide(section: string, read: () => unknown): void {
    if (["node", "version", "startedAt", "checks"].includes(section)) throw new Error(`NodeState section name ${section} is taken`);
    this.sections.set(section, read);
  }

  toJSON(): NodeStateJson {
    const out: NodeStateJson = { node: this.node, version: this.version, startedAt: this.startedAt, checks: { ...this.checks } };
    for (const [name, read] of this.sections) out[name] = read();
    return out;
  }
}
