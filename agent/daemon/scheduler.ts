import type { Logger } from "../../core/log/index.js";

export interface JobOptions {
  /** Spread of each wait, as a fraction of the interval, so a fleet of nodes does not act in step. */
  jitter?: number;
  /** Run once right away (after a small jitter) instead of waiting a whole interval. */
  runNow?: boolean;
}

export type Schedule =
  /** Every `every` ms, each wait spread by `jitter` (a fraction, default 0.1); the first run soon after start. */
  | { readonly every: number; readonly jitter?: number }
  /** On a cron pattern (croner). */
  | { readonly cron: string }
  /** One run at start, which shutdown waits for like any other. */
  | { readonly atStart: true };

/** A job and when it runs, as a check declares it. */
export interface ScheduledJob {
  /** Unique among jobs: used to trigger the job, and in shutdown's list of abandoned runs. */
  readonly name: string;
  readonly schedule: Schedule;
  run(): Promise<void>;
}

interface Job {
  name: string;
  fn: () => Promise<void>;
  running: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
  stopCron?: () => void;
}

/**
 * Runs each check on its own clock. A job never overlaps itself: a tick or trigger that comes
 * while it runs is dropped, since the run in flight will report the same thing. A failing job
 * is logged and tried again at its next tick; it never stops the others.
 */
export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private stopped = false;

  constructor(
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  /** Puts a declared job on its schedule. */
  async schedule(job: ScheduledJob): Promise<void> {
    const when = job.schedule;
    const run = () => job.run();
    if ("every" in when) this.every(job.name, when.every, run, when.jitter === undefined ? {} : { jitter: when.jitter });
    else if ("cron" in when) await this.cron(job.name, when.cron, run);
    else void this.triggerOnce(job.name, run);
  }

  every(name: string, intervalMs: number, fn: () => Promise<void>, opts: JobOptions = {}): void {
    const jitter = opts.jitter ?? 0.1;
    const job = this.add(name, fn);
    const wait = (base: number) => Math.max(0, base * (1 + jitter * (this.random() * 2 - 1)));
    const tick = () => {
      if (this.stopped) return;
      void this.runJob(job).finally(() => {
        if (!this.stopped) job.timer = setTimeout(tick, wait(intervalMs));
      });
    };
    job.timer = setTimeout(tick, opts.runNow === false ? wait(intervalMs) : this.random() * Math.min(intervalMs, 1000) * jitter);
  }

  /** Cron-scheduled job (croner, loaded only when a cron job exists). */
  async cron(name: string, pattern: string, fn: () => Promise<void>): Promise<void> {
    const job = this.add(name, fn);
    const { Cron } = await import("croner");
    const cron = new Cron(pattern, { protect: true }, () => {
      if (!this.stopped) void this.runJob(job);
    });
    job.stopCron = () => cron.stop();
  }

  /** A job that runs once, now, tracked like the others so shutdown waits for it. */
  triggerOnce(name: string, fn: () => Promise<void>): Promise<void> {
    const job = this.add(name, fn);
    return this.runJob(job);
  }

  /** Runs a job now unless it is already running; resolves when that run ends. */
  trigger(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (!job || this.stopped) return Promise.resolve();
    return job.running ?? this.runJob(job);
  }

  isRunning(name: string): boolean {
    return this.jobs.get(name)?.running !== undefined;
  }

  /**
   * Stops scheduling, then waits for runs in flight up to `timeoutMs`. Returns the jobs that
   * were still running when time ran out (abandoned: their results are not recorded).
   */
  async stop(timeoutMs: number): Promise<string[]> {
    this.stopped = true;
    for (const job of this.jobs.values()) {
      if (job.timer) clearTimeout(job.timer);
      job.stopCron?.();
    }
    const inFlight = [...this.jobs.values()].filter((j) => j.running);
    if (!inFlight.length) return [];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    await Promise.race([Promise.allSettled(inFlight.map((j) => j.running)), timeout]);
    if (timer) clearTimeout(timer);
    return inFlight.filter((j) => j.running).map((j) => j.name);
  }

  private add(name: string, fn: () => Promise<void>): Job {
    if (this.jobs.has(name)) throw new Error(`job ${name} is already scheduled`);
    const job: Job = { name, fn, running: undefined, timer: undefined };
    this.jobs.set(name, job);
    return job;
  }

  private runJob(job: Job): Promise<void> {
    if (job.running) return job.running;
    job.running = job
      .fn()
      .catch((err: unknown) => this.log.error(`check ${job.name} crashed`, { error: err instanceof Error ? err.message : String(err) }))
      .finally(() => {
        job.running = undefined;
      });
    return job.running;
  }
}
