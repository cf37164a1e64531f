// Who may read the agent's HTTP port. On loopback (npm start, a trial) anyone on the machine; beyond
// it (hostNetwork, the node's address) the caller's own Kubernetes token, checked the way
// kube-rbac-proxy checks it (docs/facts/kubernetes-auth.md, "Checking HTTP callers"): /metrics is
// `get` on the non-resource URL /metrics (Prometheus' role), /v1/state and /v1/report are `get` on
// `nodereports.pullmedic.dev` named after this node. The probes stay open for kubelet, and a peer on
// loopback (kubectl port-forward, which RBAC let in already) needs no token unless
// trustLoopbackPeers is false.

import { type AccessAttributes, checkBearer, KubeAccess, KubeHttp, loadKubeConnection, PULLMEDIC_API_GROUP } from "../../core/kube/index.js";
import type { Logger } from "../../core/log/index.js";
import { type HttpServer, isLoopbackAddress, isLoopbackListen, type Route, startHttpServer } from "../../core/net/index.js";
import { VERSION } from "../../core/process/index.js";
import type { AgentConfig } from "../config/index.js";

export type HttpAccess = { mode: "open" } | { mode: "kubernetes"; access: KubeAccess; nodeName: string; trustLoopbackPeers: boolean };

export interface HttpAccessSide {
  access: HttpAccess;
  stop(): Promise<void>;
}

const API_TIMEOUT_MS = 15_000;

/** What a request of `path` asks, as RBAC rules name it; undefined: open (the probes, paths that do not exist). */
function agentRequestAttributes(path: string, nodeName: string): AccessAttributes | undefined {
  if (path === "/metrics") return { nonResource: { verb: "get", path: "/metrics" } };
  if (path === "/v1/state" || path === "/v1/report") return { resource: { group: PULLMEDIC_API_GROUP, resource: "nodereports", verb: "get", name: nodeName } };
  return undefined;
}

/** The access rule the configuration asks for, with the API client it needs. */
export async function startHttpAccess(config: AgentConfig, log: Logger, env: NodeJS.ProcessEnv): Promise<HttpAccessSide> {
  const kubernetes = config.httpAuth === "kubernetes" || (config.httpAuth === "auto" && !isLoopbackListen(config.listen));
  if (!kubernetes) {
    if (config.httpAuth === "none" && !isLoopbackListen(config.listen))
      log.warn(`httpAuth none: anyone who reaches ${config.listen} reads /v1/state and /metrics`);
    return { access: { mode: "open" }, stop: async () => undefined };
  }
  const conn = await loadKubeConnection({
    env,
    ...(config.kube.kubeconfig !== undefined ? { kubeconfig: config.kube.kubeconfig } : {}),
    ...(config.kube.context !== undefined ? { context: config.kube.context } : {}),
  });
  if (conn === undefined) {
    throw new Error(
      `listen ${config.listen} is beyond loopback, where /metrics and /v1/state are checked with TokenReview and SubjectAccessReview: that needs the Kubernetes API (run in a pod, or set KUBECONFIG or kube.kubeconfig), or set httpAuth: none to serve them to anyone who reaches the port`,
    );
  }
  const http = new KubeHttp(conn, API_TIMEOUT_MS, `pullmedic-agent/${VERSION}`, (level, message) => log[level](`HTTP access: ${message}`));
  return {
    access: { mode: "kubernetes", access: new KubeAccess(http), nodeName: config.nodeName ?? "unknown", trustLoopbackPeers: config.trustLoopbackPeers },
    stop: () => http.close(),
  };
}

/** The routes, each asking its question first; a refusal answers 401, 403 or 503 in words. */
export function guardRoutes(routes: Record<string, Route>, access: HttpAccess): Record<string, Route> {
  if (access.mode === "open") return routes;
  const guarded: Record<string, Route> = {};
  for (const [path, route] of Object.entries(routes)) {
    const attributes = agentRequestAttributes(path, access.nodeName);
    guarded[path] =
      attributes === undefined
        ? route
        : async (req) => {
            if (access.trustLoopbackPeers && isLoopbackAddress(req.socket.remoteAddress)) return route(req);
            const verdict = await checkBearer(access.access, req.headers.authorization, attributes);
            if (verdict.ok) return route(req);
            const headers: Record<string, string> = verdict.status === 401 ? { "WWW-Authenticate": 'Bearer realm="pullmedic"' } : {};
            return { status: verdict.status, contentType: "text/plain", body: `${verdict.problem}\n`, headers };
          };
  }
  return guarded;
}

/** The agent's HTTP port with the access rule the configuration asks for; closing it closes both. */
export async function serveAgentHttp(
  config: AgentConfig,
  log: Logger,
  env: NodeJS.ProcessEnv,
  routes: (access: HttpAccess) => Record<string, Route>,
): Promise<HttpServer> {
  const side = await startHttpAccess(config, log, env);
  let server: HttpServer;
  try {
    server = await startHttpServer(config.listen, routes(side.access));
  } catch (err) {
    await side.stop();
    throw err;
  }
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await side.stop();
    },
  };
}
