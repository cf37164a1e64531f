import type { Cause } from "./causes.js";
import type { DiagnosisFacts } from "./facts.js";

/** A decisive answer from one step: the pipeline stops at the first one. */
export interface Verdict {
  cause: Exclude<Cause, "ok">;
  summary: string;
  facts: Partial<DiagnosisFacts>;
}

/** The failure kinds shared by the network probes and the registry client. */
export type TransportFailure = "dns" | "timeout" | "refused" | "reset" | "unreachable" | "tls" | "http-to-https" | "protocol";

export function transportVerdict(kind: TransportFailure, what: string, detail: string): Verdict {
  switch (kind) {
    case "dns":
      return { cause: "dns", summary: `${what} does not resolve: ${detail}`, facts: {} };
    case "refused":
    case "reset":
      return { cause: "connection-refused", summary: `${what} refused or reset the connection: ${detail}`, facts: {} };
    case "timeout":
    case "unreachable":
      return { cause: "network-timeout", summary: `${what} did not answer in time: ${detail}`, facts: {} };
    case "tls":
    case "http-to-https":
      return { cause: "tls", summary: `TLS with ${what} failed: ${detail}`, facts: { tlsProblem: kind === "http-to-https" ? "http-to-https" : undefined } };
    case "protocol":
      return { cause: "registry-unavailable", summary: `${what} answered with something that is not a registry response: ${detail}`, facts: {} };
  }
}

export interface HttpFailure {
  status: number;
  codes: string[];
  credentialSent: boolean;
  dockerHub: boolean;
}

/**
 * A registry's HTTP answer as a cause. 401/403 depend on whether credentials were sent; a
 * registry error code, when present, is more precise than the status.
 */
export function httpVerdict(f: HttpFailure, what: string): Verdict | undefined {
  const facts: Partial<DiagnosisFacts> = { status: f.status, registryCodes: f.codes };
  if (f.codes.includes("TOOMANYREQUESTS") || f.status === 429) {
    return { cause: "rate-limited", summary: `${what}: the registry refused with 429 Too Many Requests`, facts };
  }
  if (f.codes.includes("MANIFEST_UNKNOWN") || f.codes.includes("NAME_UNKNOWN") || f.status === 404) {
    return { cause: "not-found", summary: `${what}: the registry answered ${f.status}${f.codes.length ? ` (${f.codes.join(", ")})` : ""}`, facts };
  }
  if (f.status === 401 || f.status === 403 || f.codes.includes("DENIED") || f.codes.includes("UNAUTHORIZED")) {
    if (f.credentialSent) {
      return {
        cause: "auth-denied",
        summary: `${what}: the registry rejected the credentials (${f.status}${f.codes.length ? ` ${f.codes.join(", ")}` : ""})`,
        facts,
      };
    }
    const hub = f.dockerHub ? " Docker Hub answers the same for a repository that does not exist." : "";
    return { cause: "auth-required", summary: `${what}: the registry requires credentials and none were sent (${f.status}).${hub}`, facts };
  }
  if (f.status >= 500) {
    return { cause: "registry-unavailable", summary: `${what}: the registry answered ${f.status}`, facts };
  }
  return undefined;
}
