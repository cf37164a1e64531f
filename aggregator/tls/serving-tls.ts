// What the gRPC port serves and the agents trust: the certificate from tls.certFile/keyFile (re-read
// as cert-manager renews them) or from the Secret tls.secret (made and renewed by the aggregator),
// and the CA published in tls.caConfigMap. A refresh that fails keeps serving what was served and
// says so; only the first load may stop the start.

import { createPrivateKey, X509Certificate } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { readTextFile } from "../../core/fs/index.js";
import type { KubeHttp } from "../../core/kube/index.js";
import type { Logger } from "../../core/log/index.js";
import type { CertificateAndKey } from "../../core/x509/index.js";
import type { AggregatorConfig } from "../config.js";
import { publishCaBundle } from "./ca-bundle.js";
import { ServingIdentity } from "./serving-identity.js";
import { ensureServingSecret, type ServingMaterial } from "./serving-secret.js";

type TlsConfig = NonNullable<AggregatorConfig["tls"]>;

export interface ServingTlsOptions {
  tls: TlsConfig;
  /** The API, for tls.secret and tls.caConfigMap; `namespace` is the aggregator's own when known. */
  kube: { http: KubeHttp; namespace: string | undefined } | undefined;
  log: Logger;
  /** How often the files are re-read, or the Secret's certificate checked. Default 60 s for files, 12 h for the Secret. */
  refreshMs?: number;
  now?: () => number;
}

export interface ServingTls {
  credentials: grpc.ServerCredentials;
  /** The CA agents should trust (PEM), when the aggregator knows it. */
  ca(): string | undefined;
  stop(): void;
}

const PEM_LIMIT = 1024 * 1024;

/** The Service's names (short to fully qualified) and loopback, for kubectl port-forward and the embedded mode. */
function servingNames(tls: TlsConfig, namespace: string): string[] {
  const svc = tls.service;
  return [
    ...new Set([
      `${svc}.${namespace}.svc`,
      svc,
      `${svc}.${namespace}`,
      `${svc}.${namespace}.svc.cluster.local`,
      "localhost",
      "127.0.0.1",
      "::1",
      ...tls.dnsNames,
    ]),
  ];
}

async function readPem(setting: string, path: string): Promise<string> {
  try {
    return await readTextFile(path, { maxBytes: PEM_LIMIT });
  } catch (err) {
    throw new Error(`${setting}: cannot read ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The files, checked: a certificate, a key, and that the key is the certificate's. */
async function fromFiles(tls: TlsConfig): Promise<ServingMaterial & { caKnown: boolean }> {
  const [cert, key, ca] = await Promise.all([
    readPem("tls.certFile", tls.certFile ?? ""),
    readPem("tls.keyFile", tls.keyFile ?? ""),
    tls.caFile === undefined ? Promise.resolve(undefined) : readPem("tls.caFile", tls.caFile),
  ]);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new Error(`tls.certFile: ${tls.certFile} holds no PEM certificate`);
  }
  let matches: boolean;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch {
    throw new Error(`tls.keyFile: ${tls.keyFile} holds no PEM private key`);
  }
  if (!matches) throw new Error(`tls.keyFile: ${tls.keyFile} is not the key of the certificate in ${tls.certFile}`);
  return { serving: { cert, key }, ca: ca ?? "", caKnown: ca !== undefined };
}

function namespaceOf(opts: ServingTlsOptions): string {
  const ns = opts.tls.namespace ?? opts.kube?.namespace;
  if (ns === undefined) throw new Error("tls.namespace: unknown (not running in a pod); set it to the namespace of tls.secret and tls.caConfigMap");
  return ns;
}

export async function startServingTls(opts: ServingTlsOptions): Promise<ServingTls> {
  const { tls, log } = opts;
  const needsApi = tls.secret !== undefined || tls.caConfigMap !== undefined;
  if (needsApi && opts.kube === undefined) {
    throw new Error(
      "tls.secret and tls.caConfigMap are kept through the Kubernetes API, and no API is configured (in-cluster service account or kube.kubeconfig)",
    );
  }
  const namespace = needsApi ? namespaceOf(opts) : "";
  const say = (message: string) => log.info(message);
  const load = async (): Promise<{ serving: CertificateAndKey; ca: string | undefined }> => {
    if (tls.secret !== undefined && opts.kube !== undefined) {
      const place = { namespace, name: tls.secret, names: servingNames(tls, namespace), ...(opts.now ? { now: opts.now } : {}) };
      return ensureServingSecret(opts.kube.http, place, say);
    }
    const files = await fromFiles(tls);
    return { serving: files.serving, ca: files.caKnown ? files.ca : undefined };
  };
  const identity = new ServingIdentity();
  let current = await load();
  identity.update(current.serving);
  const publish = async (ca: string | undefined) => {
    if (tls.caConfigMap !== undefined && opts.kube !== undefined && ca !== undefined)
      await publishCaBundle(opts.kube.http, namespace, tls.caConfigMap, ca, say);
  };
  await publish(current.ca);
  const refresh = async () => {
    try {
      const next = await load();
      if (next.serving.cert !== current.serving.cert || next.serving.key !== current.serving.key) {
        identity.update(next.serving);
        log.info("TLS: serving the renewed certificate");
      }
      current = next;
      await publish(next.ca);
    } catch (err) {
      log.warn(`TLS: refresh failed, still serving the certificate loaded before: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const timer = setInterval(() => void refresh(), opts.refreshMs ?? (tls.secret !== undefined ? 12 * 3_600_000 : 60_000));
  timer.unref();
  return {
    credentials: grpc.experimental.createCertificateProviderServerCredentials(identity, null, false),
    ca: () => current.ca,
    stop: () => clearInterval(timer),
  };
}
