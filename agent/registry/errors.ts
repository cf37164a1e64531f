/**
 * The one error type of the registry client. It carries what a diagnosis needs to pick a cause
 * (kind, status, registry error codes, whether credentials were sent) and what a person needs to
 * act (a message naming the request, quota headers, Retry-After), and never a secret: URLs are
 * cleaned here, at the only place errors are built.
 */

import { STATUS_CODES } from "node:http";
import { redactText } from "../../core/log/index.js";
import type { AuthChallenge } from "./challenge.js";
import type { RateLimit } from "./ratelimit.js";

export type RegistryFailureKind =
  | "dns"
  | "refused"
  | "reset"
  | "timeout"
  | "tls"
  /** Plain HTTP answered on a TLS port, or a TLS server got plain HTTP. */
  | "http-to-https"
  /** A registry HTTP status the client could not handle. */
  | "http"
  /** Malformed response: bad JSON, a wrong digest, an unreadable header. */
  | "protocol";

export type RegistryStep = "ping" | "token" | "manifest" | "tags" | "blob";

export interface RegistryErrorBody {
  /** Registry error code such as "MANIFEST_UNKNOWN"; "" when the server sent only free text. */
  code: string;
  message: string;
  detail?: unknown;
}

export interface RegistryErrorInit {
  kind: RegistryFailureKind;
  step: RegistryStep;
  method: string;
  url: string | URL;
  status?: number | undefined;
  errors?: RegistryErrorBody[];
  code?: string | undefined;
  rateLimit?: RateLimit | undefined;
  quotaHeaders?: Record<string, string[]>;
  retryAfterSeconds?: number | undefined;
  challenges?: AuthChallenge[];
  credentialSent: boolean;
  /** What went wrong, for the message when there is no status line: "connection refused". */
  reason?: string | undefined;
  /** The start of a non-JSON error body, for evidence when the registry sent no error codes. */
  bodyText?: string | undefined;
  cause?: unknown;
}

export class RegistryError extends Error {
  readonly kind: RegistryFailureKind;
  readonly step: RegistryStep;
  readonly method: string;
  /** Without userinfo and without query parameters that carry tokens or signatures. */
  readonly url: string;
  readonly status: number | undefined;
  readonly errors: RegistryErrorBody[];
  /** Node/undici error code (ENOTFOUND, UND_ERR_CONNECT_TIMEOUT, CERT_HAS_EXPIRED, …). */
  readonly code: string | undefined;
  readonly rateLimit: RateLimit | undefined;
  /** ratelimit-* and docker-ratelimit-source as the failing response sent them. */
  readonly quotaHeaders: Record<string, string[]>;
  readonly retryAfterSeconds: number | undefined;
  readonly challenges: AuthChallenge[];
  /** Whether the failing request, or the token request behind it, carried our credentials. */
  readonly credentialSent: boolean;
  readonly bodyText: string | undefined;

  constructor(init: RegistryErrorInit) {
    const url = safeUrl(init.url);
    super(redactText(formatMessage(init, url)), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "RegistryError";
    this.kind = init.kind;
    this.step = init.step;
    this.method = init.method;
    this.url = url;
    this.status = init.status;
    this.errors = init.errors ?? [];
    this.code = init.code;
    this.rateLimit = init.rateLimit;
    this.quotaHeaders = init.quotaHeaders ?? {};
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.challenges = init.challenges ?? [];
    this.credentialSent = init.credentialSent;
    this.bodyText = init.bodyText === undefined ? undefined : redactText(init.bodyText);
  }

  /** JSON.stringify of an Error drops the message; reports want it. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      kind: this.kind,
      step: this.step,
      method: this.method,
      url: this.url,
      status: this.status,
      errors: this.errors,
      code: this.code,
      rateLimit: this.rateLimit,
      retryAfterSeconds: this.retryAfterSeconds,
      challenges: this.challenges,
      credentialSent: this.credentialSent,
      bodyText: this.bodyText,
    };
  }
}

/** `GET https://reg.example/v2/app/manifests/1.0: 404 Not Found (MANIFEST_UNKNOWN: manifest unknown)` */
function formatMessage(init: RegistryErrorInit, url: string): string {
  const parts: string[] = [];
  if (init.status !== undefined) parts.push(statusLine(init.status));
  if (init.reason !== undefined) parts.push(init.reason);
  let text = `${init.method} ${url}: ${parts.join(": ") || init.kind}`;
  const errors = (init.errors ?? []).map((e) => (e.code === "" ? e.message : e.message === "" ? e.code : `${e.code}: ${e.message}`));
  if (errors.length > 0) text += ` (${errors.join("; ")})`;
  if (init.code !== undefined && init.status === undefined) text += ` [${init.code}]`;
  if (init.retryAfterSeconds !== undefined) text += `; retry after ${init.retryAfterSeconds} s`;
  return text;
}

function statusLine(status: number): string {
  const text = STATUS_CODES[status];
  return text === undefined ? String(status) : `${status} ${text}`;
}

// Presigned object-storage URLs (S3, GCS, Azure) carry their credential in the query; Docker
// Hub's blob redirects to Cloudflare carry theirs as `verify=<expiry>-<signature>`.
const SECRET_QUERY = /token|signature|sig$|credential|secret|password|passwd|key|auth|code|^verify$/i;

/** A URL safe to show: no userinfo, no fragment, secret-looking query parameters removed. */
function safeUrl(input: string | URL): string {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    return redactText(String(input)).replace(/\?.*$/s, "");
  }
  url.username = "";
  url.password = "";
  url.hash = "";
  for (const name of [...new Set(url.searchParams.keys())]) {
    if (SECRET_QUERY.test(name)) url.searchParams.delete(name);
  }
  return url.toString();
}

/**
 * Free text with its URLs shown as `safeUrl` shows them. For messages we did not write (a
 * runtime's pull error): Go's errors quote whole request URLs, signed query included.
 */
export function redactUrls(text: string): string {
  return redactText(text).replace(/\bhttps?:\/\/[^\s"'<>]+/gi, (found) => {
    let url: URL;
    try {
      url = new URL(found);
    } catch {
      return found.replace(/\?.*$/s, "");
    }
    const secret = url.username !== "" || url.password !== "" || [...url.searchParams.keys()].some((name) => SECRET_QUERY.test(name));
    return secret ? safeUrl(url) : found;
  });
}
