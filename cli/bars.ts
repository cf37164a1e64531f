// Progress bars in a terminal, redrawn in place: a few ANSI sequences (cursor up, erase line),
// which every terminal emulator pullmedic runs in understands. No library: the npm ones pull in
// more than this file holds, and this is all the verbs need (see the report).

import { formatDuration, humanBytes } from "../core/text/index.js";

/** A pull as a bar shows it (PullProgress and PullInFlight fit). */
export interface BarPull {
  bytesDone: number;
  bytesTotal: number;
  layersDone: number;
  layersTotal: number;
  bytesPerSecond: number;
  etaSeconds: number | undefined;
  percent: number;
  stalled: boolean;
  idleMs: number;
}

const FULL = "█";
const EMPTY = "░";

/** "████████░░░░░░░░░░░░" for 0..1. */
function bar(fraction: number, width: number): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return FULL.repeat(filled) + EMPTY.repeat(width - filled);
}

/** `name  [████░░░░]  42 %  12.0 MiB / 29.0 MiB  2/4 layers  2.0 MiB/s  ETA 9 s` */
export function barLine(name: string, p: BarPull, width = 24): string {
  const amount = `${humanBytes(p.bytesDone)} / ${humanBytes(p.bytesTotal)}`;
  const layers = `${p.layersDone}/${p.layersTotal} layers`;
  const tail = p.stalled
    ? `STALLED: no bytes for ${formatDuration(p.idleMs)}`
    : `${humanBytes(p.bytesPerSecond)}/s  ETA ${p.etaSeconds === undefined ? "?" : formatDuration(Math.max(1, p.etaSeconds) * 1000)}`;
  return `${name}  [${bar(p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0, width)}] ${String(p.percent).padStart(3)} %  ${amount}  ${layers}  ${tail}`;
}

/** Lines that redraw in place below whatever was printed before them. */
export class LiveLines {
  private drawn = 0;

  constructor(private readonly out: Pick<NodeJS.WriteStream, "write" | "columns">) {}

  draw(lines: readonly string[]): void {
    const width = Math.max(20, (this.out.columns ?? 120) - 1);
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : "";
    for (const line of lines) text += `\r\x1b[2K${cutTo(line, width)}\n`;
    text += "\x1b[J";
    this.out.write(text);
    this.drawn = lines.length;
  }

  /** A line that stays, printed above the bars (which are drawn again on the next draw). */
  print(text: string): void {
    this.clear();
    this.out.write(text);
  }

  clear(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\r\x1b[J`);
    this.drawn = 0;
  }
}

function cutTo(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, width - 1).join("")}…`;
}
