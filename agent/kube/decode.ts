/**
 * Turns what the API server sent into the typed slices of types.ts. Nothing is trusted: a field of
 * the wrong shape is either dropped (optional fields) or a DecodeError naming it (fields the
 * agent cannot work without). Every decoder copies what it keeps into a fresh object, so a pod in
 * memory holds a few hundred bytes of what matters, not its managedFields, env and volumes.
 */

import {
  asObject,
  asStatus,
  DecodeError,
  decodeMeta,
  describe,
  expectKind,
  isPlain,
  join,
  type KubeStatus,
  localRefs,
  optBoolean,
  optNumber,
  optString,
  type Plain,
  put,
  record,
  requiredString,
} from "../../core/kube/index.js";
import type { ContainerSpec, ContainerState, ContainerStatus, Pod, PodSpec, PodStatus, PullPolicy } from "./types.js";

export { DecodeError, decodeList } from "../../core/kube/index.js";
export { decodeEvent, decodeNode, decodeSecret, decodeServiceAccount, sortEventsOldestFirst } from "./decode-objects.js";

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

export function decodePod(value: unknown, at = ""): Pod {
  const raw = asObject(value, at);
  expectKind(raw, "Pod", at);
  const pod: Pod = { metadata: decodeMeta(raw, at), spec: decodeSpec(raw, at) };
  put(pod, "status", decodePodStatus(raw.status));
  return pod;
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
