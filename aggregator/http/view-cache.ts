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

export interface ViewCacheOptions {
  /** How long an answer is served again, ms; 0 computes every request. */
  windowMs: number;
  maxEntries?: number;
  /** Told of every lookup: whether it was answered from the cache (for the metrics). */
  onLookup?(hit: boolean): void;
}

interface Entry<T> {
  at: number;
  value: T;
}

export class ViewCache<T> {
  /** Answers served from the cache, and answers computed (for the metrics and the bench). */
  hits = 0;
  misses = 0;
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly onLookup: (hit: boolean) => void;
  /** In the order computed, so the oldest are first. */
  private readonly entries = new Map<string, Entry<T>>();

  constructor(opts: ViewCacheOptions) {
    if (!(opts.windowMs >= 0)) throw new Error(`the view cache window must be 0 or more ms, not ${opts.windowMs}`);
    this.windowMs = opts.windowMs;
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
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
    if (this.windowMs === 0) return value;
    this.entries.delete(key);
    this.dropExpired(now);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    const entry = { at: now, value };
    this.entries.set(key, entry);
    if (value instanceof Promise) value.catch(() => this.entries.get(key) === entry && this.entries.delete(key));
    return value;
  }

  get size(): number {
    return this.entries.size;
  }

  private dropExpired(now: number): void {
    for (const [key, e] of this.entries) {
      if (now - e.at < this.windowMs) break;
      this.entries.delete(key);
    }
  }
}

/** What an answer of `view` depends on in the request: its path and the parameters it reads. */
export function viewKey(view: View, params: URLSearchParams): string {
  return `${view.path}?${view.query.map((name) => `${name}=${encodeURIComponent(params.get(name) || "")}`).join("&")}`;
}
