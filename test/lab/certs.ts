// Test certificates made with the real openssl: a lab CA, server certificates it
// signs (good, expired, not yet valid, for another host), a certificate from a CA
// nobody trusts, and a self-signed one. EC P-256 keys, because RSA key generation
// is slow and every TLS lab makes a fresh set.

import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { requireBinary, run } from "./process.js";

const OPENSSL_BIN = "/usr/bin/openssl";
const DAY_MS = 86_400_000;

export interface CertAndKey {
  cert: string; // PEM file
  key: string; // PEM file, unencrypted
}

export interface TestCerts {
  caCert: string;
  caKey: string;
  /** The CA that signed `unknownCa`; trust it only to show that trust is the difference. */
  otherCaCert: string;
  certs: {
    valid: CertAndKey;
    /** Signed by the lab CA for the same names, but its validity ended 30 days ago. */
    expired: CertAndKey;
    /** Signed by the lab CA for the same names, valid only from 30 days on. */
    notYetValid: CertAndKey;
    /** Signed by the lab CA, valid now, but only for `other.example`. */
    wrongHost: CertAndKey;
    /** Valid now for the same names, signed by a second CA that is not the lab CA. */
    unknownCa: CertAndKey;
    /** Valid now for the same names, signed by its own key. */
    selfSigned: CertAndKey;
    /** Signed by the lab CA, with the first name as subject CN and no alternative names, which Go rejects. */
    commonNameOnly: CertAndKey;
    /** Signed by the lab CA for the same names, valid now, ending EXPIRING_SOON_DAYS (and a half) days from now. */
    expiringSoon: CertAndKey;
  };
}

export interface TestCertOptions {
  /** DNS names and IP addresses the server certificates are for. */
  names?: string[];
  /** The clock the validity periods are computed from. */
  now?: number;
}

const DEFAULT_CERT_NAMES = ["localhost", "127.0.0.1"];
export const WRONG_HOST_NAME = "other.example";
/** Whole days `expiringSoon` has left; the extra half day keeps that number steady for a whole test run. */
export const EXPIRING_SOON_DAYS = 5;

/** Makes the whole set under `dir` (created if missing). */
export async function makeTestCerts(dir: string, opts: TestCertOptions = {}): Promise<TestCerts> {
  requireBinary(OPENSSL_BIN, "the lab's test certificates need openssl: apt-get install openssl");
  const names = opts.names ?? DEFAULT_CERT_NAMES;
  if (names.length === 0) throw new Error("makeTestCerts: names must list at least one DNS name or IP address");
  const now = opts.now ?? Date.now();
  mkdirSync(dir, { recursive: true });

  const [lab, other] = await Promise.all([makeCa(join(dir, "lab-ca"), "pullmedic lab CA"), makeCa(join(dir, "other-ca"), "pullmedic unknown CA")]);
  const current = { start: now - DAY_MS, end: now + 365 * DAY_MS };

  const [valid, expired, notYetValid, wrongHost, unknownCa, selfSigned, commonNameOnly, expiringSoon] = await Promise.all([
    issue(lab, join(dir, "valid"), names, current),
    issue(lab, join(dir, "expired"), names, { start: now - 90 * DAY_MS, end: now - 30 * DAY_MS }),
    issue(lab, join(dir, "not-yet-valid"), names, { start: now + 30 * DAY_MS, end: now + 395 * DAY_MS }),
    issue(lab, join(dir, "wrong-host"), [WRONG_HOST_NAME], current),
    issue(other, join(dir, "unknown-ca"), names, current),
    selfSign(join(dir, "self-signed"), names),
    issue(lab, join(dir, "common-name-only"), names, current, { withNames: false }),
    issue(lab, join(dir, "expiring-soon"), names, { start: now - DAY_MS, end: now + (EXPIRING_SOON_DAYS + 0.5) * DAY_MS }),
  ]);
  return {
    caCert: lab.cert,
    caKey: lab.key,
    otherCaCert: other.cert,
    certs: { valid, expired, notYetValid, wrongHost, unknownCa, selfSigned, commonNameOnly, expiringSoon },
  };
}

interface Ca extends CertAndKey {
  dir: string;
  config: string;
  // `openssl ca` keeps its serial and index files in the CA dir; concurrent signings would race on them.
  queue: Promise<unknown>;
}

function openssl(args: readonly string[]): Promise<string> {
  return run(OPENSSL_BIN, args, { timeoutMs: 30_000 });
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function subjectAltName(names: readonly string[]): string {
  return names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(",");
}

// `openssl ca` takes start and end dates as ASN.1 UTCTime (YYMMDDHHMMSSZ), which covers 1950–2049.
function asn1Time(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-31T12:34:56.789Z
  return `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

// A config of our own, so the system's openssl.cnf (its default extensions and policies) cannot change what we make.
function caConfig(dir: string): string {
  return `[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = unused

[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ ca ]
default_ca = lab_ca

[ lab_ca ]
dir = ${dir}
database = ${join(dir, "index.txt")}
new_certs_dir = ${join(dir, "issued")}
serial = ${join(dir, "serial")}
default_md = sha256
policy = policy_cn
unique_subject = no
copy_extensions = none
email_in_dn = no

[ policy_cn ]
commonName = supplied
`;
}

function serverExtensions(names: readonly string[], withNames = true): string {
  return `[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
${withNames ? `subjectAltName = ${subjectAltName(names)}\n` : ""}`;
}

async function makeCa(dir: string, commonName: string): Promise<Ca> {
  mkdirSync(join(dir, "issued"), { recursive: true });
  const config = join(dir, "openssl.cnf");
  writeFileSync(config, caConfig(dir));
  writeFileSync(join(dir, "index.txt"), "");
  // A positive random serial: browsers and Go reject repeated serials from one issuer.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  writeFileSync(join(dir, "serial"), `${serial.toString("hex")}\n`);
  const cert = join(dir, "ca.crt");
  const key = join(dir, "ca.key");
  await openssl([
    "req",
    "-config",
    config,
    "-x509",
    ...EC_KEY,
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "3650",
    "-subj",
    `/O=pullmedic/CN=${commonName}`,
    "-extensions",
    "ca_ext",
  ]);
  return { dir, config, cert, key, queue: Promise.resolve() };
}

// `openssl ca` rather than `openssl x509 -req`: OpenSSL 3.0's x509 has only -days, while ca
// takes explicit -startdate/-enddate, which is how the expired and future certificates get made.
async function issue(
  ca: Ca,
  dir: string,
  names: readonly string[],
  validity: { start: number; end: number },
  opts: { withNames?: boolean } = {},
): Promise<CertAndKey> {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, "server.key");
  const csr = join(dir, "server.csr");
  const cert = join(dir, "server.crt");
  const extFile = join(dir, "server.ext");
  writeFileSync(extFile, serverExtensions(names, opts.withNames ?? true));
  await openssl(["req", "-config", ca.config, "-new", ...EC_KEY, "-keyout", key, "-out", csr, "-subj", `/CN=${names[0] ?? "server"}`]);
  const signing = ca.queue.then(() =>
    openssl([
      "ca",
      "-batch",
      "-config",
      ca.config,
      "-notext",
      "-cert",
      ca.cert,
      "-keyfile",
      ca.key,
      "-startdate",
      asn1Time(validity.start),
      "-enddate",
      asn1Time(validity.end),
      "-extfile",
      extFile,
      "-extensions",
      "server_ext",
      "-in",
      csr,
      "-out",
      cert,
    ]),
  );
  ca.queue = signing.catch(() => undefined);
  await signing;
  return { cert, key };
}

async function selfSign(dir: string, names: readonly string[]): Promise<CertAndKey> {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, "openssl.cnf");
  writeFileSync(
    config,
    `[ req ]\ndistinguished_name = req_dn\nprompt = no\n\n[ req_dn ]\nCN = unused\n\n${serverExtensions(names).replace("authorityKeyIdentifier = keyid\n", "")}`,
  );
  const key = join(dir, "server.key");
  const cert = join(dir, "server.crt");
  await openssl([
    "req",
    "-config",
    config,
    "-x509",
    ...EC_KEY,
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "365",
    "-subj",
    `/CN=${names[0] ?? "server"}`,
    "-extensions",
    "server_ext",
  ]);
  return { cert, key };
}
