import type { RateLimit } from "../registry/index.js";

/** What Docker Hub said about the pull quota of one source, at one moment. */
export interface QuotaReading {
  /** docker-ratelimit-source: an IP or an IPv6 /64 (or an account); undefined when the registry did not say. */
  source: string | undefined;
  /** undefined = unlimited, not reported, or unreadable (then `problems` says so). */
  limit: number | undefined;
  remaining: number | undefined;
  windowSeconds: number | undefined;
  /** No (or empty) ratelimit headers: a paid account or an unlimited source. */
  unlimited: boolean;
  /** The request that produced the headers used the node's Docker Hub credentials. */
  authenticated: boolean;
  /** ms epoch */
  observedAt: number;
  /** The documented check, or headers seen on another Docker Hub response. */
  via: "check" | "pull";
  /** Quota headers that were malformed or contradictory, in words; their fields are left undefined. Empty when all is well. */
  problems: string[];
}

/** A reading from quota headers the registry client saw on any Docker Hub response. */
export function readingFromRateLimit(r: RateLimit, via: "check" | "pull", authenticated: boolean): QuotaReading {
  return {
    source: r.source,
    limit: r.limit,
    remaining: r.remaining,
    windowSeconds: r.windowSeconds,
    unlimited: false,
    authenticated,
    observedAt: r.observedAt,
    via,
    problems: [],
  };
}
