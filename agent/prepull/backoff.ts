import type { RetryPolicy } from "./types.js";

/**
 * The wait after failed attempt `attempt` (1-based): "full jitter", a uniform draw below an
 * exponentially growing cap. A thousand nodes that failed together then retry spread out
 * instead of in waves.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const draw = Math.min(Math.max(random(), 0), 1);
  return Math.floor(cap * draw);
}
