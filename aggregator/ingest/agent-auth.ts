// How a stream's bearer token becomes an AgentIdentity: the shared token (any node), or a
// service-account token reviewed by the API server (its own node only). Both answer the same
// question so the gRPC server does not care which is configured.

import { bearerToken, getPodPlacement, type KubeAccess, type KubeHttp, TtlCache } from "../../core/kube/index.js";
import { type AgentIdentity, anyNode, type BoundPod, nodeClaim, serviceAccountUser } from "./node-identity.js";
import type { BearerTokens } from "./tokens.js";

/** Refused: UNAUTHENTICATED (no or bad token), PERMISSION_DENIED (a good token that may not report), UNAVAILABLE (try later). */
export type AgentCheck = { ok: true; identity: AgentIdentity } | { ok: false; refusal: "unauthenticated" | "forbidden" | "unavailable"; problem: string };

export interface AgentAuthenticator {
  /** Checks an `authorization` metadata value; never rejects, never repeats the token. */
  check(authorization: string | undefined): Promise<AgentCheck>;
}

/** Every holder of a token from the token file may speak for every node. */
export function sharedTokenAgents(tokens: BearerTokens): AgentAuthenticator {
  return {
    check: async (value) => {
      const verdict = tokens.check(value);
      return verdict.ok ? { ok: true, identity: anyNode("a holder of the shared token") } : { ok: false, refusal: "unauthenticated", problem: verdict.problem };
    },
  };
}

export interface ServiceAccountAgentsOptions {
  /** Reviews tokens with the aggregator's audience. */
  access: KubeAccess;
  /** For the pod lookup on clusters whose tokens carry no node claim. */
  http: KubeHttp;
  /** namespace:name of the agents' service accounts. */
  serviceAccounts: readonly string[];
  now?: () => number;
}

/** A pod's node never changes once it is bound, so a lookup is good for as long as a review is. */
const PLACEMENT_TTL_MS = 60_000;

/** Each agent may speak only for the node its pod-bound service-account token names. */
export class ServiceAccountAgents implements AgentAuthenticator {
  private readonly users: ReadonlySet<string>;
  private readonly placements: TtlCache<{ node: string } | { problem: string }>;

  constructor(private readonly opts: ServiceAccountAgentsOptions) {
    this.users = new Set(opts.serviceAccounts.map(serviceAccountUser));
    this.placements = new TtlCache(20_000, opts.now ?? Date.now);
  }

  async check(value: string | undefined): Promise<AgentCheck> {
    const token = bearerToken(value);
    if (!token.ok) return { ok: false, refusal: "unauthenticated", problem: `${token.problem} (a service-account token projected for the aggregator)` };
    const auth = await this.opts.access.authenticate(token.token);
    if (!auth.ok) return { ok: false, refusal: auth.retry ? "unavailable" : "unauthenticated", problem: auth.problem };
    const claim = nodeClaim(auth.user, this.users);
    if ("problem" in claim) return { ok: false, refusal: "forbidden", problem: claim.problem };
    if ("node" in claim) return { ok: true, identity: claim.identity };
    const placed = await this.lookUp(claim.lookup);
    if ("problem" in placed) return { ok: false, refusal: "unavailable", problem: placed.problem };
    return { ok: true, identity: { node: placed.node, who: claim.who } };
  }

  /** Before Kubernetes 1.30 the token names its pod but not its node: the pod says where it runs. */
  private lookUp(pod: BoundPod): Promise<{ node: string } | { problem: string }> {
    return this.placements.resolve(
      pod.uid,
      async () => {
        const where = `pod ${pod.namespace}/${pod.name}`;
        try {
          const placed = await getPodPlacement(this.opts.http, pod.namespace, pod.name);
          if (placed === undefined || placed.metadata.uid !== pod.uid) return { problem: `${where} of the token no longer exists` };
          if (placed.nodeName === undefined) return { problem: `${where} is not bound to a node yet` };
          return { node: placed.nodeName };
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          return {
            problem: `the token names ${where} but not its node (Kubernetes before 1.30, or the ServiceAccountTokenPodNodeInfo feature off), and the pod cannot be read: ${message}`,
          };
        }
      },
      (p) => ("node" in p ? PLACEMENT_TTL_MS : 0),
    );
  }
}
