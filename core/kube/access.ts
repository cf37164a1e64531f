/**
 * Who a bearer token belongs to and what that user may do, asked of the API server the way
 * kube-rbac-proxy asks it (docs/facts/kubernetes-auth.md, "TokenReview" and "SubjectAccessReview"),
 * with answers remembered briefly: a yes for `ttlMs`, a no for `deniedTtlMs`, a failure of the API
 * server not at all. The cache holds digests of tokens, never tokens.
 */

import { createHash } from "node:crypto";
import { KubeApiError } from "./errors.js";
import type { KubeHttp } from "./http.js";
import { type AccessAttributes, reviewAccess, reviewToken, type UserInfo } from "./reviews.js";
import { Gate, QueueFull, TtlCache } from "./ttl-cache.js";

export interface KubeAccessOptions {
  /** Audiences a token must have been issued for; none: the API server's own (a user's or Prometheus' token). */
  audiences?: readonly string[];
  /** How long a yes is remembered. Default 60 s. */
  ttlMs?: number;
  /** How long a no is remembered. Default 10 s. */
  deniedTtlMs?: number;
  /** Answers remembered at most, per kind. Default 20 000 (a cluster's agents, each with its own token). */
  maxEntries?: number;
  /** Reviews asked at once; more wait, up to `maxQueued`, beyond which the caller is told to retry. Defaults 16 and 20 000. */
  maxInFlight?: number;
  maxQueued?: number;
  now?: () => number;
}

export type Authentication =
  | { ok: true; user: UserInfo }
  /** `retry`: the API server could not answer now; the token may be fine. */
  | { ok: false; problem: string; retry: boolean };

export type Authorization = { allowed: true } | { allowed: false; problem: string; retry: boolean };

function digest(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("base64url");
}

function apiProblem(err: unknown, what: string): string {
  if (err instanceof QueueFull) return `${err.message}; try again shortly`;
  if (err instanceof KubeApiError && err.status === 403) return `the API server does not let this server ${what} (RBAC: ${err.message})`;
  return `cannot ${what}: ${err instanceof Error ? err.message : String(err)}`;
}

export class KubeAccess {
  private readonly tokens: TtlCache<Authentication>;
  private readonly decisions: TtlCache<Authorization>;
  private readonly gate: Gate;
  private readonly audiences: readonly string[];
  private readonly ttlMs: number;
  private readonly deniedTtlMs: number;

  constructor(
    private readonly http: KubeHttp,
    opts: KubeAccessOptions = {},
  ) {
    const now = opts.now ?? Date.now;
    this.tokens = new TtlCache(opts.maxEntries ?? 20_000, now);
    this.decisions = new TtlCache(opts.maxEntries ?? 20_000, now);
    this.gate = new Gate(opts.maxInFlight ?? 16, opts.maxQueued ?? 20_000);
    this.audiences = opts.audiences ?? [];
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.deniedTtlMs = opts.deniedTtlMs ?? 10_000;
  }

  private ttl(ok: boolean, retry: boolean): number {
    return ok ? this.ttlMs : retry ? 0 : this.deniedTtlMs;
  }

  /** TokenReview of `token` (with this reviewer's audiences); never rejects. */
  authenticate(token: string): Promise<Authentication> {
    return this.tokens.resolve(
      digest(token),
      () => this.review(token),
      (a) => this.ttl(a.ok, !a.ok && a.retry),
    );
  }

  private async review(token: string): Promise<Authentication> {
    let result;
    try {
      result = await this.gate.run(() => reviewToken(this.http, token, this.audiences));
    } catch (err) {
      return { ok: false, problem: apiProblem(err, "create tokenreviews"), retry: true };
    }
    if (!result.authenticated || result.user === undefined) {
      return { ok: false, problem: `the API server does not accept the token${result.error ? ` (${result.error})` : ""}`, retry: false };
    }
    // An authenticator that ignores audiences answers with none: then the token is only good for
    // the API server itself, so a token meant for us must come back with our audience named.
    if (this.audiences.length > 0 && !result.audiences.some((a) => this.audiences.includes(a))) {
      return {
        ok: false,
        problem: `the token was not issued for the audience ${this.audiences.map((a) => JSON.stringify(a)).join(" or ")} (it is ${result.user.username}'s token for ${result.audiences.length > 0 ? result.audiences.join(", ") : "the Kubernetes API"})`,
        retry: false,
      };
    }
    return { ok: true, user: result.user };
  }

  /** SubjectAccessReview: may `user` do what `attributes` say; never rejects. */
  authorize(user: UserInfo, attributes: AccessAttributes): Promise<Authorization> {
    const key = digest(JSON.stringify([user.username, user.uid ?? "", [...user.groups].sort(), user.extra, attributes]));
    return this.decisions.resolve(
      key,
      () => this.decide(user, attributes),
      (d) => this.ttl(d.allowed, !d.allowed && d.retry),
    );
  }

  private async decide(user: UserInfo, attributes: AccessAttributes): Promise<Authorization> {
    let result;
    try {
      result = await this.gate.run(() => reviewAccess(this.http, user, attributes));
    } catch (err) {
      return { allowed: false, problem: apiProblem(err, "create subjectaccessreviews"), retry: true };
    }
    if (result.allowed) return { allowed: true };
    const why = result.reason ?? result.evaluationError;
    // An authorizer that failed may have turned a yes into a no: asking again soon is right.
    return {
      allowed: false,
      problem: `${user.username} may not ${describeAttributes(attributes)}${why ? ` (${why})` : ""}`,
      retry: result.evaluationError !== undefined,
    };
  }
}

/** "get /metrics" or "create prepulls.pullmedic.dev": what was asked, for messages. */
export function describeAttributes(attributes: AccessAttributes): string {
  if ("nonResource" in attributes) return `${attributes.nonResource.verb} ${attributes.nonResource.path}`;
  const r = attributes.resource;
  const resource = `${r.resource}${r.subresource ? `/${r.subresource}` : ""}${r.group ? `.${r.group}` : ""}`;
  return `${r.verb} ${resource}${r.name ? ` ${JSON.stringify(r.name)}` : ""}${r.namespace ? ` in namespace ${r.namespace}` : ""}`;
}
