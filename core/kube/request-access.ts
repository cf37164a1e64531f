/**
 * One request's bearer token checked the way kube-rbac-proxy checks it (docs/facts/kubernetes-auth.md,
 * "Checking HTTP callers"): TokenReview says who it is (401 if nobody), SubjectAccessReview whether
 * they may do what they ask (403 if not). What the caller is told never repeats the token.
 */

import { describeAttributes, type KubeAccess } from "./access.js";
import type { AccessAttributes } from "./reviews.js";

/** The API group of pullmedic's own resources in RBAC rules: `nodereports`, `prepulls`. */
export const PULLMEDIC_API_GROUP = "pullmedic.dev";

export type RequestVerdict = { ok: true; user: string } | { ok: false; status: 401 | 403 | 503; problem: string };

/** The token of an `authorization: Bearer <token>` value; the problem never repeats what was sent. */
export function bearerToken(value: string | undefined): { ok: true; token: string } | { ok: false; problem: string } {
  if (value === undefined || value.trim() === "") return { ok: false, problem: "missing credentials: send `authorization: Bearer <token>`" };
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  if (!m || m[1] === undefined) return { ok: false, problem: "the authorization is not a bearer token: send `authorization: Bearer <token>`" };
  return { ok: true, token: m[1] };
}

export async function checkBearer(access: KubeAccess, authorization: string | undefined, attributes: AccessAttributes): Promise<RequestVerdict> {
  const bearer = bearerToken(authorization);
  if (!bearer.ok) {
    return {
      ok: false,
      status: 401,
      problem: `${bearer.problem} with your Kubernetes token (kubectl create token <service account>), to ${describeAttributes(attributes)}`,
    };
  }
  const who = await access.authenticate(bearer.token);
  if (!who.ok) return { ok: false, status: who.retry ? 503 : 401, problem: who.problem };
  const may = await access.authorize(who.user, attributes);
  if (!may.allowed) return { ok: false, status: may.retry ? 503 : 403, problem: may.problem };
  return { ok: true, user: who.user.username };
}
