// The runtime's trust store, built as Go builds its system pool on Linux (crypto/x509
// root_unix.go, root_linux.go): SSL_CERT_FILE, else the first bundle of Go's list that can be
// read; then every file of SSL_CERT_DIR (":"-separated), else of /etc/ssl/certs and
// /etc/pki/tls/certs, skipping symlinks to a name in the same directory (the OpenSSL hash links,
// which would only repeat a file). Every certificate in a PEM file is added; what is not one is
// skipped silently, as Go does. All of it read inside the runtime's root
// (docs/facts/node-network.md).

import { X509Certificate } from "node:crypto";
import { FileReadError } from "../../core/fs/index.js";
import type { RootFs } from "./root-fs.js";

const GO_CERT_FILES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/ca-bundle.pem",
  "/etc/pki/tls/cacert.pem",
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
  "/etc/ssl/cert.pem",
];
const GO_CERT_DIRS = ["/etc/ssl/certs", "/etc/pki/tls/certs"];

/** A system bundle is a few hundred KiB; a directory file one certificate. */
const BUNDLE_LIMIT = 8 * 1024 * 1024;
const DIR_FILE_LIMIT = 1024 * 1024;
/** Go reads every file of the directory; a directory of more than this is not a trust store. */
const MAX_DIR_FILES = 4096;

export interface TrustStore {
  /** Distinct certificates, PEM. */
  roots: string[];
  /** Where they came from, for evidence: "/etc/ssl/certs/ca-certificates.crt + /etc/ssl/certs (142 certificates)". */
  source: string;
  /** Problems met (an unreadable bundle, a file with no certificate), naming the file. */
  problems: string[];
}

export function loadTrustStore(fs: RootFs, env: ReadonlyMap<string, string>): Promise<TrustStore> {
  return fs.memoized(() => readTrustStore(fs, env));
}

async function readTrustStore(fs: RootFs, env: ReadonlyMap<string, string>): Promise<TrustStore> {
  const pool = new Pool();
  const problems: string[] = [];
  const used: string[] = [];
  const certFile = nonEmpty(env.get("SSL_CERT_FILE"));
  const files = certFile !== undefined ? [certFile] : GO_CERT_FILES;
  for (const file of files) {
    try {
      const read = await fs.readText(file, BUNDLE_LIMIT);
      const added = pool.addPem(read.text);
      used.push(`${file}${certFile !== undefined ? " (SSL_CERT_FILE)" : ""}`);
      if (added === 0) problems.push(`${fs.name(file, read.path)} holds no PEM certificate; nothing is trusted from it`);
      break;
    } catch (err) {
      // Go goes on to the next bundle of its list whatever the error; a missing one is no news.
      if (!(err instanceof FileReadError)) throw err;
      if (err.problem !== "missing" || certFile !== undefined) problems.push(`${err.message}; Go skips it`);
    }
  }
  const certDir = nonEmpty(env.get("SSL_CERT_DIR"));
  const dirs = certDir !== undefined ? certDir.split(":").filter((d) => d !== "") : GO_CERT_DIRS;
  for (const dir of dirs) {
    const before = pool.size;
    const read = await readCertDir(fs, dir, pool, problems);
    if (read) used.push(`${dir}${certDir !== undefined ? " (SSL_CERT_DIR)" : ""}${pool.size > before ? "" : " (nothing new)"}`);
  }
  const where = used.length > 0 ? used.join(" + ") : "no bundle or directory found";
  return { roots: pool.pems(), source: `${where}: ${pool.size} certificate${pool.size === 1 ? "" : "s"}`, problems };
}

async function readCertDir(fs: RootFs, dir: string, pool: Pool, problems: string[]): Promise<boolean> {
  let listing: Awaited<ReturnType<RootFs["list"]>>;
  try {
    listing = await fs.list(dir);
  } catch (err) {
    if (!(err instanceof FileReadError)) throw err;
    if (err.problem !== "missing") problems.push(`${err.message}; Go skips it`);
    return false;
  }
  const entries = listing.entries.slice(0, MAX_DIR_FILES);
  if (listing.entries.length > MAX_DIR_FILES) problems.push(`${fs.name(dir)} has ${listing.entries.length} entries; only the first ${MAX_DIR_FILES} are read`);
  // In parallel: a Debian /etc/ssl/certs is a few hundred links into /usr/share/ca-certificates.
  await Promise.all(
    entries.map(async (entry) => {
      const path = `${dir.replace(/\/+$/, "")}/${entry.name}`;
      if (entry.isSymbolicLink()) {
        const target = await fs.linkTarget(path);
        if (target !== undefined && !target.includes("/")) return;
      } else if (!entry.isFile()) return;
      try {
        pool.addPem((await fs.readText(path, DIR_FILE_LIMIT, false)).text);
      } catch (err) {
        // Go skips a file it cannot read and carries on.
        if (!(err instanceof FileReadError)) throw err;
      }
    }),
  );
  return true;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

/**
 * The blocks of a PEM text: each "-----BEGIN <label>-----" (label of capitals, digits and spaces)
 * up to the first "-----END <label>-----" after it; a BEGIN with no END is skipped. Found with
 * indexOf, not a regular expression: a one-shot diagnose runs this once over a 200 KiB bundle, and
 * V8 runs a regular expression's first uses in its interpreter, which cost 60 ms here.
 */
function* pemBlocks(text: string): Generator<{ label: string; body: string }> {
  const BEGIN = "-----BEGIN ";
  for (let at = text.indexOf(BEGIN); at !== -1; at = text.indexOf(BEGIN, at + 1)) {
    let labelEnd = at + BEGIN.length;
    while (labelEnd < text.length && isLabelChar(text.charCodeAt(labelEnd))) labelEnd++;
    if (labelEnd === at + BEGIN.length || !text.startsWith("-----", labelEnd)) continue;
    const label = text.slice(at + BEGIN.length, labelEnd);
    const end = text.indexOf(`-----END ${label}-----`, labelEnd + 5);
    if (end === -1) continue;
    yield { label, body: text.slice(labelEnd + 5, end) };
    at = end + label.length + 13 - 1;
  }
}

/** [A-Z0-9 ] */
function isLabelChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 32;
}

/** Certificates by their DER bytes, so the bundle and the directory's copies count once. */
class Pool {
  private readonly byDer = new Map<string, string>();

  get size(): number {
    return this.byDer.size;
  }

  addPem(text: string): number {
    let added = 0;
    for (const block of pemBlocks(text)) {
      // Go takes "CERTIFICATE" blocks only (not OpenSSL's "TRUSTED CERTIFICATE").
      if (block.label !== "CERTIFICATE") continue;
      const body = block.body.replace(/[^A-Za-z0-9+/=]/g, "");
      if (body === "" || this.byDer.has(body)) continue;
      const pem = `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
      try {
        // Go's AppendCertsFromPEM skips what does not parse; so does this, so one bad block cannot break TLS.
        new X509Certificate(pem);
      } catch {
        continue;
      }
      this.byDer.set(body, pem);
      added++;
    }
    return added;
  }

  pems(): string[] {
    return [...this.byDer.values()];
  }
}
