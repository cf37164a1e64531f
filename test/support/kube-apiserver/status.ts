// Status bodies in the shape and wording the API server uses for its failures.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: { continue?: string };
  status: "Failure";
  message: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** A failure answered with `code` and this Status body; `headers` go along (Retry-After). */
export class ApiError extends Error {
  constructor(
    readonly status: Status,
    readonly headers: Record<string, string> = {},
  ) {
    super(status.message);
  }
}

function status(code: number, reason: string | undefined, message: string, details?: StatusDetails): Status {
  // Fields in the order the server writes them.
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    ...(reason === undefined ? {} : { reason }),
    ...(details === undefined ? {} : { details }),
    code,
  };
}

function nameDetails(resource: string, name: string | undefined): StatusDetails {
  return name === undefined || name === "" ? { kind: resource } : { name, kind: resource };
}

export function unauthorized(): Status {
  return status(401, "Unauthorized", "Unauthorized");
}

export interface Attributes {
  user: string;
  verb: string;
  /** The API group; "" (the default) is core. */
  group?: string;
  /** Resource without the subresource ("nodes"). */
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** What RBAC answers when no rule allows the request. */
export function forbidden(a: Attributes): Status {
  const full = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : "at the cluster scope";
  const reason = `User "${a.user}" cannot ${a.verb} resource "${full}" in API group "${a.group ?? ""}" ${scope}`;
  const subject = a.name ? `${a.resource} "${a.name}"` : a.resource;
  return status(403, "Forbidden", `${subject} is forbidden: ${reason}`, nameDetails(a.resource, a.name));
}

export function notFound(resource: string, name: string): Status {
  return status(404, "NotFound", `${resource} "${name}" not found`, { name, kind: resource });
}

/** A path the server has no handler for. */
export function pathNotFound(): Status {
  return status(404, "NotFound", "the server could not find the requested resource", {});
}

export function alreadyExists(resource: string, name: string): Status {
  return status(409, "AlreadyExists", `${resource} "${name}" already exists`, { name, kind: resource });
}

export function conflict(resource: string, name: string): Status {
  return status(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, kind: resource },
  );
}

/** A watch or exact list from a resourceVersion older than the oldest the server still has. */
export function tooOldResourceVersion(requested: number, oldest: number): Status {
  return status(410, "Expired", `too old resource version: ${requested} (${oldest})`);
}

const CONTINUE_EXPIRED =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.";
const CONTINUE_INCONSISTENT =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, " +
  "or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an " +
  "inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/** A continue token from before the history it needs was compacted; `inconsistentToken` lists on from now. */
export function continueExpired(inconsistentToken?: string): Status {
  const s = status(410, "Expired", inconsistentToken === undefined ? CONTINUE_EXPIRED : CONTINUE_INCONSISTENT);
  if (inconsistentToken !== undefined) s.metadata = { continue: inconsistentToken };
  return s;
}

export function badRequest(message: string): Status {
  return status(400, "BadRequest", message);
}

export function invalid(kind: string, name: string, causes: Required<Pick<StatusCause, "reason" | "message" | "field">>[]): Status {
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = list.length === 1 ? list[0]! : `[${list.join(", ")}]`;
  return status(422, "Invalid", `${kind} "${name}" is invalid: ${summary}`, { name, kind, causes });
}

export const PATCH_TYPES = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml",
] as const;
export const BODY_TYPES = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"] as const;

export function unsupportedMediaType(accepted: readonly string[]): Status {
  return status(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`);
}

export function methodNotAllowed(): Status {
  return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
}

export function requestEntityTooLarge(limit: number): Status {
  return status(413, "RequestEntityTooLarge", `Request entity too large: limit is ${limit}`);
}

/** The body `failNext` answers with: what the server says for that code when nothing more is known. */
export function forCode(code: number, a: Attributes): Status {
  switch (code) {
    case 400:
      return badRequest("the server rejected our request for an unknown reason");
    case 401:
      return unauthorized();
    case 403:
      return forbidden(a);
    case 404:
      return a.name ? notFound(a.resource, a.name) : pathNotFound();
    case 405:
      return methodNotAllowed();
    case 409:
      return a.name ? conflict(a.resource, a.name) : status(409, "Conflict", "the server reported a conflict");
    case 410:
      return status(410, "Expired", "The resourceVersion for the provided watch is too old.");
    case 429:
      return status(429, "TooManyRequests", "Too many requests, please try again later.", { retryAfterSeconds: 1 });
    case 500:
      return status(500, "InternalError", 'Internal error occurred: an error on the server ("unknown") has prevented the request from succeeding', {
        causes: [{ message: 'an error on the server ("unknown") has prevented the request from succeeding' }],
      });
    case 503:
      return status(503, "ServiceUnavailable", "the server is currently unable to handle the request", { retryAfterSeconds: 1 });
    case 504:
      return status(504, "Timeout", "the server was unable to return a response in the time allotted, but may still be processing the request", {
        retryAfterSeconds: 1,
      });
    default:
      return status(code, undefined, `the server responded with the status code ${code} but did not return more information`);
  }
}
