// Bars for the pulls a verb starts (prepull, diagnose --pull), drawn below its progress lines
// while the work runs, and gone when it ends. Only on a terminal, never with --json.

import { imageMatchesPull } from "../agent/pulls/index.js";
import type { RuntimeClient } from "../agent/runtime/index.js";
import { barLine, LiveLines } from "./bars.js";
import { openPullReader } from "./pull-progress.js";

const REDRAW_MS = 500;

/**
 * Runs `work` with a `say` that prints a line above the bars; `show` false (JSON, not a terminal)
 * runs it with `progress` as it is.
 */
export async function withPullBars<T>(
  client: RuntimeClient,
  images: readonly string[],
  show: boolean,
  progress: (text: string) => void,
  work: (say: (text: string) => void) => Promise<T>,
  out: Pick<NodeJS.WriteStream, "write" | "columns"> = process.stdout,
): Promise<T> {
  const reader = show ? await openPullReader(client).catch(() => undefined) : undefined;
  if (reader === undefined || "unavailable" in reader) {
    if (reader !== undefined) progress(`(no progress bars: ${reader.unavailable})\n`);
    return work(progress);
  }
  const lines = new LiveLines(out);
  let last: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    const pulls = await reader.poll().catch(() => []);
    if (stopped) return;
    last = pulls.flatMap((p) => {
      const image = images.find((i) => imageMatchesPull(i, p));
      return image === undefined ? [] : [barLine(image, p)];
    });
    lines.draw(last);
    timer = setTimeout(() => void tick(), REDRAW_MS);
  };
  void tick();
  try {
    return await work((text) => {
      lines.print(text);
      lines.draw(last);
    });
  } finally {
    stopped = true;
    clearTimeout(timer);
    lines.clear();
    reader.close();
  }
}
