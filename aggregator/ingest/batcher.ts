// Write batching: the writes of every agent stream share one database commit per event-loop turn,
// and commits follow one another (never two at once), so a stream's messages are kept in the
// order they came whatever the engine; writes that arrive while a commit is under way go in the next.

import type { Logger } from "../../core/log/index.js";
import type { Store, StoreWrite, WriteResult } from "../store/index.js";

interface Job {
  /** The database write, made in the shared transaction; absent for ordering-only jobs. */
  write?: StoreWrite;
  /** After the commit (or with the error that prevented it); the write's result when it was kept. */
  done: (err: Error | undefined, result?: WriteResult) => void;
}

/** Told whether the database took the writes: a failure is an operator's problem, not only the agents'. */
export interface WriteOutcome {
  committed(): void;
  failed(err: Error, what: string): void;
}

/**
 * Collects the writes of every stream and commits them together: one commit for everything that
 * arrived at once, in arrival order, each job then told whether its write is durable. A job whose
 * write fails fails alone; a failed commit fails them all.
 */
export class WriteBatcher {
  private jobs: Job[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  /** The commit under way; the next waits for it. */
  private committing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly store: Pick<Store, "write">,
    private readonly log: Logger,
    private readonly outcome?: WriteOutcome,
  ) {}

  push(job: Job): void {
    if (this.closed) {
      job.done(new Error("the aggregator is shutting down"));
      return;
    }
    this.jobs.push(job);
    this.scheduled ??= setImmediate(() => void this.flush());
  }

  /** Commits what is queued now (after the commit under way) and resolves once its jobs were told. */
  flush(): Promise<void> {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const jobs = this.jobs;
    this.jobs = [];
    if (jobs.length === 0) return this.committing;
    this.committing = this.committing.then(() => this.run(jobs));
    return this.committing;
  }

  private async run(jobs: Job[]): Promise<void> {
    const results = jobs.some((j) => j.write) ? await this.commit(jobs) : [];
    jobs.forEach((job, i) => {
      try {
        const r = results[i];
        job.done(r?.error, r);
      } catch (err) {
        this.log.error(`after commit: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  }

  /**
   * Runs the writes in one transaction; each job's result, by index. The outcome hears once per
   * commit: of the first error (a failing statement says more than the commit it spoiled).
   */
  private async commit(jobs: Job[]): Promise<(WriteResult | undefined)[]> {
    const writes = jobs.flatMap((j) => (j.write ? [j.write] : []));
    let results: WriteResult[];
    try {
      results = await this.store.write(writes);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      if (this.outcome) this.outcome.failed(e, `commit of ${jobs.length} message(s)`);
      else this.log.error(`database commit failed for ${jobs.length} message(s): ${e.message}`);
      return jobs.map((j) => (j.write ? { error: e, added: 0 } : undefined));
    }
    let next = 0;
    const byJob = jobs.map((j) => (j.write ? results[next++] : undefined));
    const first = results.find((r) => r.error)?.error;
    if (first !== undefined) this.outcome?.failed(first, `${jobs.length} message(s)`);
    else if (writes.length > 0) this.outcome?.committed();
    return byJob;
  }

  /** Commits what is queued and refuses later jobs. */
  close(): Promise<void> {
    const last = this.flush();
    this.closed = true;
    return last;
  }
}
