/**
 * The building blocks of decode.ts: checked reads of one field, and ObjectMeta. A field the agent
 * needs and cannot read is a DecodeError naming its path; an optional field of the wrong shape is
 * left out.
 */

import type { LocalObjectReference, ObjectMeta, OwnerReference } from "./meta.js";

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

export type Plain = Record<string, unknown>;

export function isPlain(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value.length > 40 ? "a string" : `the string ${JSON.stringify(value)}`;
  return `a ${typeof value}`;
}

export function join(at: string, key: string): string {
  return at === "" ? key : `${at}.${key}`;
}

export function record(parent: Plain, key: string, at: string): Plain {
  const value = parent[key];
  if (!isPlain(value)) throw new DecodeError(join(at, key), value === undefined ? "missing" : `expected an object, got ${describe(value)}`);
  return value;
}

export function requiredString(parent: Plain, key: string, at: string): string {
  const value = parent[key];
  if (typeof value !== "string" || value === "") {
    throw new DecodeError(join(at, key), value === undefined ? "missing" : value === "" ? "empty" : `expected a string, got ${describe(value)}`);
  }
  return value;
}

export function optString(parent: Plain, key: string): string | undefined {
  const value = parent[key];
  return typeof value === "string" ? value : undefined;
}

export function optNumber(parent: Plain, key: string): number | undefined {
  const value = parent[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function optBoolean(parent: Plain, key: string): boolean | undefined {
  const value = parent[key];
  return typeof value === "boolean" ? value : undefined;
}

/** Sets `target[key]` only when the value is defined, so decoded objects carry no `key: undefined`. */
export function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

// kubectl apply keeps a whole copy of the object here; it can be most of a pod's size.
const DROPPED_ANNOTATIONS = new Set(["kubectl.kubernetes.io/last-applied-configuration"]);

export function stringMap(value: unknown, drop?: Set<string>): Record<string, string> | undefined {
  if (!isPlain(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "string" && drop?.has(k) !== true) out[k] = v;
  }
  return out;
}

export function decodeMeta(parent: Plain, at: string): ObjectMeta {
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

export function localRefs(value: unknown): LocalObjectReference[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: LocalObjectReference[] = [];
  for (const r of value) {
    if (isPlain(r) && typeof r.name === "string" && r.name !== "") out.push({ name: r.name });
  }
  return out;
}

export function expectKind(raw: Plain, kind: string, at: string): void {
  // The kind is absent on items inside a list and on some watch objects; when present it must match.
  const actual = raw.kind;
  if (actual !== undefined && actual !== kind) throw new DecodeError(join(at, "kind"), `expected ${kind}, got ${describe(actual)}`);
}

export function asObject(value: unknown, at: string): Plain {
  if (!isPlain(value)) throw new DecodeError(at, `expected an object, got ${describe(value)}`);
  return value;
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
