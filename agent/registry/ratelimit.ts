/**
 * Docker Hub's pull quota headers and the standard Retry-After header. Both come from servers we
 * do not control, so these parsers answer `undefined` for anything they cannot read instead of
 * throwing: a malformed header must never turn a successful pull check into a failure.
 */

export interface RateLimit {
  limit: number;
  remaining: number;
  /** The `w=` of the headers: the length of the quota window. */
  windowSeconds: number | undefined;
  /** `docker-ratelimit-source`: the IP or IPv6 /64 (or account) the quota is counted against. */
  source: string | undefined;
  /** When the headers were seen (ms epoch), so a stale reading can be told from a fresh one. */
  observedAt: number;
}

export type HeaderBag = Record<string, string | string[] | undefined>;

/** Case-insensitive lookup; repeated headers yield their first value, which is the one a proxy did not append. */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) return first;
  }
  return undefined;
}

/**
 * Reads `ratelimit-limit: 100;w=21600`, `ratelimit-remaining: 20;w=21600` and
 * `docker-ratelimit-source`. Both counts are needed: a limit without what is left says nothing
 * a user can act on.
 */
const QUOTA_HEADERS = ["ratelimit-limit", "ratelimit-remaining", "docker-ratelimit-source"] as const;

/**
 * The quota headers exactly as sent, every value of each: the parsed RateLimit cannot tell
 * "no headers" (unlimited) from "headers nobody can read", and a quota check must.
 */
export function quotaHeaderValues(headers: HeaderBag): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(headers)) {
    const name = key.toLowerCase();
    if (value === undefined || !(QUOTA_HEADERS as readonly string[]).includes(name)) continue;
    out[name] = [...(out[name] ?? []), ...(Array.isArray(value) ? value : [value])];
  }
  return out;
}

export function parseRateLimitHeaders(headers: HeaderBag, now: number): RateLimit | undefined {
  const limitHeader = headerValue(headers, "ratelimit-limit");
  const remainingHeader = headerValue(headers, "ratelimit-remaining");
  if (limitHeader === undefined || remainingHeader === undefined) return undefined;
  const limit = parseQuotaValue(limitHeader);
  const remaining = parseQuotaValue(remainingHeader);
  if (limit === undefined || remaining === undefined) return undefined;
  const source = headerValue(headers, "docker-ratelimit-source")?.trim();
  return {
    limit: limit.count,
    remaining: remaining.count,
    windowSeconds: limit.windowSeconds ?? remaining.windowSeconds,
    source: source === undefined || source === "" ? undefined : source,
    observedAt: now,
  };
}

/**
 * `<count>[;w=<seconds>][;other=params]`. Only the first list member is read: a server that
 * announces several policies lists the one that applies to this request first.
 */
function parseQuotaValue(raw: string): { count: number; windowSeconds: number | undefined } | undefined {
  const first = raw.split(",")[0] ?? "";
  const [countPart, ...params] = first.split(";");
  const count = parseWholeNumber(countPart ?? "");
  if (count === undefined) return undefined;
  let windowSeconds: number | undefined;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() !== "w") continue;
    windowSeconds = parseWholeNumber(param.slice(eq + 1));
    // A window we cannot read is left out rather than rejecting the counts, which are still right.
    break;
  }
  return { count, windowSeconds };
}

function parseWholeNumber(raw: string): number | undefined {
  const text = raw.trim();
  if (!/^[0-9]{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * `Retry-After` as seconds from `now`: either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * A date in the past means "now", i.e. 0.
 */
export function parseRetryAfter(raw: string | undefined, now: number): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === "") return undefined;
  if (/^[0-9]+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds : undefined;
  }
  // Only the IMF-fixdate shape: Date.parse would also accept "3" or "tomorrow"-like strings.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
