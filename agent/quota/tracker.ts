/**
 * The newest quota reading per source. Hub counts pulls per IPv4 address, IPv6 /64 or account,
 * and a node can pull as several of them (dual stack, credentials for some images), so one
 * "the quota" would mix counters. Bounded, because the sources come from a server's headers.
 */

import type { RateLimit } from "../registry/index.js";
import { type QuotaReading, readingFromRateLimit } from "./reading.js";

const DEFAULT_MAX_SOURCES = 64;

export class QuotaTracker {
  private readonly maxSources: number;
  /** Insertion order = least recently updated first, which is what gets dropped. */
  private readonly readings = new Map<string, QuotaReading>();

  constructor(opts: { maxSources?: number } = {}) {
    const max = opts.maxSources ?? DEFAULT_MAX_SOURCES;
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`QuotaTracker: maxSources must be a whole number ≥ 1, got ${String(max)}`);
    this.maxSources = max;
    // Bound so it can be handed to RegistryClient as `onRateLimit` directly.
    this.recordRateLimit = this.recordRateLimit.bind(this);
  }

  record(reading: QuotaReading): void {
    const key = reading.source ?? "";
    const known = this.readings.get(key);
    // Responses can be handled out of order; an older reading must not replace a newer one.
    if (known !== undefined && known.observedAt > reading.observedAt) return;
    this.readings.delete(key);
    this.readings.set(key, { ...reading, problems: [...reading.problems] });
    while (this.readings.size > this.maxSources) {
      const oldest = this.readings.keys().next();
      if (oldest.done) break;
      this.readings.delete(oldest.value);
    }
  }

  /**
   * For RegistryClient's `onRateLimit`: quota headers on any Docker Hub response. The client does
   * not say whether that request carried credentials, so `authenticated` is what the caller knows.
   */
  recordRateLimit(r: RateLimit, via: "pull" = "pull", authenticated = false): void {
    this.record(readingFromRateLimit(r, via, authenticated));
  }

  /** The newest reading of any source. */
  latest(): QuotaReading | undefined {
    let newest: QuotaReading | undefined;
    for (const r of this.readings.values()) if (newest === undefined || r.observedAt >= newest.observedAt) newest = r;
    return newest === undefined ? undefined : copy(newest);
  }

  /** One reading per source, newest first. */
  bySource(): QuotaReading[] {
    return [...this.readings.values()].sort((a, b) => b.observedAt - a.observedAt).map(copy);
  }
}

function copy(r: QuotaReading): QuotaReading {
  return { ...r, problems: [...r.problems] };
}
