// Write batching: the writes of every agent stream share one SQLite commit per event-loop turn.

import type { Logger } from "../../core/log/index.js";
import type { SqliteStore } from "../store/index.js";

interface Job {
  /** The database writes, run inside the shared transaction; absent for ordering-only jobs. */
  write?: () => void;
  /** After the commit (or with the error that prevented it). */
  done: (err: Error | undefined) => void;
}

/**
 * Collects the writes of every stream and commits them together once per event-loop turn: one
 * SQLite commit for everything that arrived at once, in arrival order, each job then told whether
 * its write is durable. A job whose write throws fails alone; a failed commit fails them all.
 */
/** Told whether the database took the writes: a failure is an operator's problem, not only the agents'. */
export interface WriteOutcome {
  committed(): void;
  failed(err: Error, what: string): void;
}

export class WriteBatcher {
  private jobs: Job[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(
    private readonly store: Pick<SqliteStore, "transaction">,
    private readonly log: Logger,
    private readonly outcome?: WriteOutcome,
  ) {}

  push(job: Job): void {
    if (this.closed) {
      job.done(new Error("the aggregator is shutting down"));
      return;
    }
    this.jobs.push(job);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const jobs = this.jobs;
    this.jobs = [];
    if (jobs.length === 0) return;
    const errors: (Error | undefined)[] = new Array(jobs.length);
    if (jobs.some((j) => j.write)) this.commit(jobs, errors);
    jobs.forEach((job, i) => {
      try {
        job.done(errors[i]);
      } catch (err) {
        this.log.error(`after commit: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  }

  /**
   * Runs the writes in one transaction; `errors` gets each failed job's error. The outcome hears
   * once per commit: of the first error (a failing statement says more than the commit it spoiled).
   */
  private commit(jobs: Job[], errors: (Error | undefined)[]): void {
    let written = 0;
    let first: Error | undefined;
    try {
      this.store.transaction(() => {
        jobs.forEach((job, i) => {
          if (!job.write) return;
          try {
            job.write();
            written++;
          } catch (err) {
            errors[i] = err instanceof Error ? err : new Error(String(err));
            first ??= errors[i];
          }
        });
      });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      if (this.outcome) this.outcome.failed(first ?? e, `commit of ${jobs.length} message(s)`);
      else this.log.error(`database commit failed for ${jobs.length} message(s): ${e.message}`);
      jobs.forEach((job, i) => {
        if (job.write) errors[i] ??= e;
      });
      return;
    }
    if (first !== undefined) this.outcome?.failed(first, `${jobs.length} message(s)`);
    else if (written > 0) this.outcome?.committed();
  }

  /** Commits what is queued and refuses later jobs. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
