/**
 * KubeApiError: what went wrong with one request to the API server, in words a person can act on.
 * An HTTP answer keeps its status and the Status object's reason; a failure before any answer
 * (refused, TLS, timeout) has status 0 and names the server and the cause. No message carries a
 * credential: the client scrubs every text it puts in one.
 */

import { asStatus } from "./decode-base.js";

/** Why a request got no HTTP answer. */
export type KubeNetworkFailure = "refused" | "dns" | "timeout" | "tls" | "reset" | "protocol" | "credentials" | "other";

export interface KubeApiErrorInit {
  verb: string;
  path: string;
  status: number;
  reason: string | undefined;
  /** Everything after "<verb> <path>: ". */
  detail: string;
  network?: KubeNetworkFailure;
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  /** The HTTP status, or 0 when no answer arrived (network, TLS, timeout). */
  readonly status: number;
  /** The Status object's reason (Forbidden, NotFound, Expired, Unauthorized, ...), or a stand-in derived from the HTTP status. */
  readonly reason: string | undefined;
  readonly verb: string;
  /** The request path (with its query; a continue token is elided). */
  readonly path: string;
  /** For status 0: what kind of failure it was. */
  readonly network: KubeNetworkFailure | undefined;
  /** From a Retry-After header, when the server sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: KubeApiErrorInit) {
    super(`${init.verb} ${init.path}: ${init.detail}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.reason = init.reason;
    this.verb = init.verb;
    this.path = init.path;
    this.network = init.network;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

// metav1.StatusReason for the statuses the API server answers with, for bodies that carry none.
const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Expired",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

export function reasonForStatus(status: number): string | undefined {
  return REASONS[status];
}

const BODY_EXCERPT = 200;

/** The error for an HTTP answer the caller cannot use; `body` is (the start of) its text. */
export function statusError(
  verb: string,
  path: string,
  status: number,
  body: string,
  retryAfterSeconds: number | undefined,
  scrub: (s: string) => string,
): KubeApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const kubeStatus = asStatus(parsed);
  let reason: string | undefined;
  let detail: string;
  if (kubeStatus !== undefined) {
    reason = kubeStatus.reason !== undefined && kubeStatus.reason !== "" ? kubeStatus.reason : reasonForStatus(status);
    detail = `${status} ${reason ?? "Failure"}${kubeStatus.message !== undefined && kubeStatus.message !== "" ? `: ${scrub(kubeStatus.message)}` : ""}`;
  } else {
    reason = reasonForStatus(status);
    const text = body.trim();
    const excerpt = text.length > BODY_EXCERPT ? `${text.slice(0, BODY_EXCERPT)}…` : text;
    detail = `${status} ${reason ?? "Failure"}: the response is not a Kubernetes Status object${excerpt === "" ? " (empty body)" : `: ${JSON.stringify(scrub(excerpt))}`}`;
  }
  return new KubeApiError({ verb, path, status, reason, detail, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
}

/** An error for a 2xx answer whose body is not what the request should get (not JSON, wrong kind, missing field). */
export function malformedError(verb: string, path: string, status: number, problem: string): KubeApiError {
  return new KubeApiError({ verb, path, status, reason: "MalformedResponse", detail: `${status}: unusable response: ${problem}` });
}

const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ETIMEDOUT"]);
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NODATA", "EAI_NONAME"]);
const RESET_CODES = new Set(["ECONNRESET", "UND_ERR_SOCKET", "EPIPE", "ECONNABORTED", "UND_ERR_CLOSED", "UND_ERR_RES_CONTENT_LENGTH_MISMATCH"]);
const UNKNOWN_AUTHORITY = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
]);
const CERT_CODES = new Set([
  ...UNKNOWN_AUTHORITY,
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "INVALID_CA",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "HOSTNAME_MISMATCH",
]);

interface Link {
  code: string | undefined;
  message: string;
}

function chainOf(err: unknown): Link[] {
  const out: Link[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    if (typeof current !== "object") {
      out.push({ code: undefined, message: String(current) });
      break;
    }
    const e = current as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    out.push({ code: typeof e.code === "string" ? e.code : undefined, message: typeof e.message === "string" ? e.message : "" });
    if (Array.isArray(e.errors)) for (const inner of e.errors.slice(0, 4)) out.push(...chainOf(inner));
    current = e.cause;
  }
  return out;
}

/** What a failure without an HTTP answer was, in words; `tlsTrust` says where the trusted CA came from. */
export function describeNetworkError(err: unknown, tlsTrust: string): { network: KubeNetworkFailure; cause: string } {
  const chain = chainOf(err);
  const codes = chain.map((l) => l.code).filter((c): c is string => c !== undefined);
  const has = (set: Set<string>): string | undefined => codes.find((c) => set.has(c));
  const messageOf = (code: string | undefined): string => {
    const text = (chain.find((l) => l.code === code) ?? chain[0])?.message ?? "";
    const openssl = /error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)/.exec(text);
    return (openssl?.[1] ?? text).trim();
  };

  const timeout = has(TIMEOUT_CODES);
  if (timeout !== undefined) {
    const what =
      timeout === "UND_ERR_CONNECT_TIMEOUT"
        ? "connecting"
        : timeout === "UND_ERR_HEADERS_TIMEOUT"
          ? "waiting for the response"
          : timeout === "UND_ERR_BODY_TIMEOUT"
            ? "waiting for more of the response"
            : "on the network";
    return { network: "timeout", cause: `timed out ${what}` };
  }
  const dns = has(DNS_CODES);
  if (dns !== undefined) return { network: "dns", cause: `host name does not resolve (${dns})` };
  const unknownCa = has(UNKNOWN_AUTHORITY);
  if (unknownCa !== undefined) {
    return { network: "tls", cause: `TLS: certificate signed by unknown authority (${unknownCa}: ${messageOf(unknownCa)}); trusted: ${tlsTrust}` };
  }
  const cert = has(CERT_CODES);
  if (cert !== undefined) return { network: "tls", cause: `TLS: server certificate rejected (${cert}: ${messageOf(cert)})` };
  const ssl = codes.find((c) => c.startsWith("ERR_SSL_") || c === "EPROTO" || c.startsWith("ERR_TLS_"));
  if (ssl !== undefined) {
    const text = messageOf(ssl);
    if (/wrong version number|packet length too long|http request/i.test(text)) {
      return { network: "tls", cause: "TLS handshake answered by plain HTTP (is the server http://, not https://?)" };
    }
    return { network: "tls", cause: `TLS handshake failed (${ssl}: ${text})` };
  }
  if (codes.includes("ECONNREFUSED")) return { network: "refused", cause: "connection refused" };
  const unreachable = codes.find((c) => c === "EHOSTUNREACH" || c === "ENETUNREACH" || c === "EADDRNOTAVAIL");
  if (unreachable !== undefined) return { network: "timeout", cause: `host unreachable (${unreachable})` };
  const reset = has(RESET_CODES);
  if (reset !== undefined) return { network: "reset", cause: `connection closed by the server (${messageOf(reset) || reset})` };
  if (codes.some((c) => c.startsWith("HPE_") || c === "UND_ERR_HEADERS_OVERFLOW")) return { network: "protocol", cause: "the response is not valid HTTP" };
  const code = codes[0];
  return { network: "other", cause: messageOf(code) || "request failed" };
}

/** Whole seconds from a Retry-After header (seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
