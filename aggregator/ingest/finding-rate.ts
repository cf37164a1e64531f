// How fast each node may send findings: a token bucket per node. A node that reconnects after an
// outage sends what its agent buffered (1,000 findings by default) at once, so the bucket holds a
// burst that size; beyond it, findings come at a steady rate or the node's stream is refused.

export interface FindingRateOptions {
  /** Findings per second a node may send, sustained. */
  perSecond: number;
  /** Findings a node may send at once (the bucket's size). */
  burst: number;
  now: () => number;
  /** Buckets followed at most before the full ones (idle nodes) are forgotten. */
  maxBuckets?: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

export class FindingRate {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxBuckets: number;

  constructor(private readonly opts: FindingRateOptions) {
    this.maxBuckets = opts.maxBuckets ?? 50_000;
  }

  /** Takes one finding from the node's bucket; false when it is empty. */
  take(node: string): boolean {
    const now = this.opts.now();
    let b = this.buckets.get(node);
    if (b === undefined) {
      if (this.buckets.size >= this.maxBuckets) this.forgetIdle(now);
      b = { tokens: this.opts.burst, atMs: now };
      this.buckets.set(node, b);
    } else {
      const refill = (Math.max(0, now - b.atMs) / 1000) * this.opts.perSecond;
      b.tokens = Math.min(this.opts.burst, b.tokens + refill);
      b.atMs = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Why a node was refused, naming the budget. */
  describe(node: string): string {
    return (
      `finding: node ${node} sent findings faster than its rate (findingRate: ${this.opts.perSecond.toLocaleString("en-US")} per second, ` +
      `bursts of ${this.opts.burst.toLocaleString("en-US")}); the agent keeps them and sends them again after reconnecting`
    );
  }

  /** A full bucket says nothing a new one would not: idle nodes are forgotten. */
  private forgetIdle(now: number): void {
    for (const [node, b] of this.buckets) {
      if (b.tokens + ((now - b.atMs) / 1000) * this.opts.perSecond >= this.opts.burst) this.buckets.delete(node);
    }
  }
}
