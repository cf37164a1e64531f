// The aggregator's own CA and serving certificate, kept in a Secret of its namespace: made the first
// time it starts (so no key is ever written into a manifest or a chart's render, and every install
// gets its own CA), reused after, and the serving certificate renewed with the same CA when it
// nears its end or its names change. Two aggregators starting at once settle on one Secret: the
// loser of the create (409) or of the optimistic update (409) reads the winner's.

import { X509Certificate } from "node:crypto";
import { createDataObject, type DataObject, getDataObject, KubeApiError, type KubeHttp, patchData } from "../../core/kube/index.js";
import { type CertificateAndKey, createAuthority, issueServing } from "../../core/x509/index.js";

export interface ServingMaterial {
  /** The serving certificate and its key (PEM). */
  serving: CertificateAndKey;
  /** The CA certificate agents must trust (PEM). */
  ca: string;
}

export interface SecretPlace {
  namespace: string;
  name: string;
  /** DNS names and IP addresses the serving certificate must cover. */
  names: readonly string[];
  now?: () => number;
}

const CA_DAYS = 3650;
const SERVING_DAYS = 365;
/** A serving certificate with less left than this is renewed (at start, and at each daily check). */
const RENEW_BEFORE_MS = 30 * 86_400_000;
const KEYS = { cert: "tls.crt", key: "tls.key", caCert: "ca.crt", caKey: "ca.key" } as const;

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const unb64 = (value: string | undefined) => (value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8"));

interface Stored {
  ca: CertificateAndKey;
  serving: CertificateAndKey | undefined;
}

/** What the Secret holds, if it holds a usable CA; a Secret made empty by the manifest holds nothing yet. */
function readStored(secret: DataObject): Stored | undefined {
  const caCert = unb64(secret.data[KEYS.caCert]);
  const caKey = unb64(secret.data[KEYS.caKey]);
  if (caCert === undefined || caKey === undefined) return undefined;
  const cert = unb64(secret.data[KEYS.cert]);
  const key = unb64(secret.data[KEYS.key]);
  return { ca: { cert: caCert, key: caKey }, serving: cert !== undefined && key !== undefined ? { cert, key } : undefined };
}

/** Why the stored serving certificate must be replaced; undefined when it is good. */
function renewalReason(stored: Stored, names: readonly string[], now: number): string | undefined {
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(stored.ca.cert);
  } catch {
    return "the stored CA is not a certificate";
  }
  if (Date.parse(ca.validTo) - now < RENEW_BEFORE_MS) return "the CA ends within 30 days";
  if (stored.serving === undefined) return "there is no serving certificate yet";
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(stored.serving.cert);
  } catch {
    return "the stored serving certificate is not a certificate";
  }
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return "the serving certificate is not signed by the stored CA";
  if (Date.parse(leaf.validTo) - now < RENEW_BEFORE_MS) return "the serving certificate ends within 30 days";
  const has = new Set((leaf.subjectAltName ?? "").split(", ").map((n) => n.replace(/^(DNS|IP Address):/, "")));
  const missing = names.filter((n) => !has.has(n) && !has.has(expandIpv6(n)));
  if (missing.length > 0) return `the serving certificate does not cover ${missing.join(", ")}`;
  return undefined;
}

/** Node shows IPv6 SANs in full ("0:0:0:0:0:0:0:1"); names are given short ("::1"). */
function expandIpv6(name: string): string {
  return name === "::1" ? "0:0:0:0:0:0:0:1" : name;
}

function fresh(place: SecretPlace, now: number, ca?: CertificateAndKey): { ca: CertificateAndKey; serving: CertificateAndKey } {
  const authority = ca ?? createAuthority({ commonName: `pullmedic aggregator CA ${new Date(now).toISOString().slice(0, 10)}`, validDays: CA_DAYS, now });
  const serving = issueServing(authority, { commonName: place.names[0] ?? "pullmedic-aggregator", names: place.names, validDays: SERVING_DAYS, now });
  return { ca: authority, serving };
}

function asData(m: { ca: CertificateAndKey; serving: CertificateAndKey }): Record<string, string> {
  return { [KEYS.cert]: b64(m.serving.cert), [KEYS.key]: b64(m.serving.key), [KEYS.caCert]: b64(m.ca.cert), [KEYS.caKey]: b64(m.ca.key) };
}

const conflict = (err: unknown) => err instanceof KubeApiError && err.status === 409;

/**
 * The serving material from the Secret, made or renewed first when needed. `log` says what was
 * done; the keys never reach it.
 */
export async function ensureServingSecret(http: KubeHttp, place: SecretPlace, log: (message: string) => void): Promise<ServingMaterial> {
  const now = (place.now ?? Date.now)();
  for (let attempt = 0; attempt < 3; attempt++) {
    const secret = await getDataObject(http, "secrets", place.namespace, place.name);
    const stored = secret === undefined ? undefined : readStored(secret);
    const why = stored === undefined ? undefined : renewalReason(stored, place.names, now);
    if (stored?.serving !== undefined && why === undefined) return { serving: stored.serving, ca: stored.ca.cert };
    // A CA near its end is replaced along with the certificate; otherwise agents keep trusting the one they have.
    const keepCa = stored !== undefined && why !== "the CA ends within 30 days" && why !== "the stored CA is not a certificate" ? stored.ca : undefined;
    const made = fresh(place, now, keepCa);
    try {
      if (secret === undefined) {
        await createDataObject(http, "secrets", place.namespace, {
          metadata: { name: place.name, labels: { "app.kubernetes.io/name": "pullmedic" } },
          type: "Opaque",
          data: asData(made),
        });
        log(`TLS: made a new CA and serving certificate in Secret ${place.namespace}/${place.name}`);
      } else {
        await patchData(http, "secrets", place.namespace, place.name, asData(made), secret.metadata.resourceVersion);
        log(
          `TLS: ${keepCa ? "renewed the serving certificate" : "made a new CA and serving certificate"} in Secret ${place.namespace}/${place.name}: ${why ?? "it was empty"}`,
        );
      }
      return { serving: made.serving, ca: made.ca.cert };
    } catch (err) {
      // Another aggregator wrote it first: use what it wrote.
      if (!conflict(err)) throw err;
    }
  }
  throw new Error(`TLS: Secret ${place.namespace}/${place.name} kept changing while it was written; is another aggregator fighting over it?`);
}
