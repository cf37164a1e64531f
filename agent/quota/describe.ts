/**
 * Quota readings and check failures in words. Hub's window is sliding: each pull stops counting
 * when it is a window old, and the headers give no reset time, so none is promised here. Every
 * number said is one the headers gave; Hub's current limits are not assumed.
 */

import { formatDuration } from "../../core/text/index.js";
import { RegistryError } from "../registry/index.js";
import { QUOTA_CHECK_REPOSITORY, QuotaError } from "./check.js";
import type { QuotaReading } from "./reading.js";

const UNLIMITED_TEXT = "unlimited (no quota headers: authenticated paid account or unlimited source)";
// A reading this old is shown with its age: the counter may have moved since.
const STALE_MS = 60_000;

export function describeQuota(r: QuotaReading, now: number): string {
  const age = now - r.observedAt >= STALE_MS ? ` [read ${formatDuration(now - r.observedAt)} ago]` : "";
  if (r.unlimited) return `${UNLIMITED_TEXT}${age}`;
  const parts = [`${counts(r)}${r.windowSeconds === undefined ? " (window length not given)" : ` in a ${formatDuration(r.windowSeconds * 1000)} window`}`];
  parts[0] += `${r.source === undefined ? " for a source the registry did not name" : ` for ${r.source}`} (${who(r)})`;
  if (r.remaining === 0) parts.push(`used up, pulls fail with 429 until a slot frees: ${describeWindow(r.windowSeconds)}`);
  else if (isLow(r)) parts.push(`nearly used up: ${describeWindow(r.windowSeconds)}`);
  if (r.problems.length > 0) parts.push(`header problems: ${r.problems.join("; ")}`);
  return `${parts.join("; ")}${age}`;
}

/** What a sliding window means for the next pull, without a reset time the headers do not give. */
export function describeWindow(windowSeconds: number | undefined): string {
  if (windowSeconds === undefined) return "pulls made within the window count; the oldest frees a slot when it leaves the window";
  const w = formatDuration(windowSeconds * 1000);
  return `pulls made in the last ${w} count; the oldest frees a slot when it turns ${w} old`;
}

/** Why the check failed, in words a person can act on; never a secret (RegistryError messages are redacted). */
export function describeQuotaFailure(err: unknown, opts: { credential?: string } = {}): string {
  if (err instanceof QuotaError) return err.message;
  if (!(err instanceof RegistryError)) return err instanceof Error ? err.message : String(err);
  const unreachable = ["dns", "refused", "reset", "timeout", "tls", "http-to-https"].includes(err.kind);
  if (err.step === "token") {
    if (unreachable) return `cannot reach the token service: ${err.message}`;
    if ((err.status === 401 || err.status === 403) && err.credentialSent) {
      return `the token service refused the Docker Hub credentials (${opts.credential ?? "the configured credential"}): check the username and the password or access token (${err.message})`;
    }
    if (err.status === 401 || err.status === 403) return `the token service refused an anonymous token: ${err.message}`;
    return `the token service failed: ${err.message}`;
  }
  if (unreachable) return `cannot reach the registry: ${err.message}`;
  if (err.step === "manifest" && err.status === 404)
    return `the quota-check image ${QUOTA_CHECK_REPOSITORY} is not there; is the registry URL Docker Hub? (${err.message})`;
  if (err.step === "manifest" && (err.status === 401 || err.status === 403))
    return `the registry refused the token for ${QUOTA_CHECK_REPOSITORY}: ${err.message}`;
  return `the quota check failed: ${err.message}`;
}

function counts(r: QuotaReading): string {
  if (r.remaining !== undefined && r.limit !== undefined) return `${r.remaining} of ${r.limit} pulls left`;
  if (r.remaining !== undefined) return `${r.remaining} pulls left (limit not readable)`;
  if (r.limit !== undefined) return `pulls left not readable (limit ${r.limit})`;
  return "pulls left and limit not readable";
}

function who(r: QuotaReading): string {
  // A pull's headers do not say whether that request was authenticated; only the check knows.
  if (r.via === "pull") return r.authenticated ? "authenticated, seen on a pull" : "seen on a pull";
  return r.authenticated ? "authenticated" : "anonymous";
}

/** A tenth of the limit or less is worth a warning before pulls start failing. */
function isLow(r: QuotaReading): boolean {
  return r.remaining !== undefined && r.limit !== undefined && r.limit > 0 && r.remaining * 10 <= r.limit;
}
