// A private CA and the serving certificates it signs, made with node:crypto alone: Node reads X.509
// (X509Certificate) but has no API that writes one, and the image has no openssl, so the few DER
// structures of RFC 5280 are assembled here (docs/facts/x509.md). Keys are EC P-256 and
// signatures ECDSA with SHA-256: small, fast to make, and accepted by every TLS stack we talk to.

import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes, sign, X509Certificate } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from "./der.js";

/** PEM text of a certificate and of its unencrypted PKCS#8 private key. */
export interface CertificateAndKey {
  cert: string;
  key: string;
}

const DAY_MS = 86_400_000;
const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
};

function pem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function name(commonName: string): Buffer {
  const rdn = (oid: string, value: string) => set(sequence(objectIdentifier(oid), utf8String(value)));
  return sequence(rdn(OID.organization, "pullmedic"), rdn(OID.commonName, commonName));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(objectIdentifier(oid), boolean(true), octetString(value)) : sequence(objectIdentifier(oid), octetString(value));
}

/** RFC 7093's first method: the leftmost 160 bits of the SHA-256 of the whole SubjectPublicKeyInfo. */
function keyIdentifier(spki: Buffer): Buffer {
  return createHash("sha256").update(spki).digest().subarray(0, 20);
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split(".").map(Number));
  const [head = "", tail = ""] = ip.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = groups(tail);
  const all = ip.includes("::") ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t] : h;
  return Buffer.from(all.flatMap((g) => [(Number.parseInt(g, 16) >> 8) & 0xff, Number.parseInt(g, 16) & 0xff]));
}

interface TbsInput {
  subject: string;
  issuer: string;
  spki: Buffer;
  notBefore: number;
  notAfter: number;
  extensions: Buffer[];
}

/** Signs the TBSCertificate with `signer` and wraps it as a Certificate (RFC 5280 4.1). */
function signCertificate(input: TbsInput, signer: KeyObject): string {
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  // A positive serial of at most 20 octets, unpredictable (RFC 5280 4.1.2.2).
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serial),
    algorithm,
    name(input.issuer),
    sequence(time(input.notBefore), time(input.notAfter)),
    name(input.subject),
    input.spki,
    explicit(3, sequence(...input.extensions)),
  );
  const signature = sign("sha256", tbs, signer);
  return pem("CERTIFICATE", sequence(tbs, algorithm, bitString(signature)));
}

function newKey(): { privateKey: KeyObject; spki: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return { privateKey, spki: publicKey.export({ type: "spki", format: "der" }) };
}

export interface AuthorityOptions {
  commonName: string;
  validDays: number;
  now?: number;
}

/** A new self-signed CA that may sign certificates but no further CAs. */
export function createAuthority(opts: AuthorityOptions): CertificateAndKey {
  const now = opts.now ?? Date.now();
  const { privateKey, spki } = newKey();
  const cert = signCertificate(
    {
      subject: opts.commonName,
      issuer: opts.commonName,
      spki,
      // An hour back, so a node whose clock is a little behind still accepts it at once.
      notBefore: now - 3_600_000,
      notAfter: now + opts.validDays * DAY_MS,
      extensions: [
        extension(OID.basicConstraints, true, sequence(boolean(true), smallInteger(0))),
        // digitalSignature, keyCertSign, cRLSign: bits 0, 5 and 6.
        extension(OID.keyUsage, true, bitString(Buffer.from([0x86]), 1)),
        extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(spki))),
      ],
    },
    privateKey,
  );
  return { cert, key: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

export interface ServingOptions {
  commonName: string;
  /** DNS names and IP addresses the certificate is for. */
  names: readonly string[];
  validDays: number;
  now?: number;
}

/** A serving certificate for `names`, signed by `authority`. */
export function issueServing(authority: CertificateAndKey, opts: ServingOptions): CertificateAndKey {
  if (opts.names.length === 0) throw new Error("a serving certificate needs at least one DNS name or IP address");
  const now = opts.now ?? Date.now();
  const ca = new X509Certificate(authority.cert);
  const caSpki = ca.publicKey.export({ type: "spki", format: "der" });
  const { privateKey, spki } = newKey();
  const altNames = opts.names.map((n) => (isIPv4(n) || isIPv6(n) ? implicitPrimitive(7, ipBytes(n)) : implicitPrimitive(2, Buffer.from(n, "ascii"))));
  const notAfter = Math.min(now + opts.validDays * DAY_MS, Date.parse(ca.validTo));
  const cert = signCertificate(
    {
      subject: opts.commonName,
      issuer:
        ca.subject
          .split("\n")
          .find((l) => l.startsWith("CN="))
          ?.slice(3) ?? opts.commonName,
      spki,
      notBefore: now - 3_600_000,
      notAfter,
      extensions: [
        extension(OID.basicConstraints, true, sequence()),
        // digitalSignature (bit 0): all an ECDHE key exchange asks of an EC key.
        extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
        extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
        extension(OID.subjectAltName, false, sequence(...altNames)),
        extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(spki))),
        extension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, keyIdentifier(caSpki)))),
      ],
    },
    createPrivateKey(authority.key),
  );
  return { cert, key: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}
