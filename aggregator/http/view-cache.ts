// The views' answers, computed once per window and served from there. A view at 5,000 nodes costs
// tens of milliseconds of event loop, and every open dashboard asks for all of them every few
// seconds: without this, a few dashboards take the time ingest needs. Keyed by the view and the
// query parameters it reads (in its order, an empty one as absent, so a parameter no view reads
// cannot split the cache), an answer is reused while it is younger than the window, whatever
// changed meanwhile: the bound is that an answer shows the state and the time (staleness, "24h
// ago") of at most windowMs before the request, and its generatedAt says when. Not the cluster
// state's generation: under ingest the state changes on every message, so an entry keyed by it
// would hardly ever be reused.

import type { View } from "../views/index.js";

/** The default window; the config's viewCacheWindow sets it. */
export const DEFAULT_VIEW_CACHE_WINDOW_MS = 1000;
/** Entries kept at most (pages and filters people ask for within one window). */
const DEFAULT_MAX_ENTRIES = 64;
/** What the kept values may weigh together (for answers: their bytes), so large pages cannot pile up. */
const DEFAULT_MAX_WEIGHT = 32 * 1024 * 1024;

export interface ViewCacheOptions<T> {
  /** How long an answer is served again, ms; 0 computes every request. */
  windowMs: number;
  maxEntries?: number;
  maxWeight?: number;
  /**
   * A value's weight against maxWeight (default 0); a value heavier than maxWeight is not kept. A
   * promise is weighed by what it resolves to, once it has.
   */
  weigh?(value: Awaited<T>): number;
  /** Told of every lookup: whether it was answered from the cache (for the metrics). */
  onLookup?(hit: boolean): void;
}

interface Entry<T> {
  at: number;
  value: T;
  weight: number;
}

export class ViewCache<T> {
  /** Answers served from the cache, and answers computed (for the metrics and the bench). */
  hits = 0;
  misses = 0;
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly maxWeight: number;
  private readonly weigh: (value: Awaited<T>) => number;
  private weight = 0;
  private readonly onLookup: (hit: boolean) => void;
  /** In the order computed, so the oldest are first. */
  private readonly entries = new Map<string, Entry<T>>();

  constructor(opts: ViewCacheOptions<T>) {
    if (!(opts.windowMs >= 0)) throw new Error(`the view cache window must be 0 or more ms, not ${opts.windowMs}`);
    this.windowMs = opts.windowMs;
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.maxWeight = opts.maxWeight ?? DEFAULT_MAX_WEIGHT;
    this.weigh = opts.weigh ?? (() => 0);
    this.onLookup = opts.onLookup ?? (() => undefined);
  }

  /**
   * The value for `key` computed less than the window before `now`, else compute()'s, kept. What
   * compute() throws (a bad parameter) is not kept, nor a promise it returns that rejects.
   */
  get(key: string, now: number, compute: () => T): T {
    const kept = this.entries.get(key);
    if (kept !== undefined && now - kept.at < this.windowMs && now >= kept.at) {
      this.hits++;
      this.onLookup(true);
      return kept.value;
    }
    this.misses++;
    this.onLookup(false);
    const value = compute();
    this.drop(key);
    if (this.windowMs === 0) return value;
    if (value instanceof Promise) this.keepPromise(key, now, value);
    else this.keep(key, now, value, this.weigh(value as Awaited<T>));
    return value;
  }

  private keep(key: string, now: number, value: T, weight: number): Entry<T> | undefined {
    if (weight > this.maxWeight) return undefined;
    this.makeRoom(now, weight);
    const entry = { at: now, value, weight };
    this.entries.set(key, entry);
    this.weight += weight;
    return entry;
  }

  /** Kept at once (requests meanwhile share it), weighed when it resolves, dropped if it rejects. */
  private keepPromise(key: string, now: number, value: T & Promise<unknown>): void {
    const entry = this.keep(key, now, value, 0);
    if (entry === undefined) return;
    value.then(
      (resolved) => {
        if (this.entries.get(key) !== entry) return;
        const weight = this.weigh(resolved as Awaited<T>);
        this.drop(key);
        this.keep(key, entry.at, value, weight);
      },
      () => {
        if (this.entries.get(key) === entry) this.drop(key);
      },
    );
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops what the window passed, then the oldest while the new value would not fit. */
  private makeRoom(now: number, weight: number): void {
    for (const [key, e] of this.entries) {
      const full = this.entries.size >= this.maxEntries || this.weight + weight > this.maxWeight;
      if (!full && now - e.at < this.windowMs) break;
      this.drop(key);
    }
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    this.entries.delete(key);
    this.weight -= e.weight;
  }
}

/** What an answer of `view` depends on in the request: its path and the parameters it reads. */
export function viewKey(view: View, params: URLSearchParams): string {
  return `${view.path}?${view.query.map((name) => `${name}=${encodeURIComponent(params.get(name) || "")}`).join("&")}`;
}
