/**
 * The two questions a server asks the API server about a caller (docs/facts/kubernetes-auth.md,
 * "TokenReview" and "SubjectAccessReview"): who does this bearer token belong to, and may that
 * user do this. Both are one POST each; the answers are decoded defensively like every other.
 */

import { asObject, DecodeError, isPlain, optBoolean, optString, type Plain } from "./decode-base.js";
import { malformedError } from "./errors.js";
import { type KubeHttp, type KubeRequest, showPath } from "./http.js";

/** What the API server knows about the user a token belongs to (authentication.k8s.io/v1 UserInfo). */
export interface UserInfo {
  username: string;
  uid: string | undefined;
  groups: string[];
  /** Keys like authentication.kubernetes.io/pod-name, each with its values. */
  extra: Record<string, string[]>;
}

export interface TokenReviewResult {
  authenticated: boolean;
  /** Present when authenticated. */
  user: UserInfo | undefined;
  /** The audiences both the review asked for and the token carries; absent or empty means the API server's own. */
  audiences: string[];
  /** Why the token could not be checked, in the API server's words. */
  error: string | undefined;
}

/** What is asked about a Kubernetes-style resource (authorization.k8s.io/v1 ResourceAttributes). */
export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** What is asked about a path that is no resource (authorization.k8s.io/v1 NonResourceAttributes). */
export interface NonResourceAttributes {
  verb: string;
  path: string;
}

export type AccessAttributes = { resource: ResourceAttributes } | { nonResource: NonResourceAttributes };

export interface AccessReviewResult {
  allowed: boolean;
  /** An authorizer said no outright (later ones were not asked). */
  denied: boolean;
  reason: string | undefined;
  /** An authorizer failed while deciding: the answer may be a no that should have been a yes. */
  evaluationError: string | undefined;
}

const REVIEW_RESPONSE_LIMIT = 1024 * 1024;
const TOKEN_REVIEW_PATH = "/apis/authentication.k8s.io/v1/tokenreviews";
const ACCESS_REVIEW_PATH = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function decodeUser(value: unknown): UserInfo | undefined {
  if (!isPlain(value)) return undefined;
  const username = optString(value, "username");
  if (username === undefined || username === "") return undefined;
  const extra: Record<string, string[]> = {};
  if (isPlain(value.extra)) for (const [k, v] of Object.entries(value.extra)) extra[k] = strings(v);
  return { username, uid: optString(value, "uid"), groups: strings(value.groups), extra };
}

function statusOf(value: unknown, kind: string): Plain {
  const raw = asObject(value, "");
  if (raw.kind !== undefined && raw.kind !== kind) throw new DecodeError("kind", `expected ${kind}, got ${JSON.stringify(raw.kind)}`);
  // A review answered with no status at all is a no: nothing was established.
  return isPlain(raw.status) ? raw.status : {};
}

async function post(http: KubeHttp, path: string, body: unknown): Promise<{ req: KubeRequest; value: unknown }> {
  const req: KubeRequest = { verb: "POST", path, body: JSON.stringify(body), contentType: "application/json" };
  return { req, value: await http.json(req, REVIEW_RESPONSE_LIMIT) };
}

function decodedOr<T>(req: KubeRequest, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof DecodeError) throw malformedError(req.verb, showPath(req.path), 201, err.message);
    throw err;
  }
}

/** Asks who `token` belongs to; with `audiences`, whether it was issued for one of them. */
export async function reviewToken(http: KubeHttp, token: string, audiences: readonly string[] = []): Promise<TokenReviewResult> {
  const spec = audiences.length > 0 ? { token, audiences: [...audiences] } : { token };
  const { req, value } = await post(http, TOKEN_REVIEW_PATH, { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec });
  return decodedOr(req, () => {
    const status = statusOf(value, "TokenReview");
    const user = decodeUser(status.user);
    const authenticated = optBoolean(status, "authenticated") === true && user !== undefined;
    return { authenticated, user: authenticated ? user : undefined, audiences: strings(status.audiences), error: optString(status, "error") || undefined };
  });
}

/** Asks whether `user` may do what `attributes` describe. */
export async function reviewAccess(http: KubeHttp, user: UserInfo, attributes: AccessAttributes): Promise<AccessReviewResult> {
  const spec: Plain = { user: user.username, groups: user.groups, extra: user.extra };
  if (user.uid !== undefined) spec.uid = user.uid;
  if ("resource" in attributes) spec.resourceAttributes = { ...attributes.resource };
  else spec.nonResourceAttributes = { ...attributes.nonResource };
  const { req, value } = await post(http, ACCESS_REVIEW_PATH, { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec });
  return decodedOr(req, () => {
    const status = statusOf(value, "SubjectAccessReview");
    return {
      allowed: optBoolean(status, "allowed") === true,
      denied: optBoolean(status, "denied") === true,
      reason: optString(status, "reason") || undefined,
      evaluationError: optString(status, "evaluationError") || undefined,
    };
  });
}
