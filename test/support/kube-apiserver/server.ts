// The stand-in's HTTP(S) server: authentication, RBAC-like denials, injected failures, the core/v1
// requests the agent makes and the aggregator's Secret and ConfigMap, and TokenReview and
// SubjectAccessReview (reviews.ts), answered in the shapes and words of the real API server.

import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { KubeEvent, KubeNode, Pod, Secret, ServiceAccount } from "../../../agent/kube/types.js";
import { mergePatch, strategicMergePatch } from "./patch.js";
import { forward, parseProxyPath, proxyTarget, ServiceEndpoints } from "./proxy.js";
import { type AccessRule, Reviews, type StandInIdentity } from "./reviews.js";
import { parseFieldSelector, parseLabelSelector } from "./selectors.js";
import {
  ApiError,
  type Attributes,
  alreadyExists,
  BODY_TYPES,
  badRequest,
  conflict,
  continueExpired,
  forbidden,
  forCode,
  invalid,
  methodNotAllowed,
  notFound,
  PATCH_TYPES,
  pathNotFound,
  requestEntityTooLarge,
  type Status,
  tooOldResourceVersion,
  unauthorized,
  unsupportedMediaType,
} from "./status.js";
import { type Change, isResource, KINDS, namespaced, type Obj, type Resource, Store, withResourceVersion } from "./store.js";

export interface StandInOptions {
  /** The bearer token every request must carry; default "stand-in-token". */
  token?: string;
  /** PEM file paths; with them the stand-in serves HTTPS. */
  tls?: { cert: string; key: string };
  /** How often a watch that allows bookmarks gets one; default 1000. */
  bookmarkIntervalMs?: number;
  /** Changes kept for watches and paged lists before the oldest are compacted; default 10 000. */
  historyLimit?: number;
}

/** A pod's projected service-account token, as TokenReview describes its user. */
export interface PodToken {
  token: string;
  /** namespace:name of the service account. */
  serviceAccount: string;
  pod: { name: string; uid: string };
  /** The node the pod is bound to; undefined: a cluster before 1.30, whose tokens do not name it. */
  node?: string;
  audiences: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  at: number;
}

export interface KubeStandIn {
  url: string;
  token: string;
  /** Writes a kubeconfig (cluster, user with the token, context with namespace default) under `dir`; returns its path. */
  writeKubeconfig(dir: string, opts?: { caFile?: string; token?: string }): Promise<string>;
  putPod(pod: Pod): Pod;
  updatePod(namespace: string, name: string, mutate: (p: Pod) => void): Pod;
  deletePod(namespace: string, name: string): void;
  putSecret(s: Secret): void;
  putServiceAccount(sa: ServiceAccount): void;
  putNode(n: KubeNode): void;
  putEvent(e: KubeEvent): KubeEvent;
  /** A Service the proxy subresource reaches: port name (or number) → base URL. */
  putService(namespace: string, name: string, ports: Record<string, string>): void;
  /** Deletes every Event, as the server's Event TTL (--event-ttl, 1 h after the last write) does. */
  expireEvents(): void;
  /** From now on, answers this verb on this resource ("nodes/status" for a subresource) with 403, as RBAC does. */
  deny(verb: "get" | "list" | "watch" | "create" | "patch", resource: string, namespace?: string): void;
  /** Forgets history: a watch or paged list resuming from an older resourceVersion gets 410. */
  compact(): void;
  /** Destroys open watch connections, optionally after writing half a JSON line. */
  dropWatches(opts?: { midLine?: boolean }): void;
  /** The next `count` requests get this status with a Status body (429 and 503 also with Retry-After: 1). */
  failNext(count: number, status: number): void;
  events(): KubeEvent[];
  nodeStatusPatches(): { node: string; body: unknown; contentType: string }[];
  requests(): RecordedRequest[];
  resourceVersion(): string;
  openWatches(): number;
  /** Called after an Event is created or patched through the API (for latency measurement). */
  onEventWritten(listener: (e: KubeEvent, kind: "created" | "patched", at: number) => void): void;
  /** TokenReview answers for `token` with this user from now on. */
  addIdentity(token: string, identity: StandInIdentity): void;
  /** Registers a pod-bound service-account token (pod name and uid, and the node when given, in the user's extra). */
  addPodToken(t: PodToken): void;
  /** SubjectAccessReview allows what `rule` names to the user or group from now on. */
  grant(subject: { user: string } | { group: string }, rule: AccessRule): void;
  /** How many TokenReviews and SubjectAccessReviews were answered (for cache tests). */
  reviewCounts(): { tokenReviews: number; accessReviews: number };
  /** A Secret's or ConfigMap's data as stored (Secret values base64), or undefined. */
  objectData(kind: "secrets" | "configmaps", namespace: string, name: string): Record<string, string> | undefined;
  putConfigMap(c: { metadata: { name: string; namespace?: string }; data?: Record<string, string> }): void;
  close(): Promise<void>;
}

/** Who the stand-in says the token belongs to, in 403 messages. */
export const STAND_IN_USER = "system:serviceaccount:pullmedic:pullmedic";
const REVIEW_PATHS: Record<string, { resource: string; group: string }> = {
  "/apis/authentication.k8s.io/v1/tokenreviews": { resource: "tokenreviews", group: "authentication.k8s.io" },
  "/apis/authorization.k8s.io/v1/subjectaccessreviews": { resource: "subjectaccessreviews", group: "authorization.k8s.io" },
};
const DEFAULT_TOKEN = "stand-in-token";
const BODY_LIMIT = 3 * 1024 * 1024;
const REQUEST_LOG_LIMIT = 100_000;

interface Route {
  resource: Resource;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The deprecated /api/v1/watch/... form. */
  watchPath: boolean;
}

type Matcher = (o: Obj) => boolean;

interface Watcher {
  resource: Resource;
  match: Matcher;
  req: IncomingMessage;
  res: ServerResponse;
  timers: NodeJS.Timeout[];
}

const TRUE_WORDS = new Set(["1", "t", "T", "true", "TRUE", "True"]);

function parseRoute(pathname: string): Route | undefined {
  let parts: string[];
  try {
    parts = pathname
      .split("/")
      .filter((p) => p !== "")
      .map(decodeURIComponent);
  } catch {
    return undefined;
  }
  if (parts[0] !== "api" || parts[1] !== "v1") return undefined;
  let rest = parts.slice(2);
  const watchPath = rest[0] === "watch";
  if (watchPath) rest = rest.slice(1);
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  if (resource === undefined || !isResource(resource) || extra.length > 0) return undefined;
  if (!namespaced(resource) && namespace !== undefined) return undefined;
  if (namespaced(resource) && namespace === undefined && name !== undefined) return undefined;
  if (subresource !== undefined && (subresource !== "status" || (resource !== "pods" && resource !== "nodes"))) return undefined;
  if (watchPath && subresource !== undefined) return undefined;
  const route: Route = { resource, watchPath };
  if (namespace !== undefined) route.namespace = namespace;
  if (name !== undefined) route.name = name;
  if (subresource !== undefined) route.subresource = subresource;
  return route;
}

function verbOf(method: string, route: Route | undefined, query: Record<string, string>): string {
  switch (method) {
    case "GET":
      if (route?.watchPath || TRUE_WORDS.has(query.watch ?? "")) return "watch";
      return route?.name !== undefined ? "get" : "list";
    case "POST":
      return "create";
    case "PATCH":
      return "patch";
    case "PUT":
      return "update";
    case "DELETE":
      return route?.name !== undefined ? "delete" : "deletecollection";
    default:
      return method.toLowerCase();
  }
}

function mediaType(header: string | undefined): string | undefined {
  const type = header?.split(";")[0]?.trim().toLowerCase();
  return type === "" ? undefined : type;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The object as the API serves it on its own: kind and apiVersion first. */
function withKind(resource: Resource, obj: Obj): Obj {
  return { kind: KINDS[resource], apiVersion: "v1", ...obj };
}

/** Items of a list carry no kind or apiVersion, like the real server's. */
function asItem(obj: Obj): Obj {
  const { kind: _k, apiVersion: _a, ...rest } = obj;
  return rest as Obj;
}

function bookmarkObject(resource: Resource, rv: number, initialEventsEnd: boolean): Record<string, unknown> {
  const metadata: Record<string, unknown> = { resourceVersion: String(rv), creationTimestamp: null };
  if (initialEventsEnd) metadata.annotations = { "k8s.io/initial-events-end": "true" };
  const head = { kind: KINDS[resource], apiVersion: "v1", metadata };
  switch (resource) {
    case "pods":
      return { ...head, spec: { containers: null }, status: {} };
    case "events":
      return {
        ...head,
        involvedObject: {},
        source: {},
        firstTimestamp: null,
        lastTimestamp: null,
        eventTime: null,
        reportingComponent: "",
        reportingInstance: "",
      };
    case "nodes":
      return { ...head, spec: {}, status: { daemonEndpoints: { kubeletEndpoint: { Port: 0 } }, nodeInfo: {} } };
    default:
      return head;
  }
}

/** The fields core/v1 Event always serialises, filled as the server fills them. */
function normalizeEvent(e: Record<string, unknown>): Record<string, unknown> {
  const out = { ...e };
  out.involvedObject ??= {};
  out.source ??= {};
  out.firstTimestamp ??= null;
  out.lastTimestamp ??= null;
  out.eventTime ??= null;
  out.reportingComponent ??= "";
  out.reportingInstance ??= "";
  return out;
}

/** JSON with keys sorted, to tell a patch that changed nothing. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv: t.rv, start: t.start })).toString("base64");
}

function decodeContinue(token: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64").toString("utf8"));
  } catch {
    throw new ApiError(badRequest("continue key is not valid: the token is not base64-encoded JSON"));
  }
  if (!isObject(parsed) || parsed.v !== "meta.k8s.io/v1")
    throw new ApiError(badRequest("continue key is not valid: server does not recognize this encoded version"));
  if (typeof parsed.rv !== "number" || typeof parsed.start !== "string" || parsed.rv === 0) {
    throw new ApiError(badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"));
  }
  return { rv: parsed.rv, start: parsed.start };
}

function parseResourceVersion(value: string): number {
  if (!/^\d+$/.test(value)) throw new ApiError(badRequest(`invalid resource version: strconv.ParseUint: parsing ${JSON.stringify(value)}: invalid syntax`));
  return Number(value);
}

function summarize(body: string): string {
  return body.length > 30 ? `${body.slice(0, 30)} ...` : body;
}

export async function startKubeStandIn(opts: StandInOptions = {}): Promise<KubeStandIn> {
  const token = opts.token ?? DEFAULT_TOKEN;
  const bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 1000;
  const store = new Store(opts.historyLimit ?? 10_000);
  const watchers = new Set<Watcher>();
  const denials: { verb: string; resource: string; namespace?: string }[] = [];
  const failures = { remaining: 0, status: 0 };
  const requestLog: RecordedRequest[] = [];
  const patches: { node: string; body: unknown; contentType: string }[] = [];
  const eventListeners: ((e: KubeEvent, kind: "created" | "patched", at: number) => void)[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();
  const reviews = new Reviews((namespace, name) => store.get("pods", namespace, name)?.metadata.uid);
  reviews.identities.set(token, { username: STAND_IN_USER, groups: ["system:serviceaccounts", "system:serviceaccounts:pullmedic"] });
  // system:public-info-viewer, as every cluster's default RBAC has it.
  for (const group of ["system:authenticated", "system:unauthenticated"]) {
    reviews.grants.push({
      subject: { group },
      rule: { verbs: ["get"], nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"] },
      binding: "system:public-info-viewer",
    });
  }
  const serviceEndpoints = new ServiceEndpoints();

  store.onChange((change) => {
    for (const w of watchers) deliver(w, change);
  });

  function writeLine(w: Watcher, type: string, object: unknown): void {
    w.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  function deliver(w: Watcher, change: Change): void {
    if (change.resource !== w.resource) return;
    const now = change.type !== "DELETED" && w.match(change.object);
    const before = change.prev !== undefined && w.match(change.prev);
    if (now && !before) writeLine(w, "ADDED", withKind(w.resource, change.object));
    else if (now && before) writeLine(w, "MODIFIED", withKind(w.resource, change.object));
    // Deleted, or no longer selected: the previous object, at the resourceVersion of the change.
    else if (!now && before) writeLine(w, "DELETED", withKind(w.resource, withResourceVersion(change.prev!, change.rv)));
  }

  function stopWatch(w: Watcher): boolean {
    if (!watchers.delete(w)) return false;
    for (const t of w.timers) clearTimeout(t);
    return true;
  }

  function notifyEvent(e: Obj, kind: "created" | "patched"): void {
    const at = Date.now();
    for (const listener of eventListeners) listener(structuredClone(e) as unknown as KubeEvent, kind, at);
  }

  function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = `${JSON.stringify(body)}\n`;
    res.writeHead(code, {
      "Audit-Id": randomUUID(),
      "Cache-Control": "no-cache, private",
      "Content-Type": "application/json",
      "Content-Length": String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  }

  function sendStatus(res: ServerResponse, error: ApiError): void {
    send(res, error.status.code, error.status, error.headers);
  }

  function matcherFor(route: Route, query: Record<string, string>): Matcher {
    const fields = parseFieldSelector(route.resource, query.fieldSelector);
    const labels = parseLabelSelector(query.labelSelector);
    return (o) =>
      (route.namespace === undefined || o.metadata.namespace === route.namespace) &&
      (route.name === undefined || o.metadata.name === route.name) &&
      fields(o) &&
      labels(o);
  }

  function list(res: ServerResponse, route: Route, query: Record<string, string>): void {
    const match = matcherFor(route, query);
    const selective = (query.fieldSelector ?? "") !== "" || (query.labelSelector ?? "") !== "";
    let limit = 0;
    if (query.limit !== undefined && query.limit !== "") {
      if (!/^-?\d+$/.test(query.limit)) throw new ApiError(badRequest(`limit: Invalid value: ${JSON.stringify(query.limit)}: must be an integer`));
      limit = Math.max(0, Number(query.limit));
    }
    let rv = store.resourceVersion();
    let start = "";
    const cont = query.continue ?? "";
    if (cont !== "") {
      if ((query.resourceVersion ?? "") !== "") throw new ApiError(badRequest("specifying resource version is not allowed when using continue"));
      const token = decodeContinue(cont);
      start = token.start;
      // -1: the token an expired continue hands out, to list the rest as it is now.
      if (token.rv !== -1) {
        if (token.rv < store.oldest()) throw new ApiError(continueExpired(encodeContinue({ rv: -1, start })));
        rv = token.rv;
      }
    } else if (query.resourceVersionMatch === "Exact") {
      if ((query.resourceVersion ?? "") === "")
        throw new ApiError(badRequest("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"));
      rv = parseResourceVersion(query.resourceVersion!);
      if (rv > store.resourceVersion()) throw new ApiError(badRequest(`Too large resource version: ${rv}, current: ${store.resourceVersion()}`));
      if (rv < store.oldest()) throw new ApiError(tooOldResourceVersion(rv, store.oldest()));
    } else if ((query.resourceVersion ?? "") !== "") {
      parseResourceVersion(query.resourceVersion!);
    }
    const rows = (store.snapshot(route.resource, rv) ?? []).filter(
      (r) => r.key >= start && (route.namespace === undefined || r.object.metadata.namespace === route.namespace),
    );
    const items: Obj[] = [];
    let last = "";
    let scanned = 0;
    for (const row of rows) {
      if (limit > 0 && items.length === limit) break;
      scanned++;
      last = row.key;
      if (match(row.object)) items.push(asItem(row.object));
    }
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (scanned < rows.length) {
      metadata.continue = encodeContinue({ rv, start: `${last}\u0000` });
      if (!selective) metadata.remainingItemCount = rows.length - scanned;
    }
    send(res, 200, { kind: `${KINDS[route.resource]}List`, apiVersion: "v1", metadata, items });
  }

  function watch(req: IncomingMessage, res: ServerResponse, route: Route, query: Record<string, string>): void {
    const match = matcherFor(route, query);
    const rvParam = query.resourceVersion ?? "";
    let replay: Change[] | undefined;
    let expired: Status | undefined;
    if (rvParam !== "" && rvParam !== "0") {
      const from = parseResourceVersion(rvParam);
      replay = store.changesSince(route.resource, from);
      if (replay === undefined) expired = tooOldResourceVersion(from, store.oldest());
    }
    let timeoutMs = 0;
    if (query.timeoutSeconds !== undefined && query.timeoutSeconds !== "") {
      if (!/^\d+$/.test(query.timeoutSeconds)) throw new ApiError(badRequest(`timeoutSeconds: Invalid value: ${JSON.stringify(query.timeoutSeconds)}`));
      timeoutMs = Number(query.timeoutSeconds) * 1000;
    }
    const bookmarks = TRUE_WORDS.has(query.allowWatchBookmarks ?? "");
    res.writeHead(200, { "Audit-Id": randomUUID(), "Cache-Control": "no-cache, private", "Content-Type": "application/json" });
    res.flushHeaders();
    if (expired !== undefined) {
      res.end(`${JSON.stringify({ type: "ERROR", object: expired })}\n`);
      return;
    }
    const w: Watcher = { resource: route.resource, match, req, res, timers: [] };
    watchers.add(w);
    res.on("close", () => stopWatch(w));
    if (replay === undefined) {
      // No resourceVersion, or 0: the current state first, as synthetic ADDED events.
      const current = store.snapshot(route.resource, store.resourceVersion()) ?? [];
      for (const { object } of current) if (match(object)) writeLine(w, "ADDED", withKind(route.resource, object));
      if (bookmarks && TRUE_WORDS.has(query.sendInitialEvents ?? "")) writeLine(w, "BOOKMARK", bookmarkObject(route.resource, store.resourceVersion(), true));
    } else {
      for (const change of replay) deliver(w, change);
    }
    if (bookmarks) {
      const t = setInterval(() => writeLine(w, "BOOKMARK", bookmarkObject(route.resource, store.resourceVersion(), false)), bookmarkIntervalMs);
      t.unref();
      w.timers.push(t);
    }
    if (timeoutMs > 0) {
      const t = setTimeout(() => {
        if (stopWatch(w)) res.end();
      }, timeoutMs);
      t.unref();
      w.timers.push(t);
    }
  }

  function parseBody(body: Buffer, contentType: string | undefined): unknown {
    const type = mediaType(contentType) ?? "application/json";
    const text = body.toString("utf8");
    try {
      if (type === "application/json") return JSON.parse(text);
      if (type === "application/yaml") return parseYaml(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ApiError(
        badRequest(`the object provided is unrecognized (must be of type Event): couldn't get version/kind; json parse error: ${reason} (${summarize(text)})`),
      );
    }
    throw new ApiError(unsupportedMediaType(BODY_TYPES));
  }

  function createEvent(res: ServerResponse, route: Route, body: Buffer, contentType: string | undefined): void {
    const namespace = route.namespace!;
    const input = parseBody(body, contentType);
    if (!isObject(input))
      throw new ApiError(badRequest("the object provided is unrecognized (must be of type Event): couldn't get version/kind; json parse error: not an object"));
    const metadata = isObject(input.metadata) ? { ...input.metadata } : {};
    if (typeof metadata.namespace === "string" && metadata.namespace !== "" && metadata.namespace !== namespace) {
      throw new ApiError(badRequest("the namespace of the provided object does not match the namespace sent on the request"));
    }
    let name = typeof metadata.name === "string" ? metadata.name : "";
    if (name === "" && typeof metadata.generateName === "string" && metadata.generateName !== "") {
      const alphabet = "bcdfghjklmnpqrstvwxz2456789";
      name = metadata.generateName + [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join("");
    }
    if (name === "") {
      throw new ApiError(
        invalid("Event", "", [{ reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name" }]),
      );
    }
    // The API server's legacy Event validation (core/v1 accepts Events of both styles).
    const involved = isObject(input.involvedObject) ? input.involvedObject : {};
    const involvedNs = typeof involved.namespace === "string" ? involved.namespace : "";
    const causes: { reason: string; message: string; field: string }[] = [];
    const mismatch = {
      reason: "FieldValueInvalid",
      message: `Invalid value: ${JSON.stringify(involvedNs)}: does not match event.namespace`,
      field: "involvedObject.namespace",
    };
    const filled = (v: unknown) => typeof v === "string" && v !== "";
    if (!filled(input.eventTime)) {
      // An old-style Event: the involved object's namespace is the Event's (empty only in default).
      if (involvedNs === "" ? namespace !== "default" : involvedNs !== namespace) causes.push(mismatch);
    } else {
      if (involvedNs === "" && namespace !== "default" && namespace !== "kube-system") causes.push(mismatch);
      if (!filled(input.reportingComponent)) causes.push({ reason: "FieldValueRequired", message: "Required value", field: "reportingComponent" });
      if (!filled(input.reportingInstance)) causes.push({ reason: "FieldValueRequired", message: "Required value", field: "reportingInstance" });
      if (typeof input.message === "string" && input.message.length > 1024)
        causes.push({ reason: "FieldValueInvalid", message: 'Invalid value: "": can have at most 1024 characters', field: "message" });
    }
    if (causes.length > 0) throw new ApiError(invalid("Event", name, causes));
    if (store.get("events", namespace, name) !== undefined) throw new ApiError(alreadyExists("events", name));
    // The server assigns uid, resourceVersion and creationTimestamp itself.
    delete metadata.uid;
    delete metadata.resourceVersion;
    delete metadata.creationTimestamp;
    const stored = store.put("events", normalizeEvent({ ...input, metadata: { ...metadata, name, namespace } }) as Obj);
    send(res, 201, withKind("events", stored));
    notifyEvent(withKind("events", stored), "created");
  }

  /** A Secret or ConfigMap: named, in the request's namespace, a name not yet taken; a Secret's values base64. */
  function createDataObject(res: ServerResponse, route: Route, body: Buffer, contentType: string | undefined): void {
    const namespace = route.namespace!;
    const kind = KINDS[route.resource];
    const input = parseBody(body, contentType);
    if (!isObject(input)) throw new ApiError(badRequest(`the object provided is unrecognized (must be of type ${kind}): not an object`));
    const metadata = isObject(input.metadata) ? { ...input.metadata } : {};
    if (typeof metadata.namespace === "string" && metadata.namespace !== "" && metadata.namespace !== namespace) {
      throw new ApiError(badRequest("the namespace of the provided object does not match the namespace sent on the request"));
    }
    const name = typeof metadata.name === "string" ? metadata.name : "";
    if (name === "")
      throw new ApiError(
        invalid(kind, "", [{ reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name" }]),
      );
    const data = isObject(input.data) ? input.data : {};
    if (route.resource === "secrets") {
      const bad = Object.entries(data).find(([, v]) => typeof v !== "string" || Buffer.from(v, "base64").toString("base64") !== v);
      if (bad) throw new ApiError(badRequest(`illegal base64 data at input byte 0 in data[${JSON.stringify(bad[0])}]`));
    }
    if (store.get(route.resource, namespace, name) !== undefined) throw new ApiError(alreadyExists(route.resource, name));
    delete metadata.uid;
    delete metadata.resourceVersion;
    delete metadata.creationTimestamp;
    const stored = store.put(route.resource, { ...input, metadata: { ...metadata, name, namespace } } as Obj);
    send(res, 201, withKind(route.resource, stored));
  }

  function patch(res: ServerResponse, route: Route, body: Buffer, contentType: string | undefined): void {
    const type = mediaType(contentType);
    if (type !== "application/merge-patch+json" && type !== "application/strategic-merge-patch+json") throw new ApiError(unsupportedMediaType(PATCH_TYPES));
    const name = route.name!;
    const existing = store.get(route.resource, route.namespace, name);
    if (existing === undefined) throw new ApiError(notFound(route.resource, name));
    let doc: unknown;
    try {
      doc = JSON.parse(body.toString("utf8"));
    } catch (error) {
      throw new ApiError(badRequest(type === "application/merge-patch+json" ? "Invalid JSON Patch" : error instanceof Error ? error.message : String(error)));
    }
    if (!isObject(doc)) {
      throw new ApiError(
        badRequest(
          type === "application/merge-patch+json" ? "Invalid JSON Patch" : "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
      );
    }
    const wanted = isObject(doc.metadata) ? doc.metadata.resourceVersion : undefined;
    if (typeof wanted === "string" && wanted !== "" && wanted !== existing.metadata.resourceVersion) throw new ApiError(conflict(route.resource, name));
    const apply = type === "application/merge-patch+json" ? mergePatch : strategicMergePatch;
    const patched = apply(withKind(route.resource, existing), doc);
    if (!isObject(patched)) throw new ApiError(badRequest("Invalid JSON Patch"));
    // Identity and system fields stay the server's; the status subresource changes only status.
    const metadata = { ...(isObject(patched.metadata) ? patched.metadata : {}) };
    for (const field of ["name", "namespace", "uid", "creationTimestamp", "resourceVersion"] as const) {
      if (existing.metadata[field] === undefined) delete metadata[field];
      else metadata[field] = existing.metadata[field];
    }
    let next: Record<string, unknown> = { ...patched, metadata };
    if (route.subresource === "status") {
      next = { ...withKind(route.resource, existing), status: patched.status };
    }
    if (route.resource === "events") next = normalizeEvent(next);
    if (route.resource === "nodes" && route.subresource === "status") patches.push({ node: name, body: structuredClone(doc), contentType: contentType ?? "" });
    // A patch that changes nothing writes nothing: the resourceVersion stays.
    const stored = canonical(next) === canonical(withKind(route.resource, existing)) ? existing : store.put(route.resource, next as Obj);
    send(res, 200, withKind(route.resource, stored));
    if (route.resource === "events") notifyEvent(withKind("events", stored), "patched");
  }

  function readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= BODY_LIMIT) chunks.push(chunk);
      });
      req.on("end", () => (size > BODY_LIMIT ? reject(new ApiError(requestEntityTooLarge(BODY_LIMIT))) : resolve(Buffer.concat(chunks))));
      req.on("error", reject);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://stand-in");
    const query = Object.fromEntries(url.searchParams);
    const contentType = req.headers["content-type"];
    const entry: RecordedRequest = { method, path: url.pathname, query, at: Date.now() };
    if (contentType !== undefined) entry.contentType = contentType;
    requestLog.push(entry);
    if (requestLog.length > REQUEST_LOG_LIMIT) requestLog.splice(0, requestLog.length - REQUEST_LOG_LIMIT);
    try {
      const body = await readBody(req);
      const route = parseRoute(url.pathname);
      const verb = verbOf(method, route, query);
      const attrs: Attributes = { user: STAND_IN_USER, verb, resource: route?.resource ?? url.pathname.split("/").filter(Boolean).at(-1) ?? "" };
      if (route?.subresource !== undefined) attrs.subresource = route.subresource;
      if (route?.namespace !== undefined) attrs.namespace = route.namespace;
      if (route?.name !== undefined) attrs.name = route.name;

      if (failures.remaining > 0) {
        failures.remaining--;
        const code = failures.status;
        throw new ApiError(forCode(code, attrs), code === 429 || code === 503 ? { "Retry-After": "1" } : {});
      }
      const auth = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
      if (auth === null || auth[1] !== token) throw new ApiError(unauthorized());

      const review = REVIEW_PATHS[url.pathname];
      if (review !== undefined) {
        const reviewAttrs: Attributes = { ...attrs, group: review.group, resource: review.resource };
        if (denials.some((d) => d.verb === verb && d.resource === review.resource)) throw new ApiError(forbidden(reviewAttrs));
        if (method !== "POST") throw new ApiError(methodNotAllowed());
        const input = parseBody(body, contentType);
        send(res, 201, review.resource === "tokenreviews" ? reviews.tokenReview(input) : reviews.accessReview(input));
        return;
      }
      const proxied = parseProxyPath(url.pathname);
      if (proxied !== undefined) {
        const proxyVerb = method === "GET" ? "get" : method === "POST" ? "create" : method.toLowerCase();
        const resource = `${proxied.resource}/proxy`;
        if (denials.some((d) => d.verb === proxyVerb && d.resource === resource && (d.namespace === undefined || d.namespace === proxied.namespace))) {
          throw new ApiError(
            forbidden({
              user: STAND_IN_USER,
              verb: proxyVerb,
              resource: proxied.resource,
              subresource: "proxy",
              namespace: proxied.namespace,
              name: proxied.name,
            }),
          );
        }
        const pod =
          proxied.resource === "pods" ? (store.get("pods", proxied.namespace, proxied.name) as { status?: { podIP?: string } } | undefined) : undefined;
        const target = proxyTarget(proxied, pod, serviceEndpoints);
        if ("notFound" in target && target.notFound) throw new ApiError(notFound(target.notFound as "pods", proxied.name));
        if ("url" in target) return await forward(req, res, target.url, proxied, url.search, body);
        throw new ApiError({
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: target.unreachable ?? "no endpoint",
          reason: "ServiceUnavailable",
          code: 503,
        });
      }
      if (route === undefined) {
        if (method === "GET" && ["/healthz", "/livez", "/readyz"].includes(url.pathname)) {
          res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" });
          res.end("ok");
          return;
        }
        if (method === "GET" && url.pathname === "/version") {
          send(res, 200, {
            major: "1",
            minor: "31",
            gitVersion: "v1.31.4",
            gitTreeState: "clean",
            goVersion: "go1.22.10",
            compiler: "gc",
            platform: "linux/amd64",
          });
          return;
        }
        throw new ApiError(pathNotFound());
      }
      const full = route.subresource ? `${route.resource}/${route.subresource}` : route.resource;
      if (denials.some((d) => d.verb === verb && d.resource === full && (d.namespace === undefined || d.namespace === route.namespace))) {
        throw new ApiError(forbidden(attrs));
      }

      switch (verb) {
        case "get": {
          const obj = store.get(route.resource, route.namespace, route.name!);
          if (obj === undefined) throw new ApiError(notFound(route.resource, route.name!));
          send(res, 200, withKind(route.resource, obj));
          return;
        }
        case "list":
          list(res, route, query);
          return;
        case "watch":
          watch(req, res, route, query);
          return;
        case "create":
          if (route.name !== undefined || route.namespace === undefined) throw new ApiError(methodNotAllowed());
          if (route.resource === "events") createEvent(res, route, body, contentType);
          else if (route.resource === "secrets" || route.resource === "configmaps") createDataObject(res, route, body, contentType);
          else throw new ApiError(methodNotAllowed());
          return;
        case "patch":
          if (
            !(
              (["events", "secrets", "configmaps"].includes(route.resource) && route.subresource === undefined) ||
              (route.resource === "nodes" && route.subresource === "status")
            )
          ) {
            throw new ApiError(methodNotAllowed());
          }
          patch(res, route, body, contentType);
          return;
        default:
          throw new ApiError(methodNotAllowed());
      }
    } catch (error) {
      const failure =
        error instanceof ApiError
          ? error
          : new ApiError({
              kind: "Status",
              apiVersion: "v1",
              metadata: {},
              status: "Failure",
              message: `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`,
              reason: "InternalError",
              code: 500,
            });
      if (!res.headersSent) sendStatus(res, failure);
      else res.destroy();
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  let server: Server;
  let scheme: string;
  if (opts.tls) {
    const [cert, key] = await Promise.all([readFile(opts.tls.cert), readFile(opts.tls.key)]);
    server = createHttpsServer({ cert, key }, listener);
    scheme = "https";
  } else {
    server = createHttpServer(listener);
    scheme = "http";
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address !== null && typeof address === "object") resolve(address.port);
      else reject(new Error("stand-in: no TCP address"));
    });
  });
  const url = `${scheme}://127.0.0.1:${port}`;

  function podOut(obj: Obj): Pod {
    return structuredClone(withKind("pods", obj)) as unknown as Pod;
  }

  return {
    url,
    token,

    async writeKubeconfig(dir, kubeconfigOpts = {}) {
      const cluster: Record<string, string> = { server: url };
      if (kubeconfigOpts.caFile !== undefined) cluster["certificate-authority"] = kubeconfigOpts.caFile;
      const doc = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "stand-in", cluster }],
        users: [{ name: "stand-in", user: { token: kubeconfigOpts.token ?? token } }],
        contexts: [{ name: "stand-in", context: { cluster: "stand-in", user: "stand-in", namespace: "default" } }],
        "current-context": "stand-in",
        preferences: {},
      };
      await mkdir(dir, { recursive: true });
      const path = join(dir, "kubeconfig");
      await writeFile(path, stringifyYaml(doc), { mode: 0o600 });
      return path;
    },

    putPod(pod) {
      return podOut(store.put("pods", pod as unknown as Obj));
    },

    updatePod(namespace, name, mutate) {
      const existing = store.get("pods", namespace, name);
      if (existing === undefined) throw new Error(`stand-in: no pod ${namespace}/${name}`);
      const copy = podOut(existing);
      mutate(copy);
      return podOut(store.put("pods", copy as unknown as Obj));
    },

    deletePod(namespace, name) {
      if (store.remove("pods", namespace, name) === undefined) throw new Error(`stand-in: no pod ${namespace}/${name}`);
    },

    putSecret(s) {
      store.put("secrets", { type: "Opaque", ...s } as unknown as Obj);
    },

    putServiceAccount(sa) {
      store.put("serviceaccounts", sa as unknown as Obj);
    },

    putNode(n) {
      store.put("nodes", n as unknown as Obj);
    },

    putEvent(e) {
      return structuredClone(withKind("events", store.put("events", normalizeEvent(e as unknown as Obj) as Obj))) as unknown as KubeEvent;
    },

    putService(namespace, name, ports) {
      serviceEndpoints.put(namespace, name, ports);
    },

    expireEvents() {
      for (const e of store.all("events")) store.remove("events", e.metadata.namespace, e.metadata.name);
    },

    deny(verb, resource, namespace) {
      denials.push(namespace === undefined ? { verb, resource } : { verb, resource, namespace });
    },

    compact() {
      store.compact();
    },

    dropWatches(dropOpts = {}) {
      for (const w of [...watchers]) {
        stopWatch(w);
        const kill = () => w.req.socket.destroy();
        if (dropOpts.midLine) {
          // The front half of an event line, then the connection is gone.
          w.res.write('{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"', kill);
          const t = setTimeout(() => {
            pendingTimers.delete(t);
            kill();
          }, 200);
          t.unref();
          pendingTimers.add(t);
        } else {
          kill();
        }
      }
    },

    failNext(count, status) {
      failures.remaining = count;
      failures.status = status;
    },

    events() {
      return store.all("events").map((e) => structuredClone(withKind("events", e)) as unknown as KubeEvent);
    },

    nodeStatusPatches() {
      return structuredClone(patches);
    },

    requests() {
      return requestLog.map((r) => ({ ...r, query: { ...r.query } }));
    },

    resourceVersion() {
      return String(store.resourceVersion());
    },

    openWatches() {
      return watchers.size;
    },

    onEventWritten(l) {
      eventListeners.push(l);
    },

    addIdentity(t, identity) {
      reviews.identities.set(t, structuredClone(identity));
    },

    addPodToken(t) {
      const [namespace, name] = t.serviceAccount.split(":");
      const extra: Record<string, string[]> = {
        "authentication.kubernetes.io/credential-id": [`JTI=${randomUUID()}`],
        "authentication.kubernetes.io/pod-name": [t.pod.name],
        "authentication.kubernetes.io/pod-uid": [t.pod.uid],
      };
      if (t.node !== undefined) {
        extra["authentication.kubernetes.io/node-name"] = [t.node];
        extra["authentication.kubernetes.io/node-uid"] = [randomUUID()];
      }
      reviews.identities.set(t.token, {
        username: `system:serviceaccount:${namespace}:${name}`,
        uid: randomUUID(),
        groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`],
        extra,
        audiences: [...t.audiences],
      });
    },

    grant(subject, rule) {
      reviews.grants.push({ subject, rule: structuredClone(rule), binding: `stand-in-${reviews.grants.length + 1}` });
    },

    reviewCounts() {
      return { tokenReviews: reviews.tokenReviews, accessReviews: reviews.accessReviews };
    },

    objectData(kind, namespace, name) {
      const obj = store.get(kind, namespace, name);
      return obj === undefined ? undefined : { ...((obj.data as Record<string, string> | undefined) ?? {}) };
    },

    putConfigMap(c) {
      store.put("configmaps", { data: {}, ...c } as unknown as Obj);
    },

    async close() {
      for (const w of [...watchers]) {
        stopWatch(w);
        w.res.end();
      }
      for (const t of pendingTimers) clearTimeout(t);
      pendingTimers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
