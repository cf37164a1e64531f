/**
 * Turns what Node and undici throw for a failed exchange into a failure kind a diagnosis can
 * use. The code sits on the error itself or, when undici wraps, somewhere in its cause chain.
 */

import type { RegistryFailureKind } from "./errors.js";

export interface NetworkFailure {
  kind: RegistryFailureKind;
  code: string | undefined;
  reason: string;
}

const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ETIMEDOUT", "ESOCKETTIMEDOUT"]);
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NODATA", "EAI_NONAME", "ENODATA"]);
const RESET_CODES = new Set([
  "ECONNRESET",
  "UND_ERR_SOCKET",
  "EPIPE",
  "ECONNABORTED",
  // The server promised more body than it sent: the stream broke.
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
]);
const UNREACHABLE_CODES = new Set(["EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);
// Node's X509 verification codes (tls docs, "X509 certificate error codes") plus the host check.
const CERT_CODES = new Set([
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_CHAIN_TOO_LONG",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "HOSTNAME_MISMATCH",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);
// What OpenSSL says when the "TLS record" it reads is really an HTTP response.
const PLAIN_HTTP_REPLY = /wrong version number|packet length too long|http request|unknown protocol|record layer failure/i;

export function classifyNetworkError(err: unknown): NetworkFailure {
  const chain = causeChain(err);
  const codes = chain.map((e) => e.code).filter((c): c is string => c !== undefined);
  const messages = chain.map((e) => e.message).join(" | ");
  const has = (set: Set<string>): string | undefined => codes.find((c) => set.has(c));

  const timeout = has(TIMEOUT_CODES);
  if (timeout !== undefined) return { kind: "timeout", code: timeout, reason: timeoutReason(timeout) };
  const dns = has(DNS_CODES);
  if (dns !== undefined) {
    const reason = dns === "EAI_AGAIN" ? "DNS lookup failed temporarily" : "host name does not resolve";
    return { kind: "dns", code: dns, reason };
  }
  const cert = has(CERT_CODES);
  if (cert !== undefined) return { kind: "tls", code: cert, reason: `TLS certificate rejected: ${firstMessage(chain, cert)}` };
  const sslCode = codes.find((c) => c.startsWith("ERR_SSL_") || c === "EPROTO");
  if (sslCode !== undefined || /SSL routines/i.test(messages)) {
    if (PLAIN_HTTP_REPLY.test(messages) || (sslCode !== undefined && PLAIN_HTTP_REPLY.test(sslCode.replace(/_/g, " ")))) {
      return { kind: "http-to-https", code: sslCode, reason: "TLS handshake answered by plain HTTP (is the registry http://, not https://?)" };
    }
    return { kind: "tls", code: sslCode, reason: `TLS handshake failed: ${firstMessage(chain, sslCode)}` };
  }
  if (codes.includes("ECONNREFUSED")) return { kind: "refused", code: "ECONNREFUSED", reason: "connection refused" };
  const reset = has(RESET_CODES);
  if (reset !== undefined) return { kind: "reset", code: reset, reason: `connection closed by the server (${firstMessage(chain, reset)})` };
  const unreachable = has(UNREACHABLE_CODES);
  // No route is a network failure the user fixes like a timeout (routes, firewalls), not like a refusal.
  if (unreachable !== undefined) return { kind: "timeout", code: unreachable, reason: "host unreachable" };
  // Headers past undici's limit come from a misbehaving server or proxy, not from a closed connection.
  if (codes.includes("UND_ERR_HEADERS_OVERFLOW")) return { kind: "protocol", code: "UND_ERR_HEADERS_OVERFLOW", reason: "the response headers are too large" };
  if (codes.some((c) => c.startsWith("HPE_"))) {
    return { kind: "protocol", code: codes.find((c) => c.startsWith("HPE_")), reason: "the response is not valid HTTP" };
  }
  const code = codes[0];
  return { kind: "reset", code, reason: firstMessage(chain, code) || "request failed" };
}

function timeoutReason(code: string): string {
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      return "timed out connecting";
    case "UND_ERR_HEADERS_TIMEOUT":
      return "timed out waiting for the response";
    case "UND_ERR_BODY_TIMEOUT":
      return "timed out reading the response body";
    default:
      return "timed out";
  }
}

interface ErrorLink {
  code: string | undefined;
  message: string;
}

function causeChain(err: unknown): ErrorLink[] {
  const out: ErrorLink[] = [];
  let current: unknown = err;
  // Bounded: a cause cycle must not hang error handling.
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    if (typeof current !== "object") {
      out.push({ code: undefined, message: String(current) });
      break;
    }
    const record = current as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    out.push({
      code: typeof record.code === "string" ? record.code : undefined,
      message: typeof record.message === "string" ? record.message : "",
    });
    // Happy-eyeballs connects fail with an AggregateError holding one error per address.
    if (Array.isArray(record.errors) && record.errors.length > 0) {
      out.push(...record.errors.flatMap((e) => causeChain(e)));
    }
    current = record.cause;
  }
  return out;
}

function firstMessage(chain: ErrorLink[], code: string | undefined): string {
  const link = chain.find((e) => e.code === code) ?? chain[0];
  // OpenSSL messages start with an address and end with a source path; keep the readable middle.
  const message = link?.message ?? "";
  const openssl = /error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)/.exec(message);
  return (openssl?.[1] ?? message).trim();
}
