// What the aggregator sets up before it serves, from how it trusts its callers (security.ts): the
// shared tokens, the Kubernetes API client its reviews and TLS Secret go through, the agents'
// authenticator, the HTTP face's access rule, and the TLS credentials of its gRPC port.

import type * as grpc from "@grpc/grpc-js";
import { KubeAccess, type KubeConnection, KubeHttp, loadKubeConnection } from "../core/kube/index.js";
import type { Logger } from "../core/log/index.js";
import { isLoopbackListen } from "../core/net/index.js";
import { VERSION } from "../core/process/index.js";
import type { AggregatorConfig } from "./config.js";
import type { HttpAccess } from "./http/index.js";
import { type AgentAuthenticator, BearerTokens, ServiceAccountAgents, sharedTokenAgents } from "./ingest/index.js";
import { agentAuthMode, httpAuthMode } from "./security.js";
import { startServingTls } from "./tls/index.js";

export interface Security {
  /** undefined: no check at all (allowUnauthenticated). */
  agents: AgentAuthenticator | undefined;
  http: HttpAccess;
  /** undefined: plaintext gRPC. */
  grpcCredentials: grpc.ServerCredentials | undefined;
  stop(): Promise<void>;
}

export interface SecurityOptions {
  env: NodeJS.ProcessEnv;
  /** How often the token file is re-read. Default 30 s. */
  tokenReloadMs?: number;
  /** How often TLS files are re-read (or the Secret's certificate checked). */
  tlsRefreshMs?: number;
  now?: () => number;
}

const API_TIMEOUT_MS = 15_000;

/** Why the API is needed, for the error when there is none. */
function apiNeeds(config: AggregatorConfig): string[] {
  const needs: string[] = [];
  if (agentAuthMode(config) === "serviceAccountToken") needs.push("agents' service-account tokens (agentAuth) are reviewed with TokenReview");
  if (httpAuthMode(config) === "kubernetes") needs.push(`HTTP callers on ${config.httpListen} are checked with TokenReview and SubjectAccessReview (httpAuth)`);
  if (config.tls?.secret !== undefined || config.tls?.caConfigMap !== undefined) needs.push("the TLS Secret and CA ConfigMap are kept through the API (tls)");
  return needs;
}

async function connectApi(config: AggregatorConfig, log: Logger, env: NodeJS.ProcessEnv): Promise<{ http: KubeHttp; conn: KubeConnection } | undefined> {
  const needs = apiNeeds(config);
  if (needs.length === 0) return undefined;
  const conn = await loadKubeConnection({
    env,
    ...(config.kube.kubeconfig !== undefined ? { kubeconfig: config.kube.kubeconfig } : {}),
    ...(config.kube.context !== undefined ? { context: config.kube.context } : {}),
  });
  if (conn === undefined) {
    throw new Error(
      `the Kubernetes API is needed (${needs.join("; ")}), and none is configured: run in a pod with a service-account token, or set kube.kubeconfig or KUBECONFIG`,
    );
  }
  log.info(`Kubernetes API ${conn.server} (${conn.source}): ${needs.join("; ")}`);
  const logFn = (level: "debug" | "info" | "warn", message: string) => log[level](`Kubernetes API: ${message}`);
  return { http: new KubeHttp(conn, API_TIMEOUT_MS, `pullmedic-aggregator/${VERSION}`, logFn), conn };
}

async function loadTokens(config: AggregatorConfig, log: Logger, reloadMs: number | undefined): Promise<BearerTokens | undefined> {
  if (config.allowUnauthenticated) {
    log.warn("allowUnauthenticated: the aggregator accepts agents and pre-pull commands without a token; for a one-machine trial only, never in a cluster");
    return undefined;
  }
  return config.tokenFile === undefined ? undefined : BearerTokens.load(config.tokenFile, log, reloadMs);
}

function agentsFor(
  config: AggregatorConfig,
  tokens: BearerTokens | undefined,
  api: { http: KubeHttp } | undefined,
  log: Logger,
  now?: () => number,
): AgentAuthenticator | undefined {
  const mode = agentAuthMode(config);
  if (mode === "none") return undefined;
  if (mode === "sharedToken") {
    if (tokens === undefined) throw new Error("tokenFile: required with agentAuth sharedToken");
    if (!isLoopbackListen(config.grpcListen)) {
      log.warn(`agentAuth sharedToken on ${config.grpcListen}: every holder of the shared token can speak for every node`);
    }
    return sharedTokenAgents(tokens);
  }
  if (api === undefined) throw new Error("agentAuth serviceAccountToken needs the Kubernetes API");
  const access = new KubeAccess(api.http, { audiences: [config.kube.audience], ttlMs: config.kube.reviewCacheTtl, ...(now ? { now } : {}) });
  return new ServiceAccountAgents({ access, http: api.http, serviceAccounts: config.kube.agentServiceAccounts, ...(now ? { now } : {}) });
}

export async function loadSecurity(config: AggregatorConfig, log: Logger, opts: SecurityOptions): Promise<Security> {
  const stops: (() => void | Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    const tokens = await loadTokens(config, log, opts.tokenReloadMs);
    if (tokens) stops.push(() => tokens.stop());
    const api = await connectApi(config, log, opts.env);
    if (api) stops.push(() => api.http.close());
    const agents = agentsFor(config, tokens, api, log, opts.now);
    const http: HttpAccess =
      httpAuthMode(config) === "kubernetes" && api !== undefined
        ? {
            mode: "kubernetes",
            access: new KubeAccess(api.http, { ttlMs: config.kube.reviewCacheTtl, ...(opts.now ? { now: opts.now } : {}) }),
            trustLoopbackPeers: config.trustLoopbackPeers,
          }
        : { mode: "local", tokens };
    let grpcCredentials: grpc.ServerCredentials | undefined;
    if (config.tls !== undefined) {
      const tls = await startServingTls({
        tls: config.tls,
        kube: api ? { http: api.http, namespace: api.conn.namespace } : undefined,
        log,
        ...(opts.tlsRefreshMs !== undefined ? { refreshMs: opts.tlsRefreshMs } : {}),
        ...(opts.now ? { now: opts.now } : {}),
      });
      stops.push(() => tls.stop());
      grpcCredentials = tls.credentials;
    } else if (!isLoopbackListen(config.grpcListen)) {
      log.warn(`plaintext: agents reach ${config.grpcListen} without TLS; their tokens and reports can be read on the way`);
    }
    return { agents, http, grpcCredentials, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
