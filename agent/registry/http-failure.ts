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

const PLAIN_HTTP_REASON = "TLS handshake answered by plain HTTP (is the registry http://, not https://?)";

/** What a classification rule looks at: the codes and messages along the cause chain. */
interface Evidence {
  chain: ErrorLink[];
  codes: string[];
  messages: string;
}

type Rule = (e: Evidence) => NetworkFailure | undefined;

/** A rule for the first code in the chain that `matches`: `kind`, with the reason `reason` gives. */
function byCode(
  matches: ReadonlySet<string> | ((code: string) => boolean),
  kind: RegistryFailureKind,
  reason: (code: string, chain: ErrorLink[]) => string,
): Rule {
  const test = typeof matches === "function" ? matches : (c: string) => matches.has(c);
  return ({ chain, codes }) => {
    const code = codes.find(test);
    return code === undefined ? undefined : { kind, code, reason: reason(code, chain) };
  };
}

/** A failed TLS handshake, told apart from a server that answered the hello in plain HTTP. */
function tlsHandshake({ chain, codes, messages }: Evidence): NetworkFailure | undefined {
  const sslCode = codes.find((c) => c.startsWith("ERR_SSL_") || c === "EPROTO");
  if (sslCode === undefined && !/SSL routines/i.test(messages)) return undefined;
  if (PLAIN_HTTP_REPLY.test(messages) || (sslCode !== undefined && PLAIN_HTTP_REPLY.test(sslCode.replace(/_/g, " ")))) {
    return { kind: "http-to-https", code: sslCode, reason: PLAIN_HTTP_REASON };
  }
  return { kind: "tls", code: sslCode, reason: `TLS handshake failed: ${firstMessage(chain, sslCode)}` };
}

/** First match wins: the order puts the more telling cause first when a chain carries several codes. */
const RULES: Rule[] = [
  byCode(TIMEOUT_CODES, "timeout", timeoutReason),
  byCode(DNS_CODES, "dns", (code) => (code === "EAI_AGAIN" ? "DNS lookup failed temporarily" : "host name does not resolve")),
  byCode(CERT_CODES, "tls", (code, chain) => `TLS certificate rejected: ${firstMessage(chain, code)}`),
  tlsHandshake,
  byCode(new Set(["ECONNREFUSED"]), "refused", () => "connection refused"),
  byCode(RESET_CODES, "reset", (code, chain) => `connection closed by the server (${firstMessage(chain, code)})`),
  // No route is a network failure the user fixes like a timeout (routes, firewalls), not like a refusal.
  byCode(UNREACHABLE_CODES, "timeout", () => "host unreachable"),
  // Headers past undici's limit come from a misbehaving server or proxy, not from a closed connection.
  byCode(new Set(["UND_ERR_HEADERS_OVERFLOW"]), "protocol", () => "the response headers are too large"),
  byCode(
    (c) => c.startsWith("HPE_"),
    "protocol",
    () => "the response is not valid HTTP",
  ),
];

export function classifyNetworkError(err: unknown): NetworkFailure {
  const chain = causeChain(err);
  const codes = chain.map((e) => e.code).filter((c): c is string => c !== undefined);
  const evidence: Evidence = { chain, codes, messages: chain.map((e) => e.message).join(" | ") };
  for (const rule of RULES) {
    const failure = rule(evidence);
    if (failure !== undefined) return failure;
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
