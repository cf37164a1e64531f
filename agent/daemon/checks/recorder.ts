import { performance } from "node:perf_hooks";
import type { Logger } from "../../../core/log/index.js";
import type { CheckName, CheckResults, NodeState } from "../../report/index.js";
import { errorText } from "../error-text.js";

/** What one run needs to be recorded: the check's name, its work, what is kept and how it reads. */
export interface Recordable<N extends CheckName, T> {
  readonly name: N;
  work(): Promise<T>;
  keep(found: T): CheckResults[N];
  describe(found: T): string;
}

/**
 * Times a check's run, records its outcome in NodeState, and logs one line a person can read.
 * Checks never throw out of here: a failure is recorded, logged, and retried at the next run.
 */
export class CheckRecorder {
  private changed: () => void = () => undefined;

  constructor(
    private readonly state: NodeState,
    private readonly log: Logger,
  ) {}

  /** Called when a check starts or stops failing, or fails differently: news for the cluster view. */
  onChange(listener: () => void): void {
    this.changed = listener;
  }

  async run<N extends CheckName, T>(check: Recordable<N, T>): Promise<T | undefined> {
    const { name } = check;
    const started = performance.now();
    try {
      const found = await check.work();
      if (this.state.get(name)?.ok !== true) this.changed();
      this.state.record(name, { ok: true, durationMs: performance.now() - started, result: check.keep(found) });
      const line = check.describe(found);
      if (line !== "") this.log.info(`${name}: ${line}`);
      return found;
    } catch (err) {
      const error = errorText(err);
      const before = this.state.get(name);
      if (before?.ok !== false || before.error !== error) this.changed();
      this.state.record(name, { ok: false, durationMs: performance.now() - started, error });
      // A check that keeps failing the same way is logged once, not every interval.
      if (before?.ok !== false || before.error !== error) this.log.warn(`${name} failed: ${error}`);
      return undefined;
    }
  }
}
