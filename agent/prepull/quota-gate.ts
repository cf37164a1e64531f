// Keeps pre-pulls from spending the last Docker Hub pulls of the window: production pods that
// land on the node need them more than a warm cache does.

import type { RateLimit } from "../registry/index.js";
import type { QuotaSnapshot } from "./types.js";

export type GateAnswer =
  | { go: true /** Call when the pull is over, failed or not. */; finished: () => void }
  | { go: false; reading: { remaining: number; source: string | undefined; windowSeconds: number | undefined } };

interface StartedPull {
  finishedAt: number | undefined;
}

/**
 * One per round. A reading counts the pulls whose manifest GET came before it; a pull still
 * running then may not have made its GET yet. So every pull of this round that had not finished
 * when the reading was taken is taken off it: at worst a pull is counted twice and one image
 * waits a round, never the other way round.
 */
export class QuotaGate {
  private seen: RateLimit | undefined;
  private readonly pulls: StartedPull[] = [];

  constructor(
    private readonly latest: () => QuotaSnapshot | undefined,
    private readonly reserve: number,
    private readonly now: () => number,
  ) {}

  observe(r: RateLimit): void {
    if (this.seen === undefined || r.observedAt >= this.seen.observedAt) this.seen = r;
  }

  /**
   * Whether a Hub pull may start now. `own` is what this image's HEAD saw: the freshest word on
   * the counter its pull is charged to. Deciding and taking the slot happen in one step, so two
   * images checked together cannot both take the last pull above the reserve.
   */
  claim(own: RateLimit | undefined): GateAnswer {
    const reading = this.freshest(own);
    if (reading?.remaining !== undefined) {
      const at = reading.observedAt ?? Number.NEGATIVE_INFINITY;
      const unseen = this.pulls.filter((p) => p.finishedAt === undefined || p.finishedAt >= at).length;
      const remaining = Math.max(0, reading.remaining - unseen);
      if (remaining < this.reserve) return { go: false, reading: { remaining, source: reading.source, windowSeconds: reading.windowSeconds } };
    }
    const pull: StartedPull = { finishedAt: undefined };
    this.pulls.push(pull);
    return { go: true, finished: () => (pull.finishedAt ??= this.now()) };
  }

  private freshest(own: RateLimit | undefined): QuotaSnapshot | undefined {
    const candidates: QuotaSnapshot[] = [];
    if (own !== undefined) candidates.push(own);
    if (this.seen !== undefined) candidates.push(this.seen);
    const tracked = this.latest();
    if (tracked !== undefined) candidates.push(tracked);
    // A tracker reading without a time is older than anything this round saw.
    const at = (s: QuotaSnapshot): number => s.observedAt ?? Number.NEGATIVE_INFINITY;
    return candidates.reduce<QuotaSnapshot | undefined>((best, s) => (best === undefined || at(s) > at(best) ? s : best), undefined);
  }
}
