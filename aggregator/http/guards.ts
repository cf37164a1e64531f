// Who may ask what of the HTTP face. Beyond loopback (httpAuth kubernetes) it is Kubernetes' answer,
// as kube-rbac-proxy gives it: the caller's own bearer token (a user's, Prometheus') reviewed with
// TokenReview, then SubjectAccessReview for what the request does (docs/facts/kubernetes-auth.md,
// "Checking HTTP callers"); a peer on loopback (kubectl port-forward, which RBAC already let in)
// and the health probes need none. On loopback (local) it is the shared token for a pre-pull, and
// without any token only requests addressed to this machine.

import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { type AccessAttributes, checkBearer, type KubeAccess, PULLMEDIC_API_GROUP } from "../../core/kube/index.js";
import { hostAndPort, isLoopbackAddress } from "../../core/net/index.js";
import type { BearerTokens } from "../ingest/index.js";
import type { AggregatorMetrics } from "../metrics.js";
import { HttpProblem } from "./answer.js";

export type HttpAccess =
  /** As on loopback: the shared token for pre-pulls when there is one; without one, only requests addressed to this machine. */
  | { mode: "local"; tokens: BearerTokens | undefined }
  /** Each caller's Kubernetes token, reviewed; the probes excepted, and loopback peers when trusted. */
  | { mode: "kubernetes"; access: KubeAccess; trustLoopbackPeers: boolean };

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="pullmedic"' };

/**
 * What a request asks, as RBAC rules name it; undefined: open to anyone (the probes, the dashboard's
 * own files, which hold no data). Reading the cluster view is `list nodereports`, pre-pull commands
 * `list`/`get`/`create prepulls`, both in the pullmedic.dev group; /metrics is the non-resource URL
 * Prometheus' role already names.
 */
function requestAttributes(method: string, path: string): AccessAttributes | undefined {
  if (path === "/healthz" || path === "/readyz") return undefined;
  if (path === "/metrics") return { nonResource: { verb: "get", path: "/metrics" } };
  if (!path.startsWith("/api/")) return undefined;
  const resource = (resource: string, verb: string) => ({ resource: { group: PULLMEDIC_API_GROUP, resource, verb } });
  if (path === "/api/v1/prepull") return resource("prepulls", method === "POST" ? "create" : "get");
  if (path === "/api/v1/commands") return resource("prepulls", "list");
  if (path.startsWith("/api/v1/commands/")) return resource("prepulls", "get");
  return resource("nodereports", "list");
}

/** Throws the HttpProblem (401, 403, 503) that refuses the request; returns when it may go on. */
export async function guard(req: IncomingMessage, access: HttpAccess, metrics: AggregatorMetrics): Promise<void> {
  const method = req.method ?? "GET";
  const path = new URL(req.url ?? "/", "http://aggregator").pathname;
  const attributes = requestAttributes(method, path);
  if (access.mode === "local") {
    if (access.tokens === undefined) checkHost(req.headers.host);
    else if (method === "POST" && path === "/api/v1/prepull") authorize(req, access.tokens, metrics);
    return;
  }
  if (attributes === undefined || (access.trustLoopbackPeers && isLoopbackAddress(req.socket.remoteAddress))) return;
  const verdict = await checkBearer(access.access, req.headers.authorization, attributes);
  if (verdict.ok) return;
  if (verdict.status !== 503) metrics.rejected(verdict.status === 401 ? "unauthenticated" : "forbidden");
  throw new HttpProblem(verdict.status, verdict.problem, {}, verdict.status === 401 ? CHALLENGE : {});
}

/** Throws 401 unless the request carries an accepted bearer token. */
function authorize(req: IncomingMessage, tokens: BearerTokens, metrics: AggregatorMetrics): void {
  const verdict = tokens.check(req.headers.authorization);
  if (!verdict.ok) {
    metrics.rejected("unauthenticated");
    throw new HttpProblem(401, verdict.problem, {}, CHALLENGE);
  }
}

/**
 * Without a token check (allowUnauthenticated: the embedded one-machine mode) the API answers only
 * requests addressed to localhost or to an IP address. A web page can point a name of its own at
 * 127.0.0.1 (DNS rebinding) and so talk to the loopback aggregator as its own origin, reading the
 * cluster view and POSTing pre-pulls; the Host header it sends still carries its own name.
 */
function checkHost(header: string | undefined): void {
  const host = (header ?? "").trim().toLowerCase();
  const name = hostAndPort(host, 0).host;
  // No Host at all is no browser (HTTP/1.0 tools).
  const ok = name === "" || name === "localhost" || name.endsWith(".localhost") || isIP(name) !== 0;
  if (!ok) {
    throw new HttpProblem(
      403,
      `host ${JSON.stringify(host.slice(0, 100))}: this aggregator runs without a token check, so it answers only requests addressed to localhost or an IP address (a page on another site could point its name here)`,
    );
  }
}
