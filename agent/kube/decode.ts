/**
 * Turns what the API server sent into the typed slices of types.ts. Nothing is trusted: a field of
 * the wrong shape is either dropped (optional fields) or a DecodeError naming it (fields the
 * agent cannot work without). Every decoder copies what it keeps into a fresh object, so a pod in
 * memory holds a few hundred bytes of what matters, not its managedFields, env and volumes.
 */

import type {
  ContainerSpec,
  ContainerState,
  ContainerStatus,
  KubeEvent,
  KubeNode,
  LocalObjectReference,
  NodeCondition,
  ObjectMeta,
  ObjectReference,
  OwnerReference,
  Pod,
  PodSpec,
  PodStatus,
  PullPolicy,
  Secret,
  ServiceAccount,
} from "./types.js";

/** An API response (or one item of it) that is not what it should be; `field` is the path to the culprit. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(field === "" ? problem : `${field}: ${problem}`);
  }
}

type Plain = Record<string, unknown>;

export function isPlain(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value.length > 40 ? "a string" : `the string ${JSON.stringify(value)}`;
  return `a ${typeof value}`;
}

function join(at: string, key: string): string {
  return at === "" ? key : `${at}.${key}`;
}

function record(parent: Plain, key: string, at: string): Plain {
  const value = parent[key];
  if (!isPlain(value)) throw new DecodeError(join(at, key), value === undefined ? "missing" : `expected an object, got ${describe(value)}`);
  return value;
}

function requiredString(parent: Plain, key: string, at: string): string {
  const value = parent[key];
  if (typeof value !== "string" || value === "") {
    throw new DecodeError(join(at, key), value === undefined ? "missing" : value === "" ? "empty" : `expected a string, got ${describe(value)}`);
  }
  return value;
}

function optString(parent: Plain, key: string): string | undefined {
  const value = parent[key];
  return typeof value === "string" ? value : undefined;
}

function optNumber(parent: Plain, key: string): number | undefined {
  const value = parent[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function optBoolean(parent: Plain, key: string): boolean | undefined {
  const value = parent[key];
  return typeof value === "boolean" ? value : undefined;
}

/** Sets `target[key]` only when the value is defined, so decoded objects carry no `key: undefined`. */
function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

// kubectl apply keeps a whole copy of the object here; it can be most of a pod's size.
const DROPPED_ANNOTATIONS = new Set(["kubectl.kubernetes.io/last-applied-configuration"]);

function stringMap(value: unknown, drop?: Set<string>): Record<string, string> | undefined {
  if (!isPlain(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "string" && drop?.has(k) !== true) out[k] = v;
  }
  return out;
}

function decodeMeta(parent: Plain, at: string): ObjectMeta {
  const raw = record(parent, "metadata", at);
  const where = join(at, "metadata");
  const meta: ObjectMeta = { name: requiredString(raw, "name", where) };
  put(meta, "namespace", optString(raw, "namespace"));
  put(meta, "uid", optString(raw, "uid"));
  put(meta, "resourceVersion", optString(raw, "resourceVersion"));
  put(meta, "creationTimestamp", optString(raw, "creationTimestamp"));
  put(meta, "deletionTimestamp", optString(raw, "deletionTimestamp"));
  put(meta, "labels", stringMap(raw.labels));
  put(meta, "annotations", stringMap(raw.annotations, DROPPED_ANNOTATIONS));
  if (Array.isArray(raw.ownerReferences)) {
    const owners: OwnerReference[] = [];
    for (const o of raw.ownerReferences) {
      if (!isPlain(o) || typeof o.kind !== "string" || typeof o.name !== "string") continue;
      const owner: OwnerReference = { kind: o.kind, name: o.name };
      put(owner, "apiVersion", optString(o, "apiVersion"));
      put(owner, "uid", optString(o, "uid"));
      owners.push(owner);
    }
    meta.ownerReferences = owners;
  }
  return meta;
}

const PULL_POLICIES = new Set<string>(["Always", "IfNotPresent", "Never"]);

function decodeContainers(value: unknown, at: string): ContainerSpec[] {
  if (!Array.isArray(value)) throw new DecodeError(at, value === undefined ? "missing" : `expected an array, got ${describe(value)}`);
  return value.map((c, i) => {
    const where = `${at}[${i}]`;
    if (!isPlain(c)) throw new DecodeError(where, `expected an object, got ${describe(c)}`);
    const container: ContainerSpec = { name: requiredString(c, "name", where) };
    put(container, "image", optString(c, "image"));
    const policy = c.imagePullPolicy;
    if (typeof policy === "string" && PULL_POLICIES.has(policy)) container.imagePullPolicy = policy as PullPolicy;
    return container;
  });
}

function localRefs(value: unknown): LocalObjectReference[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: LocalObjectReference[] = [];
  for (const r of value) {
    if (isPlain(r) && typeof r.name === "string" && r.name !== "") out.push({ name: r.name });
  }
  return out;
}

function decodeSpec(parent: Plain, at: string): PodSpec {
  const raw = record(parent, "spec", at);
  const where = join(at, "spec");
  const spec: PodSpec = { containers: decodeContainers(raw.containers, join(where, "containers")) };
  put(spec, "nodeName", optString(raw, "nodeName"));
  put(spec, "serviceAccountName", optString(raw, "serviceAccountName"));
  put(spec, "imagePullSecrets", localRefs(raw.imagePullSecrets));
  if (raw.initContainers !== undefined && raw.initContainers !== null) {
    spec.initContainers = decodeContainers(raw.initContainers, join(where, "initContainers"));
  }
  if (raw.ephemeralContainers !== undefined && raw.ephemeralContainers !== null) {
    spec.ephemeralContainers = decodeContainers(raw.ephemeralContainers, join(where, "ephemeralContainers"));
  }
  return spec;
}

function decodeState(value: unknown): ContainerState | undefined {
  if (!isPlain(value)) return undefined;
  const state: ContainerState = {};
  if (isPlain(value.waiting)) {
    const w = value.waiting;
    const waiting: NonNullable<ContainerState["waiting"]> = {};
    put(waiting, "reason", optString(w, "reason"));
    put(waiting, "message", optString(w, "message"));
    state.waiting = waiting;
  }
  if (isPlain(value.running)) {
    const running: NonNullable<ContainerState["running"]> = {};
    put(running, "startedAt", optString(value.running, "startedAt"));
    state.running = running;
  }
  if (isPlain(value.terminated)) {
    const t = value.terminated;
    const terminated: NonNullable<ContainerState["terminated"]> = {};
    put(terminated, "exitCode", optNumber(t, "exitCode"));
    put(terminated, "reason", optString(t, "reason"));
    put(terminated, "message", optString(t, "message"));
    put(terminated, "startedAt", optString(t, "startedAt"));
    put(terminated, "finishedAt", optString(t, "finishedAt"));
    state.terminated = terminated;
  }
  return state;
}

function decodeStatuses(value: unknown): ContainerStatus[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: ContainerStatus[] = [];
  for (const s of value) {
    // A status without a name cannot be matched to its container; it tells nothing.
    if (!isPlain(s) || typeof s.name !== "string") continue;
    const status: ContainerStatus = { name: s.name };
    put(status, "image", optString(s, "image"));
    put(status, "imageID", optString(s, "imageID"));
    put(status, "ready", optBoolean(s, "ready"));
    put(status, "started", optBoolean(s, "started"));
    put(status, "restartCount", optNumber(s, "restartCount"));
    put(status, "state", decodeState(s.state));
    out.push(status);
  }
  return out;
}

function decodePodStatus(value: unknown): PodStatus | undefined {
  if (!isPlain(value)) return undefined;
  const status: PodStatus = {};
  put(status, "phase", optString(value, "phase"));
  put(status, "containerStatuses", decodeStatuses(value.containerStatuses));
  put(status, "initContainerStatuses", decodeStatuses(value.initContainerStatuses));
  put(status, "ephemeralContainerStatuses", decodeStatuses(value.ephemeralContainerStatuses));
  return status;
}

function expectKind(raw: Plain, kind: string, at: string): void {
  // The kind is absent on items inside a list and on some watch objects; when present it must match.
  const actual = raw.kind;
  if (actual !== undefined && actual !== kind) throw new DecodeError(join(at, "kind"), `expected ${kind}, got ${describe(actual)}`);
}

function asObject(value: unknown, at: string): Plain {
  if (!isPlain(value)) throw new DecodeError(at, `expected an object, got ${describe(value)}`);
  return value;
}

export function decodePod(value: unknown, at = ""): Pod {
  const raw = asObject(value, at);
  expectKind(raw, "Pod", at);
  const pod: Pod = { metadata: decodeMeta(raw, at), spec: decodeSpec(raw, at) };
  put(pod, "status", decodePodStatus(raw.status));
  return pod;
}

/** A list's items, each decoded on its own: one bad item is reported and skipped, never fatal. */
export interface DecodedList<T> {
  items: T[];
  resourceVersion: string;
  continueToken: string | undefined;
  skipped: DecodeError[];
}

export function decodeList<T>(value: unknown, kind: string, decodeItem: (item: unknown, at: string) => T): DecodedList<T> {
  const raw = asObject(value, "");
  expectKind(raw, kind, "");
  const meta = isPlain(raw.metadata) ? raw.metadata : {};
  const resourceVersion = optString(meta, "resourceVersion") ?? "";
  const next = optString(meta, "continue");
  if (!Array.isArray(raw.items)) throw new DecodeError("items", raw.items === undefined ? "missing" : `expected an array, got ${describe(raw.items)}`);
  const items: T[] = [];
  const skipped: DecodeError[] = [];
  raw.items.forEach((item, i) => {
    try {
      items.push(decodeItem(item, `items[${i}]`));
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      skipped.push(err);
    }
  });
  return { items, resourceVersion, continueToken: next === "" ? undefined : next, skipped };
}

function objectReference(value: unknown): ObjectReference {
  const ref: ObjectReference = {};
  if (!isPlain(value)) return ref;
  for (const key of ["apiVersion", "kind", "namespace", "name", "uid", "resourceVersion", "fieldPath"] as const) {
    put(ref, key, optString(value, key));
  }
  return ref;
}

export function decodeEvent(value: unknown, at = ""): KubeEvent {
  const raw = asObject(value, at);
  expectKind(raw, "Event", at);
  const event: KubeEvent = { metadata: decodeMeta(raw, at), involvedObject: objectReference(record(raw, "involvedObject", at)) };
  for (const key of ["apiVersion", "kind", "reason", "message", "type", "firstTimestamp", "lastTimestamp", "reportingComponent", "reportingInstance", "action"] as const) {
    put(event, key, optString(raw, key));
  }
  put(event, "count", optNumber(raw, "count"));
  if (typeof raw.eventTime === "string" || raw.eventTime === null) event.eventTime = raw.eventTime;
  if (isPlain(raw.source)) {
    const source: NonNullable<KubeEvent["source"]> = {};
    put(source, "component", optString(raw.source, "component"));
    put(source, "host", optString(raw.source, "host"));
    event.source = source;
  }
  return event;
}

function eventTime(e: KubeEvent): number {
  for (const t of [e.lastTimestamp, e.eventTime, e.firstTimestamp, e.metadata.creationTimestamp]) {
    if (typeof t === "string" && t !== "") {
      const ms = Date.parse(t);
      if (Number.isFinite(ms)) return ms;
    }
  }
  return 0;
}

/** Oldest first by lastTimestamp, else eventTime, else firstTimestamp; a stable sort keeps the server's order for ties. */
export function sortEventsOldestFirst(events: KubeEvent[]): KubeEvent[] {
  return events
    .map((event, i) => ({ event, i, t: eventTime(event) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.event);
}

export function decodeSecret(value: unknown): Secret {
  const raw = asObject(value, "");
  expectKind(raw, "Secret", "");
  const secret: Secret = { metadata: decodeMeta(raw, "") };
  put(secret, "apiVersion", optString(raw, "apiVersion"));
  put(secret, "kind", optString(raw, "kind"));
  put(secret, "type", optString(raw, "type"));
  if (raw.data !== undefined && raw.data !== null) {
    if (!isPlain(raw.data)) throw new DecodeError("data", `expected an object, got ${describe(raw.data)}`);
    put(secret, "data", stringMap(raw.data));
  }
  return secret;
}

export function decodeServiceAccount(value: unknown): ServiceAccount {
  const raw = asObject(value, "");
  expectKind(raw, "ServiceAccount", "");
  const sa: ServiceAccount = { metadata: decodeMeta(raw, "") };
  put(sa, "imagePullSecrets", localRefs(raw.imagePullSecrets));
  return sa;
}

const CONDITION_STATUSES = new Set<string>(["True", "False", "Unknown"]);

export function decodeNode(value: unknown): KubeNode {
  const raw = asObject(value, "");
  expectKind(raw, "Node", "");
  const node: KubeNode = { metadata: decodeMeta(raw, "") };
  put(node, "apiVersion", optString(raw, "apiVersion"));
  put(node, "kind", optString(raw, "kind"));
  if (isPlain(raw.status)) {
    const status: NonNullable<KubeNode["status"]> = {};
    if (Array.isArray(raw.status.conditions)) {
      const conditions: NodeCondition[] = [];
      for (const c of raw.status.conditions) {
        if (!isPlain(c) || typeof c.type !== "string" || typeof c.status !== "string" || !CONDITION_STATUSES.has(c.status)) continue;
        const condition: NodeCondition = { type: c.type, status: c.status as NodeCondition["status"] };
        for (const key of ["reason", "message", "lastHeartbeatTime", "lastTransitionTime"] as const) put(condition, key, optString(c, key));
        conditions.push(condition);
      }
      status.conditions = conditions;
    }
    node.status = status;
  }
  return node;
}

/** The metav1.Status the API server sends with errors (and inside watch ERROR events). */
export interface KubeStatus {
  code: number | undefined;
  reason: string | undefined;
  message: string | undefined;
}

/** A Status object, or undefined when the value is not one. */
export function asStatus(value: unknown): KubeStatus | undefined {
  if (!isPlain(value) || value.kind !== "Status") return undefined;
  return { code: optNumber(value, "code"), reason: optString(value, "reason"), message: optString(value, "message") };
}

/** One line of a watch stream: `{"type": ..., "object": {...}}`. */
export type WatchLine =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: unknown }
  | { type: "BOOKMARK"; resourceVersion: string }
  | { type: "ERROR"; status: KubeStatus | undefined; object: unknown };

const CHANGE_TYPES = new Set(["ADDED", "MODIFIED", "DELETED"]);

export function decodeWatchLine(value: unknown): WatchLine {
  const raw = asObject(value, "");
  const type = raw.type;
  if (typeof type !== "string") throw new DecodeError("type", type === undefined ? "missing" : `expected a string, got ${describe(type)}`);
  if (type === "BOOKMARK") {
    // A bookmark's object is a bare object with only metadata.resourceVersion: not a pod to decode.
    const object = record(raw, "object", "");
    const meta = record(object, "metadata", "object");
    return { type, resourceVersion: requiredString(meta, "resourceVersion", "object.metadata") };
  }
  if (type === "ERROR") return { type, status: asStatus(raw.object), object: raw.object };
  if (!CHANGE_TYPES.has(type)) throw new DecodeError("type", `unknown watch event type ${JSON.stringify(type.slice(0, 40))}`);
  if (raw.object === undefined) throw new DecodeError("object", "missing");
  return { type: type as "ADDED" | "MODIFIED" | "DELETED", object: raw.object };
}

/** The resourceVersion of an object that may not decode as a pod, so a skipped object still moves the watch on. */
export function resourceVersionOf(value: unknown): string | undefined {
  if (!isPlain(value) || !isPlain(value.metadata)) return undefined;
  const rv = value.metadata.resourceVersion;
  return typeof rv === "string" && rv !== "" ? rv : undefined;
}
