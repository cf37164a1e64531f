/** The latest outcome of one periodic check, as /v1/state shows it. */
export interface CheckRecord {
  ok: boolean;
  /** When the latest run finished, ISO 8601. */
  at: string;
  durationMs: number;
  runs: number;
  failures: number;
  /** The latest run's failure, in words; absent when it succeeded. */
  error?: string;
  /** The latest successful finding; kept through later failures so the last good value stays visible. */
  result?: unknown;
}

export interface NodeStateJson {
  node: string;
  version: string;
  startedAt: string;
  checks: Record<string, CheckRecord>;
  /** Live sections owned by long-running watchers (the pod watch), read when asked. */
  [section: string]: unknown;
}

/**
 * The node as the agent last saw it: one record per check, replaced on every run. It holds only
 * the latest finding of each check, so its size does not grow with time.
 */
export class NodeState {
  readonly startedAt: string;
  private readonly checks = new Map<string, CheckRecord>();
  private readonly sections = new Map<string, () => unknown>();

  constructor(
    readonly node: string,
    readonly version: string,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = new Date(now()).toISOString();
  }

  record(check: string, outcome: { ok: boolean; durationMs: number; result?: unknown; error?: string }): CheckRecord {
    const before = this.checks.get(check);
    const next: CheckRecord = {
      ok: outcome.ok,
      at: new Date(this.now()).toISOString(),
      durationMs: Math.round(outcome.durationMs * 10) / 10,
      runs: (before?.runs ?? 0) + 1,
      failures: (before?.failures ?? 0) + (outcome.ok ? 0 : 1),
    };
    if (outcome.error !== undefined) next.error = outcome.error;
    const result = outcome.ok ? outcome.result : before?.result;
    if (result !== undefined) next.result = result;
    this.checks.set(check, next);
    return next;
  }

  /** Every check's latest record, without reading the live sections toJSON() includes. */
  checkRecords(): [string, CheckRecord][] {
    return [...this.checks];
  }

  get(check: string): CheckRecord | undefined {
    return this.checks.get(check);
  }

  /** The latest successful result of a check, typed by the caller who knows what it stored. */
  result<T>(check: string): T | undefined {
    return this.checks.get(check)?.result as T | undefined;
  }

  /**
   * A section that is not a periodic check (the pod watch's open failures): its owner keeps the
   * data, bounded, and this reads it on demand, so nothing is copied on every change.
   */
  provide(section: string, read: () => unknown): void {
    if (["node", "version", "startedAt", "checks"].includes(section)) throw new Error(`NodeState section name ${section} is taken`);
    this.sections.set(section, read);
  }

  section<T>(name: string): T | undefined {
    return this.sections.get(name)?.() as T | undefined;
  }

  toJSON(): NodeStateJson {
    const out: NodeStateJson = { node: this.node, version: this.version, startedAt: this.startedAt, checks: Object.fromEntries(this.checks) };
    for (const [name, read] of this.sections) out[name] = read();
    return out;
  }
}
