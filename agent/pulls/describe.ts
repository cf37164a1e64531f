// A pull's progress in words, the same in Events, logs and the terminal.

import { formatDuration, humanBytes } from "../../core/text/index.js";
import type { PullFigures } from "./progress.js";

function rateText(bytesPerSecond: number): string {
  return `${humanBytes(bytesPerSecond)}/s`;
}

/** "42 % (12.3 MiB of 29.1 MiB, 2 of 4 layers)" */
export function amountText(p: Pick<PullFigures, "percent" | "bytesDone" | "bytesTotal" | "layersDone" | "layersTotal">): string {
  return `${p.percent} % (${humanBytes(p.bytesDone)} of ${humanBytes(p.bytesTotal)}, ${p.layersDone} of ${p.layersTotal} layers)`;
}

/** "about 9 s left", or "" when the rate does not tell. */
function etaText(etaSeconds: number | undefined): string {
  return etaSeconds === undefined ? "" : `about ${formatDuration(Math.max(1, etaSeconds) * 1000)} left`;
}

/** "42 % (…) at 1.9 MiB/s, about 9 s left" or "stalled for 1 min 5 s at 42 % (…)" */
export function progressText(p: PullFigures): string {
  if (p.stalled) return `stalled: no bytes for ${formatDuration(p.idleMs)} at ${amountText(p)}`;
  const eta = etaText(p.etaSeconds);
  return `${amountText(p)} at ${rateText(p.bytesPerSecond)}${eta ? `, ${eta}` : ""}`;
}
