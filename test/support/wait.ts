// The one way tests wait for something that happens on its own time: poll, bounded.

import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  /** Give up after this long. Bounded always: a test that waits forever tells nothing. */
  timeoutMs?: number;
  /** The first pause between reads; it doubles up to 100 ms, so a quick condition is seen quickly and a slow one is not hammered. */
  intervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const MAX_INTERVAL_MS = 100;

/** Thrown when the wait ran out; names what was awaited and the last thing read. */
export class WaitTimeoutError extends Error {
  constructor(what: string, timeoutMs: number, last: string) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}; last read: ${last}`);
    this.name = "WaitTimeoutError";
  }
}

/**
 * Reads until the value is truthy (or until `done(value)` holds) and returns that value.
 * A read that throws counts as "not yet": the wait goes on, and the last error is in the
 * timeout's message (a server that is still starting refuses connections).
 *
 *   await waitFor("the ack", () => agent.acked);
 *   const state = await waitFor("3 nodes", () => getJson("/nodes"), (s) => s.nodes.length === 3, { timeoutMs: 40_000 });
 */
export async function waitFor<T>(what: string, read: () => T | Promise<T>, options?: WaitOptions): Promise<T>;
export async function waitFor<T>(what: string, read: () => T | Promise<T>, done: (value: T) => boolean, options?: WaitOptions): Promise<T>;
export async function waitFor<T>(
  what: string,
  read: () => T | Promise<T>,
  doneOrOptions?: ((value: T) => boolean) | WaitOptions,
  maybeOptions: WaitOptions = {},
): Promise<T> {
  const done = typeof doneOrOptions === "function" ? doneOrOptions : (value: T) => Boolean(value);
  const { timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = 10 } = (typeof doneOrOptions === "function" ? maybeOptions : doneOrOptions) ?? {};
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | { error: unknown } | undefined;
  for (let pause = intervalMs; ; pause = Math.min(pause * 2, MAX_INTERVAL_MS)) {
    try {
      const value = await read();
      if (done(value)) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitTimeoutError(what, timeoutMs, describe(last));
    await sleep(Math.min(pause, left));
  }
}

function describe(last: { value: unknown } | { error: unknown } | undefined): string {
  if (last === undefined) return "nothing";
  if ("error" in last) return last.error instanceof Error ? `${last.error.name}: ${last.error.message}` : String(last.error);
  const text = JSON.stringify(last.value);
  return text === undefined ? String(last.value) : text.slice(0, 2000);
}
