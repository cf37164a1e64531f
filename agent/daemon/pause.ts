/** Waits, or stops waiting when `signal` aborts (the agent stops); false when it was interrupted. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  const { setTimeout: wait } = await import("node:timers/promises");
  return wait(ms, true, { signal }).catch(() => false);
}
