// Repeated log lines folded into one. A peer that retries in a loop (a wrong token, a frame that
// does not decode, a database that refuses every write) would otherwise write a line per attempt:
// thousands a second, drowning everything else and filling the node's disk. Here the first line of
// a kind in a window is written at once, the rest of the window only counted, and when the window
// ends one line says how many there were: "… 4,950 more in the last 10 s".

import { formatDuration } from "../text/index.js";
import type { Logger } from "./log.js";

export interface LogRepeatsOptions {
  /** How long later lines of a kind are counted instead of written. Default 10 s. */
  windowMs?: number;
  now?: () => number;
  /** Kinds followed at once; lines of any kind beyond them share one more kind, "other". Default 1000. */
  maxKinds?: number;
}

type Level = "error" | "warn" | "info";

interface Kind {
  level: Level;
  /** When the kind's window opened, ms. */
  since: number;
  /** Lines counted, not written, in the window. */
  held: number;
  /** The latest of them, written with the count. */
  latest: string;
}

const DEFAULT_REPEAT_WINDOW_MS = 10_000;
const DEFAULT_MAX_KINDS = 1000;
const OTHER = "other";

/**
 * Writes through `log`, at most one line per kind per window plus one line with the count of the
 * rest. A kind is a name the caller chooses for a line that repeats ("refused:unauthenticated"),
 * never text from a peer: its lines may differ (each names its peer), the latest one is shown.
 */
export class LogRepeats {
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly maxKinds: number;
  private readonly kinds = new Map<string, Kind>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    opts: LogRepeatsOptions = {},
  ) {
    this.windowMs = Math.max(1, opts.windowMs ?? DEFAULT_REPEAT_WINDOW_MS);
    this.now = opts.now ?? Date.now;
    this.maxKinds = Math.max(1, opts.maxKinds ?? DEFAULT_MAX_KINDS);
  }

  error(kind: string, message: string): void {
    this.line("error", kind, message);
  }

  warn(kind: string, message: string): void {
    this.line("warn", kind, message);
  }

  info(kind: string, message: string): void {
    this.line("info", kind, message);
  }

  /** A Logger whose lines are folded under `kind` (each level apart), for code that takes a Logger. */
  as(kind: string): Logger {
    return {
      error: (message) => this.error(`${kind}:error`, message),
      warn: (message) => this.warn(`${kind}:warn`, message),
      info: (message) => this.info(`${kind}:info`, message),
      debug: (message) => this.log.debug(message),
    };
  }

  /** Writes the count of every window that has ended, and forgets kinds that went quiet. */
  flush(): void {
    const now = this.now();
    for (const [name, k] of this.kinds) {
      if (now - k.since < this.windowMs) continue;
      this.summarize(k);
      this.kinds.delete(name);
    }
    if (this.kinds.size === 0) this.stopTimer();
  }

  /** Writes every count held now, window ended or not, and stops the timer (shutdown). */
  stop(): void {
    for (const k of this.kinds.values()) this.summarize(k);
    this.kinds.clear();
    this.stopTimer();
  }

  private line(level: Level, kind: string, message: string): void {
    const now = this.now();
    const name = this.kinds.has(kind) || this.kinds.size < this.maxKinds ? kind : OTHER;
    const k = this.kinds.get(name);
    if (k !== undefined && now - k.since < this.windowMs) {
      k.held++;
      k.latest = message;
      k.level = level;
      this.startTimer();
      return;
    }
    if (k !== undefined) this.summarize(k);
    this.kinds.set(name, { level, since: now, held: 0, latest: message });
    this.log[level](message);
    this.startTimer();
  }

  private summarize(k: Kind): void {
    if (k.held === 0) return;
    this.log[k.level](`${k.latest} (… ${k.held.toLocaleString("en-US")} more in the last ${formatDuration(this.windowMs)})`);
    k.held = 0;
  }

  private startTimer(): void {
    if (this.timer !== undefined) return;
    // A quarter window: a count is written at most a quarter window after its window ended.
    this.timer = setInterval(() => this.flush(), Math.max(1, Math.floor(this.windowMs / 4)));
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
