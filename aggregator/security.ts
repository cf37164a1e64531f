// Who the aggregator trusts, decided from its configuration: how agents prove their node, who may
// use the HTTP face, and whether gRPC needs TLS. Loopback (the embedded one-machine mode, a trial)
// keeps the simple shared token; beyond loopback the defaults are the Kubernetes ones: each agent's
// own service-account token (its node only), each HTTP caller's own token checked with TokenReview
// and SubjectAccessReview, and TLS. Anything weaker beyond loopback must be asked for by name.

import { LISTEN, type Plain } from "../core/config/index.js";
import { isLoopbackListen } from "../core/net/index.js";

export type AgentAuthMode = "serviceAccountToken" | "sharedToken" | "none";
/** kubernetes: TokenReview + SubjectAccessReview; local: as on loopback (the shared token for pre-pulls, if any). */
export type HttpAuthMode = "kubernetes" | "local";

interface SecurityInput {
  grpcListen: string;
  httpListen: string;
  tokenFile?: string | undefined;
  allowUnauthenticated: boolean;
  agentAuth: "auto" | "serviceAccountToken" | "sharedToken";
  httpAuth: "auto" | "kubernetes" | "none";
  tls?: object | undefined;
  plaintext: boolean;
}

export function agentAuthMode(c: SecurityInput): AgentAuthMode {
  if (c.allowUnauthenticated) return "none";
  if (c.agentAuth !== "auto") return c.agentAuth;
  return isLoopbackListen(c.grpcListen) ? "sharedToken" : "serviceAccountToken";
}

export function httpAuthMode(c: SecurityInput): HttpAuthMode {
  if (c.httpAuth === "kubernetes") return "kubernetes";
  if (c.httpAuth === "none" || c.allowUnauthenticated) return "local";
  return isLoopbackListen(c.httpListen) ? "local" : "kubernetes";
}

/** The raw (layered, not yet validated) values, with the schema's defaults where they are missing or unusable. */
function input(raw: Plain): SecurityInput {
  const text = (v: unknown, fallback: string) => (typeof v === "string" && v !== "" ? v : fallback);
  const yes = (v: unknown) => v === true || v === "true";
  const listen = (v: unknown, fallback: string) => (typeof v === "string" && LISTEN.test(v) ? v : fallback);
  const agentAuth = text(raw["agentAuth"], "auto");
  const httpAuth = text(raw["httpAuth"], "auto");
  return {
    grpcListen: listen(raw["grpcListen"], "127.0.0.1:9477"),
    httpListen: listen(raw["httpListen"], "127.0.0.1:9478"),
    tokenFile: typeof raw["tokenFile"] === "string" ? raw["tokenFile"] : undefined,
    allowUnauthenticated: yes(raw["allowUnauthenticated"]),
    agentAuth: agentAuth === "serviceAccountToken" || agentAuth === "sharedToken" ? agentAuth : "auto",
    httpAuth: httpAuth === "kubernetes" || httpAuth === "none" ? httpAuth : "auto",
    tls: raw["tls"] !== null && typeof raw["tls"] === "object" ? raw["tls"] : undefined,
    plaintext: yes(raw["plaintext"]),
  };
}

/** Every problem with how the aggregator would trust its callers, each naming its key and where it was set. */
export function securityProblems(raw: Plain, where: (key: string) => string): string[] {
  const c = input(raw);
  const problems: string[] = [];
  const agents = agentAuthMode(c);
  const http = httpAuthMode(c);
  if (agents === "sharedToken" && c.tokenFile === undefined) {
    problems.push(
      "tokenFile: required: agents and `pullmedic cluster` authenticate with a bearer token from this file (one per line); " +
        "set it, or agentAuth: serviceAccountToken to check agents' Kubernetes tokens, or allowUnauthenticated: true for a one-machine trial only",
    );
  }
  if (c.tokenFile !== undefined && agents === "serviceAccountToken" && http === "kubernetes") {
    problems.push(
      `tokenFile: not used: beyond loopback each agent proves its node with its own service-account token, and HTTP callers with their Kubernetes tokens; remove it, or set agentAuth: sharedToken to let every holder of the token speak for every node ${where("tokenFile")}`.trimEnd(),
    );
  }
  if (!isLoopbackListen(c.grpcListen) && c.tls === undefined && !c.plaintext) {
    problems.push(
      `tls: required: grpcListen ${c.grpcListen} is beyond loopback, where agents' tokens and reports must not travel in the clear; set tls.secret (a CA and certificate made and kept in that Secret), or tls.certFile and tls.keyFile (cert-manager's), or plaintext: true if something else encrypts the way ${where("grpcListen")}`.trimEnd(),
    );
  }
  return problems;
}
