// The TLS handshake a registry client would do, reported in full: the probe completes the
// handshake without verifying, then verifies by itself, so a bad certificate still comes
// back with its dates, names and issuer — what a person needs to fix it.

import { X509Certificate } from "node:crypto";
import { isIP, type Socket } from "node:net";
import { checkServerIdentity, connect, type DetailedPeerCertificate, type PeerCertificate, rootCertificates, type TLSSocket } from "node:tls";
import { trustContext } from "../registry/index.js";
import { elapsedMs, errorCode, ProbeError, requireTimeout, unbracket } from "./probe-error.js";
import { connectError, endpointText, openTcp } from "./tcp.js";

export type TlsProblem = "unknown-authority" | "expired" | "not-yet-valid" | "wrong-host" | "self-signed" | "http-to-https";

export interface CertificateInfo {
  subject: string; // "CN=registry.example, O=Example"
  issuer: string;
  /** Subject alternative names: DNS names and IP addresses, without their "DNS:" / "IP Address:" labels. */
  names: string[];
  validFrom: string; // ISO 8601
  validTo: string; // ISO 8601
  /** Whole days from now until validTo; negative once expired. */
  daysLeft: number;
  selfSigned: boolean;
  fingerprint256: string;
}

export interface TlsResult {
  /** From the start of the TCP connect to the end of the handshake. */
  ms: number;
  protocol: string | undefined; // "TLSv1.3"
  /** Whether a verifying client (with the same extra CAs) would accept this server for this host. */
  authorized: boolean;
  /**
   * Node's code for the first verification failure: CERT_HAS_EXPIRED, CERT_NOT_YET_VALID,
   * UNABLE_TO_VERIFY_LEAF_SIGNATURE, DEPTH_ZERO_SELF_SIGNED_CERT, SELF_SIGNED_CERT_IN_CHAIN,
   * ERR_TLS_CERT_ALTNAME_INVALID, …
   */
  authorizationError: string | undefined;
  /**
   * The failure in the words of the cause labels; undefined when verification passes, and also
   * when skipVerify is set (then authorized/authorizationError still tell what verification found).
   */
  problem: TlsProblem | undefined;
  certificate: CertificateInfo | undefined;
  /** What the handshake saw, leaf first, then each issuer up to the root when it was found. */
  chain: CertificateInfo[];
}

export interface TlsProbeOptions {
  timeoutMs: number;
  /** Connect to this (already resolved) address; `host` is still the name sent in SNI and verified. */
  address?: string;
  /** CA certificates (PEM) trusted on top of the roots, like hosts.toml `ca` on top of the system pool. */
  ca?: (string | Buffer)[];
  /** The runtime's trust store (PEM), which replaces Node's bundled roots; without it, Node's are used. */
  roots?: readonly string[];
  /** Opens the connection the handshake runs on (a tunnel through the runtime's proxy); default: TCP to `address`. */
  connect?: () => Promise<Socket>;
  /** Like hosts.toml `skip_verify`: findings are still reported but are not a problem. */
  skipVerify?: boolean;
  /** Clock for daysLeft and for judging expiry (ms since the epoch). */
  now?: () => number;
}

const DAY_MS = 86_400_000;
// A chain longer than this is not a real registry's; the walk stops there either way.
const MAX_CHAIN = 10;

// Node's verification codes (OpenSSL's X509_V_ERR names) by what they mean for a pull.
const PROBLEM_BY_CODE: Record<string, TlsProblem> = {
  CERT_HAS_EXPIRED: "expired",
  CERT_NOT_YET_VALID: "not-yet-valid",
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed",
  ERR_TLS_CERT_ALTNAME_INVALID: "wrong-host",
  HOSTNAME_MISMATCH: "wrong-host",
  // Anything else wrong with the chain (missing intermediate, untrusted root, bad signature,
  // unusable CA) is, for the person fixing it, a CA the node does not trust.
};

// OpenSSL's reading of an HTTP response where a TLS record should be ("HTTP/1.1 400" parsed as a
// record header), across OpenSSL versions. EPROTO alone is any protocol error, so it needs the text.
const PLAIN_HTTP_CODES = new Set(["ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_PACKET_LENGTH_TOO_LONG", "ERR_SSL_UNKNOWN_PROTOCOL"]);
const PLAIN_HTTP_TEXT = /wrong version number|packet length too long|unknown protocol/i;

export async function probeTls(host: string, port: number, opts: TlsProbeOptions): Promise<TlsResult> {
  requireTimeout("probeTls", opts.timeoutMs);
  const start = performance.now();
  const name = unbracket(host);
  if (name === "") throw new TypeError("probeTls: the host name is empty");
  const target = opts.address !== undefined ? unbracket(opts.address) : name;
  const raw = opts.connect !== undefined ? await opts.connect() : await openTcp(target, port, { start, timeoutMs: opts.timeoutMs });
  const socket = await handshake(raw, name, endpointText(target, port), opts, start);
  try {
    const ms = elapsedMs(start);
    return { ms, ...inspect(socket, name, opts) };
  } finally {
    socket.destroy();
  }
}

function handshake(raw: Socket, name: string, endpoint: string, opts: TlsProbeOptions, start: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      socket: raw,
      // SNI carries names only (RFC 6066); for an IP, send none, as Go and curl do.
      ...(isIP(name) === 0 ? { servername: name } : {}),
      // The runtime's roots when known; otherwise passing `ca` replaces Node's roots, so the bundled roots go in too.
      ...(opts.roots !== undefined
        ? { secureContext: trustContext(opts.roots, opts.ca ?? []) }
        : opts.ca && opts.ca.length > 0
          ? { ca: [...rootCertificates, ...opts.ca] }
          : {}),
      // Verification happens in inspect(), after the handshake, so bad certificates can be described.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    const remaining = Math.max(0, opts.timeoutMs - (performance.now() - start));
    const timer = setTimeout(() => {
      socket.destroy();
      const ms = elapsedMs(start);
      reject(
        new ProbeError(
          "tls",
          "timeout",
          `${endpoint}: connected, but no TLS handshake within ${Math.round(ms)} ms (the server accepted the connection but did not complete the handshake)`,
          { ms },
        ),
      );
    }, remaining);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      // A peer that closes right after the handshake must not crash the process.
      socket.on("error", () => undefined);
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(handshakeError(endpoint, error, elapsedMs(start)));
    });
  });
}

function handshakeError(endpoint: string, error: unknown, ms: number): ProbeError {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if ((code !== undefined && PLAIN_HTTP_CODES.has(code)) || PLAIN_HTTP_TEXT.test(message)) {
    return new ProbeError(
      "tls",
      "http-to-https",
      `${endpoint} answered the TLS handshake in plain HTTP: the registry serves http, not https${code ? ` (${code})` : ""}`,
      { code, ms, cause: error },
    );
  }
  if (code === "ECONNRESET" || code === "EPIPE") {
    return new ProbeError("tls", "reset", `${endpoint}: the connection was closed during the TLS handshake (${code})`, { code, ms, cause: error });
  }
  if (code?.startsWith("ERR_SSL_")) {
    return new ProbeError("tls", "tls", `${endpoint}: TLS handshake failed: ${opensslReason(message)} (${code})`, { code, ms, cause: error });
  }
  return connectError("tls", endpoint, error, ms);
}

// OpenSSL messages carry the library's source path and line after the reason; people need the reason.
function opensslReason(message: string): string {
  const reason = /:SSL routines:[^:]*:([^:]+)/.exec(message)?.[1];
  return reason ?? message.split("\n")[0] ?? message;
}

function inspect(socket: TLSSocket, name: string, opts: TlsProbeOptions): Omit<TlsResult, "ms"> {
  const now = opts.now?.() ?? Date.now();
  const peer = socket.getPeerCertificate(true);
  const x509Chain = peerChain(peer);
  const chain = x509Chain.map((cert) => describeCertificate(cert, now));
  const certificate = chain[0];
  const leaf = x509Chain[0];

  let authorizationError: string | undefined = socket.authorized ? undefined : authorizationCode(socket.authorizationError);
  if (authorizationError === undefined && leaf === undefined) authorizationError = "NO_PEER_CERTIFICATE";
  if (authorizationError === undefined) {
    // Node still accepts a name in the subject CN when there are no alternative names; Go, and
    // so containerd, has not since Go 1.15. Judge as containerd would.
    const named = (certificate?.names.length ?? 0) > 0 && checkServerIdentity(name, peer) === undefined;
    if (!named) authorizationError = "ERR_TLS_CERT_ALTNAME_INVALID";
  }
  if (authorizationError === undefined && leaf !== undefined) {
    // OpenSSL judged the dates by the real clock and found them fine; by an injected clock they may not be.
    if (now > Date.parse(leaf.validTo)) authorizationError = "CERT_HAS_EXPIRED";
    else if (now < Date.parse(leaf.validFrom)) authorizationError = "CERT_NOT_YET_VALID";
  }
  const found = authorizationError === undefined ? undefined : (PROBLEM_BY_CODE[authorizationError] ?? "unknown-authority");
  return {
    protocol: socket.getProtocol() ?? undefined,
    authorized: authorizationError === undefined,
    authorizationError,
    problem: opts.skipVerify ? undefined : found,
    certificate,
    chain,
  };
}

// Typed as Error in @types/node, but Node sets the OpenSSL code string.
function authorizationCode(value: unknown): string {
  if (typeof value === "string") return value;
  return errorCode(value) ?? (value instanceof Error ? value.message : "UNKNOWN_VERIFY_ERROR");
}

function peerChain(peer: DetailedPeerCertificate | PeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let current: DetailedPeerCertificate | PeerCertificate | undefined = peer;
  for (let depth = 0; depth < MAX_CHAIN && current !== undefined && current.raw !== undefined; depth++) {
    chain.push(new X509Certificate(current.raw));
    const issuer: DetailedPeerCertificate | undefined = "issuerCertificate" in current ? current.issuerCertificate : undefined;
    // A root is its own issuer; Node links it to itself.
    if (issuer === undefined || issuer === current || issuer.raw === undefined || issuer.raw.equals(current.raw)) break;
    current = issuer;
  }
  return chain;
}

function describeCertificate(cert: X509Certificate, now: number): CertificateInfo {
  const validTo = Date.parse(cert.validTo);
  return {
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    names: alternativeNames(cert.subjectAltName),
    validFrom: new Date(Date.parse(cert.validFrom)).toISOString(),
    validTo: new Date(validTo).toISOString(),
    daysLeft: Math.floor((validTo - now) / DAY_MS),
    // Not checkIssued(): it also wants the keyCertSign usage, which self-signed leaf certificates lack.
    selfSigned: cert.subject === cert.issuer && cert.verify(cert.publicKey),
    fingerprint256: cert.fingerprint256,
  };
}

// X509Certificate gives one "KEY=value" per line.
function distinguishedName(text: string): string {
  return text
    .split("\n")
    .filter((part) => part !== "")
    .join(", ");
}

// "DNS:a, DNS:b, IP Address:127.0.0.1"; Node quotes entries that contain a comma or quote.
function alternativeNames(text: string | undefined): string[] {
  if (!text) return [];
  const names: string[] = [];
  for (const match of text.matchAll(/(DNS|IP Address):("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const value = match[2] ?? "";
    names.push(value.startsWith('"') ? (JSON.parse(value) as string) : value.trim());
  }
  return names;
}
