import { setTimeout as sleep } from "node:timers/promises";
import { type PullProgress, progressText } from "../agent/pulls/index.js";
import { parseDuration } from "../core/text/index.js";
import { barLine, LiveLines } from "./bars.js";
import { EXIT_OK, EXIT_PROBLEM, UsageError } from "./errors.js";
import type { JsonFlag } from "./options.js";
import { openPullReader, type PullReader, pullName } from "./pull-progress.js";
import type { VerbResult } from "./result.js";
import { type RuntimeFlags, withRuntime } from "./runtime-options.js";

export interface PullsFlags extends RuntimeFlags, JsonFlag {
  stallAfter?: string;
  interval?: string;
}

/** Two reads this far apart give a snapshot its first rate. */
const SNAPSHOT_GAP_MS = 1000;

/**
 * The node's pulls in flight: live bars in a terminal until Ctrl-C; otherwise (a pipe, a file,
 * --json) one snapshot. Exit 1 when a snapshot shows a stalled pull.
 */
export async function pullsVerb(flags: PullsFlags, env: NodeJS.ProcessEnv, out: NodeJS.WriteStream = process.stdout): Promise<VerbResult> {
  const stallAfterMs = durationFlag("--stall-after", flags.stallAfter);
  const intervalMs = durationFlag("--interval", flags.interval) ?? 1000;
  return withRuntime(flags, env, async (client) => {
    const reader = await openPullReader(client, stallAfterMs);
    if ("unavailable" in reader) return { exitCode: EXIT_OK, json: { available: false, note: reader.unavailable, pulls: [] }, text: `${reader.unavailable}\n` };
    try {
      if (!flags.json && out.isTTY === true) return await live(reader, out, intervalMs);
      await reader.poll();
      await sleep(SNAPSHOT_GAP_MS);
      const pulls = await reader.poll();
      return {
        exitCode: pulls.some((p) => p.stalled) ? EXIT_PROBLEM : EXIT_OK,
        json: { available: true, pulls: pulls.map((p) => ({ image: pullName(p), ...p, etaSeconds: p.etaSeconds ?? null })) },
        text: pulls.length === 0 ? "no pulls in flight\n" : pulls.map((p) => `${pullName(p)}  ${progressText(p)}\n`).join(""),
      };
    } finally {
      reader.close();
    }
  });
}

/** Redraws every interval until SIGINT or SIGTERM; the bars stay on screen as the last view. */
async function live(reader: PullReader, out: NodeJS.WriteStream, intervalMs: number): Promise<VerbResult> {
  const lines = new LiveLines(out);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  out.write("\x1b[?25l");
  try {
    while (!stop.signal.aborted) {
      lines.draw(view(await reader.poll()));
      await sleep(intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    out.write("\x1b[?25h");
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return { exitCode: EXIT_OK, json: {}, text: "" };
}

function view(pulls: PullProgress[]): string[] {
  const head = `pulls in flight: ${pulls.length}  (${new Date().toLocaleTimeString([], { hour12: false })}, Ctrl-C to stop)`;
  const names = pulls.map(pullName);
  const width = Math.max(0, ...names.map((n) => n.length));
  return [head, ...pulls.map((p, i) => barLine((names[i] ?? "").padEnd(width), p))];
}

function durationFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 100) throw new UsageError(`${flag} "${value}" is not a duration like 1s, 30s or 2m`);
  return ms;
}
