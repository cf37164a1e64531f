// Why a pre-pull did not happen, in the diagnosis engine's labels and fix commands, so a failed
// pre-pull reads exactly like `pullmedic diagnose` and `explain` would put it.

import { type ImageReference, type ImageReferenceError, manifestReference } from "../../core/image/index.js";
import { formatDuration } from "../../core/text/index.js";
import { type DiagnosisFacts, explainMessage, type FailureCause, fixCommands } from "../diagnose/index.js";
import { describeWindow } from "../quota/index.js";
import { type RateLimit, RegistryError } from "../registry/index.js";
import { CriError } from "../runtime/index.js";

export interface Failure {
  cause: FailureCause;
  summary: string;
  fix: string[];
}

function facts(image: string, hostsDir: string, ref: ImageReference | undefined, extra: Partial<DiagnosisFacts> = {}): DiagnosisFacts {
  const f: DiagnosisFacts = { image, hostsDir, ...extra };
  if (ref !== undefined) {
    f.normalized = ref.normalized;
    f.domain = ref.domain;
    f.repository = ref.path;
    if (ref.tag !== undefined) f.tag = ref.tag;
  }
  return f;
}

export function invalidReference(image: string, err: ImageReferenceError, hostsDir: string): Failure {
  return { cause: "invalid-reference", summary: err.message, fix: fixCommands("invalid-reference", facts(image, hostsDir, undefined)) };
}

export function credentialProblem(image: string, ref: ImageReference, hostsDir: string, problem: string): Failure {
  return { cause: "secret-invalid", summary: problem, fix: fixCommands("secret-invalid", facts(image, hostsDir, ref)) };
}

/** Something on the node side (hosts.toml, the runtime) stopped the check before any registry answered. */
export function nodeProblem(image: string, ref: ImageReference | undefined, hostsDir: string, what: string, err: unknown): Failure {
  const message = err instanceof Error ? err.message : String(err);
  return { cause: "unknown", summary: `${what}: ${message}`, fix: fixCommands("unknown", facts(image, hostsDir, ref)) };
}

/**
 * A failed manifest HEAD as a cause. A HEAD answer has no body, so the status, the registry's
 * error codes when a proxy sent some, and whether credentials went along decide, as in diagnose.
 */
export function headFailure(image: string, ref: ImageReference, hostsDir: string, endpoint: string | undefined, err: unknown): Failure {
  const where = `HEAD ${ref.path}:${manifestReference(ref)}${endpoint ? ` on ${new URL(endpoint).host}` : ""}`;
  if (!(err instanceof RegistryError)) return nodeProblem(image, ref, hostsDir, where, err);
  const extra: Partial<DiagnosisFacts> = {};
  if (endpoint !== undefined) extra.endpoint = endpoint;
  if (err.status !== undefined) extra.status = err.status;
  if (err.errors.length > 0) extra.registryCodes = err.errors.map((e) => e.code);
  if (err.rateLimit !== undefined) extra.rateLimit = quotaFacts(err.rateLimit);
  if (err.retryAfterSeconds !== undefined) extra.retryAfterSeconds = err.retryAfterSeconds;
  if (err.kind === "http-to-https") extra.tlsProblem = "http-to-https";
  const cause = registryCause(err);
  const summary = `${where}: ${headWords(cause, err)} (${err.message})`;
  return { cause, summary, fix: fixCommands(cause, facts(image, hostsDir, ref, extra)) };
}

function registryCause(err: RegistryError): FailureCause {
  const codes = err.errors.map((e) => e.code);
  switch (err.kind) {
    case "dns":
      return "dns";
    case "refused":
    case "reset":
      return "connection-refused";
    case "timeout":
      return "network-timeout";
    case "tls":
    case "http-to-https":
      return "tls";
    case "protocol":
      return "registry-unavailable";
    case "http":
      break;
  }
  const status = err.status ?? 0;
  if (status === 429 || codes.includes("TOOMANYREQUESTS")) return "rate-limited";
  if (status === 404 || codes.includes("MANIFEST_UNKNOWN") || codes.includes("NAME_UNKNOWN")) return "not-found";
  if (status === 401 || status === 403 || codes.includes("DENIED") || codes.includes("UNAUTHORIZED")) {
    return err.credentialSent ? "auth-denied" : "auth-required";
  }
  if (status >= 500) return "registry-unavailable";
  return "unknown";
}

function headWords(cause: FailureCause, err: RegistryError): string {
  switch (cause) {
    case "not-found":
      return "the registry has no such repository, tag or digest";
    case "auth-required":
      return "the registry wants credentials and none were sent";
    case "auth-denied":
      return "the registry rejected the credentials sent";
    case "rate-limited": {
      const r = err.rateLimit;
      const left = r ? `${r.remaining} of ${r.limit} pulls left${r.source ? ` for ${r.source}` : ""}; ` : "";
      return `rate limit reached (${left}${describeWindow(r?.windowSeconds)})`;
    }
    case "registry-unavailable":
      return "the registry is failing";
    default:
      return "the registry could not be asked";
  }
}

/** The quota would drop under the reserve: the pull waits for the window instead. */
export function quotaDeferral(
  image: string,
  ref: ImageReference,
  hostsDir: string,
  reading: { remaining: number; source: string | undefined; windowSeconds: number | undefined },
  reserve: number,
): Failure {
  const who = reading.source === undefined ? "this node" : reading.source;
  const summary =
    `Docker Hub pull quota for ${who} is at ${reading.remaining}, under the reserve of ${reserve}: the pre-pull waits so the last pulls ` +
    `stay for pods that need them; ${describeWindow(reading.windowSeconds)}, and the next round tries again.`;
  return { cause: "rate-limited", summary, fix: fixCommands("rate-limited", facts(image, hostsDir, ref)) };
}

/** A failed PullImage, classified by the runtime's own words. */
export function pullFailure(image: string, ref: ImageReference, hostsDir: string, deadlineMs: number, err: unknown): Failure {
  if (err instanceof CriError && err.kind === "deadline") {
    const summary = `PullImage of ${image} did not finish within ${formatDuration(deadlineMs)}, the pre-pull deadline.`;
    return { cause: "pull-timeout", summary, fix: fixCommands("pull-timeout", facts(image, hostsDir, ref, { pullDeadlineSeconds: deadlineMs / 1000 })) };
  }
  const message = err instanceof Error ? err.message : String(err);
  const explained = explainMessage(message);
  const summary = explained.cause === "unknown" ? `PullImage of ${image} failed: ${message}` : explained.summary;
  return { cause: explained.cause, summary, fix: explained.fix };
}

/** Causes a retry seconds later cannot fix: the name, the credentials, the platform or the disk must change first. */
const FINAL_CAUSES: ReadonlySet<FailureCause> = new Set([
  "invalid-reference",
  "not-found",
  "auth-required",
  "auth-denied",
  "secret-invalid",
  "platform-mismatch",
  "disk-full",
  "never-pull",
  "rate-limited",
]);

export function isRetryable(f: Failure): boolean {
  return !FINAL_CAUSES.has(f.cause);
}

function quotaFacts(r: RateLimit): NonNullable<DiagnosisFacts["rateLimit"]> {
  return { limit: r.limit, remaining: r.remaining, windowSeconds: r.windowSeconds, source: r.source };
}
