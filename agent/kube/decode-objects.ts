/**
 * Decoders for the single objects the agent reads besides pods: Events, Secrets, ServiceAccounts,
 * Nodes. Each keeps only the fields of types.ts.
 */

import {
  asObject,
  DecodeError,
  decodeMeta,
  describe,
  expectKind,
  isPlain,
  localRefs,
  optNumber,
  optString,
  put,
  record,
  stringMap,
} from "../../core/kube/index.js";
import type { KubeEvent, KubeNode, NodeCondition, ObjectReference, Secret, ServiceAccount } from "./types.js";

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
  for (const key of [
    "apiVersion",
    "kind",
    "reason",
    "message",
    "type",
    "firstTimestamp",
    "lastTimestamp",
    "reportingComponent",
    "reportingInstance",
    "action",
  ] as const) {
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
    // A Secret's data is never quoted back, however short: it may be the credential itself.
    if (!isPlain(raw.data)) throw new DecodeError("data", `expected an object, got ${typeof raw.data === "string" ? "a string" : describe(raw.data)}`);
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
