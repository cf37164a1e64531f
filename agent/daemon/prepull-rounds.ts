// Pre-pull rounds, whichever asked for one: the pre-pull check's schedules, its run at start, or
// an aggregator command. Each round is recorded as the "prepull" check.

import type { AgentConfig } from "../config/index.js";
import { type PrepullImageStatus, type PrepullTarget, prepullRound } from "../prepull/index.js";
import type { QuotaTracker } from "../quota/index.js";
import type { CheckRecorder } from "./checks/index.js";
import { pause } from "./pause.js";
import type { RuntimeHandle } from "./runtime-handle.js";

export interface PrepullRoundsDeps {
  config: AgentConfig;
  runtime: RuntimeHandle;
  quota: QuotaTracker;
  recorder: CheckRecorder;
  shutdown: AbortSignal;
}

export class PrepullRounds {
  /** Every image the pre-puller has seen, with its latest status: what the prepull check keeps. */
  private readonly statuses = new Map<string, PrepullImageStatus>();
  private rounds: Promise<unknown> = Promise.resolve();
  private finding: (s: PrepullImageStatus) => void = () => undefined;

  constructor(private readonly deps: PrepullRoundsDeps) {}

  /** Where an image pulled or failed in a round is told (the aggregator's findings). */
  onFinding(listener: (s: PrepullImageStatus) => void): void {
    this.finding = listener;
  }

  /**
   * One round of these targets. One round at a time, whichever schedule, the start or an
   * aggregator command asked for it: two rounds at once would double the pull limit and could
   * pull the same image twice. A round that comes while another runs waits for it, and then finds
   * what that one pulled already present.
   */
  run(targets: PrepullTarget[], onProgress?: (s: PrepullImageStatus) => void): Promise<void> {
    const round = () =>
      this.deps.recorder.run({ name: "prepull", work: () => this.pull(targets, onProgress), keep: () => [...this.statuses.values()], describe: describeRound });
    const next = this.rounds.then(() => (this.deps.shutdown.aborted ? undefined : round()));
    this.rounds = next.catch(() => undefined);
    return next.then(() => undefined);
  }

  private async pull(targets: PrepullTarget[], onProgress: ((s: PrepullImageStatus) => void) | undefined): Promise<PrepullImageStatus[]> {
    const { config, runtime, quota } = this.deps;
    const containerdVersion = await runtime.containerdVersion();
    const results = await prepullRound(targets, {
      client: await runtime.get(),
      hostsDir: await runtime.hostsDir(),
      vantage: await runtime.view(),
      ...(containerdVersion ? { containerdVersion } : {}),
      timeoutMs: config.prepull.timeout,
      pullDeadlineMs: config.prepull.pullDeadline,
      concurrency: config.prepull.concurrency,
      retries: { attempts: config.prepull.retries.attempts, baseDelayMs: config.prepull.retries.baseDelay, maxDelayMs: config.prepull.retries.maxDelay },
      quota: { latest: () => quota.latest(), reserve: config.prepull.quotaReserve },
      onRateLimit: (r) => quota.recordRateLimit(r, "pull"),
      onProgress: (status) => {
        this.statuses.set(status.image, status);
        onProgress?.(status);
      },
      previous: this.statuses,
      sleep: (ms) => this.sleep(ms),
    });
    for (const r of results) this.statuses.set(r.image, r);
    for (const r of results) if (r.action === "pulled" || r.action === "failed") this.finding(r);
    return results;
  }

  /**
   * A back-off between pull attempts ends at shutdown: the round gives up instead of keeping the
   * process alive for the rest of the wait.
   */
  private async sleep(ms: number): Promise<void> {
    if (!(await pause(ms, this.deps.shutdown))) throw new Error("the agent is shutting down");
  }
}

function describeRound(results: PrepullImageStatus[]): string {
  const count = (a: string) => results.filter((r) => r.action === a).length;
  const failed = results.filter((r) => r.action === "failed").map((r) => `${r.image} (${r.cause ?? "unknown"})`);
  return `${count("pulled")} pulled, ${count("unchanged")} unchanged, ${count("deferred")} deferred, ${failed.length} failed${failed.length ? `: ${failed.join(", ")}` : ""}`;
}
