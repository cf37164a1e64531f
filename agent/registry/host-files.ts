// The files a host directory points pullmedic at (hosts.toml, CA bundles), read as untrusted input:
// regular files only, under a size cap, never a wait without end (core/fs). A CA file is checked
// to hold certificates, the way containerd loads it (docs/facts/containerd-hosts.md, "Keys").

import { X509Certificate } from "node:crypto";
import type { Dirent, Stats } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { readTextFile } from "../../core/fs/index.js";
import { rememberSecret } from "../../core/log/index.js";

/** A hosts.toml is a few hundred bytes; a megabyte is not one (or it is /dev/zero). */
const HOSTS_TOML_MAX_BYTES = 1024 * 1024;
/** The whole system trust store is about 220 KB; a CA file four times that is not a CA file. */
const CA_FILE_MAX_BYTES = 1024 * 1024;

/** As core/fs's reads: a hung network mount answers nothing, and a probe round must go on without it. */
const FS_CALL_TIMEOUT_MS = 5000;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** A CA file that reads but holds no certificate: a bad file, not a registry that is not trusted. */
export class CaFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = "CaFileError";
  }
}

/** Header names whose values are credentials (a mirror's Authorization, an API key, a cookie). */
const CREDENTIAL_HEADER = /auth|token|key|secret|cookie|password|credential|session/i;

/**
 * Remembers the values of credential headers of a hosts.toml, so every output scrubs them (core/log):
 * the whole value, and the part after a scheme ("Basic …", "Bearer …"). Other headers (User-Agent)
 * are ordinary words and stay.
 */
export function rememberHeaderSecrets(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!CREDENTIAL_HEADER.test(name)) continue;
    rememberSecret(value);
    rememberSecret(/^\s*\S+\s+(\S.*)$/.exec(value)?.[1]);
  }
}

export function readHostsToml(path: string): Promise<string> {
  return readTextFile(path, { maxBytes: HOSTS_TOML_MAX_BYTES });
}

/**
 * The certificates of a CA file, as PEM text. Like containerd, blocks that do not parse are
 * skipped and a file with no certificate at all is refused (containerd then fails every pull from
 * the registry). Throws FileReadError when the file cannot be read, CaFileError when it holds none.
 */
export async function readCaFile(path: string): Promise<string> {
  return caCertificates(path, await readTextFile(path, { maxBytes: CA_FILE_MAX_BYTES }));
}

/** The certificates of a CA file's text read elsewhere (the runtime's view), checked as readCaFile does. */
export function caCertificates(path: string, text: string): string {
  const certificates = (text.match(PEM_CERTIFICATE) ?? []).filter(parses);
  if (certificates.length === 0) {
    throw new CaFileError(
      path,
      "holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----); containerd cannot load it either, so every pull from this registry fails",
    );
  }
  return `${certificates.join("\n")}\n`;
}

function parses(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/** stat() of a host directory or file, given up on after FS_CALL_TIMEOUT_MS with code ETIMEDOUT. */
export function statHostPath(path: string): Promise<Stats> {
  return withDeadline(stat(path), path);
}

/** readdir() of a host directory, given up on after FS_CALL_TIMEOUT_MS with code ETIMEDOUT. */
export function listHostDir(dir: string): Promise<Dirent[]> {
  return withDeadline(readdir(dir, { withFileTypes: true }), dir);
}

function withDeadline<T>(call: Promise<T>, path: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err: NodeJS.ErrnoException = new Error(`${path}: no answer from the filesystem within ${FS_CALL_TIMEOUT_MS} ms (a hung network mount?)`);
      err.code = "ETIMEDOUT";
      reject(err);
    }, FS_CALL_TIMEOUT_MS);
    timer.unref();
  });
  return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
}
