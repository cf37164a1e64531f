// TokenReview and SubjectAccessReview as the API server answers them, from the published API
// reference ("TokenReview v1", "SubjectAccessReview v1"; docs/facts/kubernetes-auth.md): 201 with the
// posted object echoed and its status filled in; a token good only for other audiences is not
// authenticated; status.audiences is the intersection of the review's and the token's audiences
// (the API server's own when the review names none); a pod-bound service-account token's user
// carries its pod, and its node from Kubernetes 1.30 on. Which tokens belong to whom, and which
// requests are allowed, each test says (identities, and grants shaped like RBAC rules).

import { ApiError, badRequest, invalid } from "./status.js";

/** What the API server knows about the user a token belongs to. */
export interface StandInIdentity {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  /** The audiences the token was issued for; default the API server's own. */
  audiences?: string[];
}

/** A rule as RBAC writes one; an omitted list matches nothing, "*" anything. */
export interface AccessRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Grant {
  /** The user it is bound to, or a group. */
  subject: { user: string } | { group: string };
  rule: AccessRule;
  /** Names the binding in the allowed reason, as RBAC does. */
  binding: string;
}

/** The audience of an API server on its defaults (the service account issuer). */
export const API_AUDIENCE = "https://kubernetes.default.svc.cluster.local";

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function reviewObject(kind: string, apiVersion: string, input: Plain, status: Plain): Plain {
  return { kind, apiVersion, metadata: { creationTimestamp: null }, spec: input.spec, status };
}

export class Reviews {
  readonly identities = new Map<string, StandInIdentity>();
  readonly grants: Grant[] = [];
  tokenReviews = 0;
  accessReviews = 0;

  /** `podUid` says which pod of that name exists now: a pod-bound token outlives its pod by nothing. */
  constructor(private readonly podUid: (namespace: string, name: string) => string | undefined) {}

  /** POST .../tokenreviews: the answer's body (201). */
  tokenReview(input: unknown): Plain {
    if (!isPlain(input) || !isPlain(input.spec)) throw new ApiError(badRequest("the object provided is unrecognized (must be of type TokenReview)"));
    const token = input.spec.token;
    // The REST handler refuses a review without a token before any authenticator is asked.
    if (typeof token !== "string" || token === "") throw new ApiError(badRequest("token is required for TokenReview in authentication"));
    this.tokenReviews++;
    const wanted = strings(input.spec.audiences);
    const asked = wanted.length > 0 ? wanted : [API_AUDIENCE];
    const identity = this.identities.get(token);
    const out = (status: Plain) => reviewObject("TokenReview", "authentication.k8s.io/v1", input, status);
    if (identity === undefined) return out({ user: {}, error: "[invalid bearer token, token lookup failed]" });
    const has = identity.audiences ?? [API_AUDIENCE];
    const both = asked.filter((a) => has.includes(a));
    if (both.length === 0) {
      return out({
        user: {},
        error: `[invalid bearer token, token audiences ${JSON.stringify(has)} is invalid for the target audiences ${JSON.stringify(asked)}]`,
      });
    }
    const gone = this.podGone(identity);
    if (gone !== undefined) return out({ user: {}, error: `[invalid bearer token, ${gone}]` });
    const user: Plain = { username: identity.username, groups: [...(identity.groups ?? []), "system:authenticated"] };
    if (identity.uid !== undefined) user.uid = identity.uid;
    if (identity.extra !== undefined && Object.keys(identity.extra).length > 0) user.extra = identity.extra;
    return out({ authenticated: true, user, audiences: both });
  }

  /** Why a pod-bound token no longer authenticates: its pod is gone, or a new pod took the name. */
  private podGone(identity: StandInIdentity): string | undefined {
    const name = identity.extra?.["authentication.kubernetes.io/pod-name"]?.[0];
    const uid = identity.extra?.["authentication.kubernetes.io/pod-uid"]?.[0];
    if (name === undefined || uid === undefined) return undefined;
    const namespace = identity.username.split(":")[2] ?? "";
    const current = this.podUid(namespace, name);
    if (current === undefined) return `pods "${name}" not found`;
    return current === uid ? undefined : `pod ${name} has a different uid than the token's`;
  }

  /** POST .../subjectaccessreviews: the answer's body (201). */
  accessReview(input: unknown): Plain {
    if (!isPlain(input) || !isPlain(input.spec)) throw new ApiError(badRequest("the object provided is unrecognized (must be of type SubjectAccessReview)"));
    const spec = input.spec;
    const resource = isPlain(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
    const nonResource = isPlain(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
    const user = typeof spec.user === "string" ? spec.user : "";
    const groups = strings(spec.groups);
    const causes: { reason: string; message: string; field: string }[] = [];
    if ((resource === undefined) === (nonResource === undefined)) {
      causes.push({
        reason: "FieldValueInvalid",
        message: 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
        field: "spec.resourceAttributes",
      });
    }
    if (user === "" && groups.length === 0)
      causes.push({ reason: "FieldValueInvalid", message: 'Invalid value: "": at least one of user or group must be specified', field: "spec.user" });
    if (causes.length > 0) throw new ApiError(invalid("SubjectAccessReview", "", causes));
    this.accessReviews++;
    const grant = this.grants.find(
      (g) => subjectMatches(g, user, groups) && (resource !== undefined ? resourceMatches(g.rule, resource) : nonResourceMatches(g.rule, nonResource!)),
    );
    const status: Plain =
      grant === undefined
        ? { allowed: false }
        : {
            allowed: true,
            reason: `RBAC: allowed by ClusterRoleBinding "${grant.binding}" of ClusterRole "${grant.binding}" to ${"user" in grant.subject ? `User "${grant.subject.user}"` : `Group "${grant.subject.group}"`}`,
          };
    return reviewObject("SubjectAccessReview", "authorization.k8s.io/v1", input, status);
  }
}

function subjectMatches(g: Grant, user: string, groups: string[]): boolean {
  return "user" in g.subject ? g.subject.user === user : groups.includes(g.subject.group);
}

const any = (list: string[] | undefined, value: string) => list !== undefined && (list.includes("*") || list.includes(value));

function resourceMatches(rule: AccessRule, a: Plain): boolean {
  const text = (k: string) => (typeof a[k] === "string" ? (a[k] as string) : "");
  const resource = text("subresource") === "" ? text("resource") : `${text("resource")}/${text("subresource")}`;
  const named = rule.resourceNames === undefined || rule.resourceNames.length === 0 || rule.resourceNames.includes(text("name"));
  return any(rule.verbs, text("verb")) && any(rule.apiGroups, text("group")) && any(rule.resources, resource) && named;
}

function nonResourceMatches(rule: AccessRule, a: Plain): boolean {
  const path = typeof a.path === "string" ? a.path : "";
  const verb = typeof a.verb === "string" ? a.verb : "";
  const urls = rule.nonResourceURLs ?? [];
  return any(rule.verbs, verb) && urls.some((u) => u === "*" || u === path || (u.endsWith("*") && path.startsWith(u.slice(0, -1))));
}
