// The stand-in's storage: objects by resource and key, one resourceVersion counter for all of
// them (as etcd's revision), and a bounded history of changes that watches and paged lists
// read from. History older than the bound, or forgotten by compact(), answers 410.

import { randomUUID } from "node:crypto";
import type { ObjectMeta } from "../../../agent/kube/types.js";

export type Resource = "pods" | "events" | "secrets" | "configmaps" | "serviceaccounts" | "nodes";

export const KINDS: Readonly<Record<Resource, string>> = {
  pods: "Pod",
  events: "Event",
  secrets: "Secret",
  configmaps: "ConfigMap",
  serviceaccounts: "ServiceAccount",
  nodes: "Node",
};

export function isResource(s: string): s is Resource {
  return Object.hasOwn(KINDS, s);
}

export function namespaced(resource: Resource): boolean {
  return resource !== "nodes";
}

/** A stored object: never mutated once stored (writes store a new one). */
export type Obj = Record<string, unknown> & { metadata: ObjectMeta };

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

export interface Change {
  rv: number;
  resource: Resource;
  key: string;
  type: ChangeType;
  /** The object after the change; for DELETED its last state, stamped with the deletion's resourceVersion. */
  object: Obj;
  /** The object before the change (absent for ADDED). */
  prev?: Obj;
}

function keyOf(resource: Resource, namespace: string | undefined, name: string): string {
  return namespaced(resource) ? `${namespace ?? ""}/${name}` : name;
}

/** RFC 3339 to the second, as metav1.Time serialises. */
function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function withResourceVersion(obj: Obj, rv: number): Obj {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
}

export class Store {
  private rv = 1;
  /** Changes after this resourceVersion are all in history; a resume from before it is too old. */
  private compacted = 1;
  private readonly objects = new Map<Resource, Map<string, Obj>>();
  private history: Change[] = [];
  private readonly listeners = new Set<(change: Change) => void>();

  constructor(private readonly historyLimit: number) {}

  resourceVersion(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch may resume from. */
  oldest(): number {
    return this.compacted;
  }

  onChange(listener: (change: Change) => void): void {
    this.listeners.add(listener);
  }

  private table(resource: Resource): Map<string, Obj> {
    let t = this.objects.get(resource);
    if (t === undefined) {
      t = new Map();
      this.objects.set(resource, t);
    }
    return t;
  }

  get(resource: Resource, namespace: string | undefined, name: string): Obj | undefined {
    return this.table(resource).get(keyOf(resource, namespace, name));
  }

  /** Objects of a resource in insertion order. */
  all(resource: Resource): Obj[] {
    return [...this.table(resource).values()];
  }

  /**
   * Stores `input` (a copy; kind and apiVersion dropped, they are the resource's), stamping
   * resourceVersion and, for a new object, uid and creationTimestamp. An object whose uid differs
   * from the stored one's replaces it as a delete and a create, as it would in a cluster.
   */
  put(resource: Resource, input: Record<string, unknown> & { metadata: ObjectMeta }): Obj {
    const { kind: _kind, apiVersion: _apiVersion, ...rest } = structuredClone(input);
    const metadata: ObjectMeta = { ...rest.metadata };
    if (!metadata.name) throw new Error(`stand-in: a ${KINDS[resource]} needs metadata.name`);
    if (namespaced(resource)) metadata.namespace = metadata.namespace || "default";
    else delete metadata.namespace;
    const key = keyOf(resource, metadata.namespace, metadata.name);
    let prev = this.table(resource).get(key);
    if (prev !== undefined && metadata.uid !== undefined && metadata.uid !== prev.metadata.uid) {
      this.remove(resource, metadata.namespace, metadata.name);
      prev = undefined;
    }
    const rv = ++this.rv;
    metadata.uid = prev?.metadata.uid ?? metadata.uid ?? randomUUID();
    metadata.creationTimestamp = prev?.metadata.creationTimestamp ?? metadata.creationTimestamp ?? now();
    metadata.resourceVersion = String(rv);
    const object = { ...rest, metadata } as Obj;
    this.table(resource).set(key, object);
    this.record(prev === undefined ? { rv, resource, key, type: "ADDED", object } : { rv, resource, key, type: "MODIFIED", object, prev });
    return object;
  }

  remove(resource: Resource, namespace: string | undefined, name: string): Obj | undefined {
    const key = keyOf(resource, namespace, name);
    const prev = this.table(resource).get(key);
    if (prev === undefined) return undefined;
    this.table(resource).delete(key);
    const rv = ++this.rv;
    const object = withResourceVersion(prev, rv);
    this.record({ rv, resource, key, type: "DELETED", object, prev });
    return object;
  }

  private record(change: Change): void {
    this.history.push(change);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compacted = dropped[dropped.length - 1]!.rv;
    }
    for (const listener of this.listeners) listener(change);
  }

  /**
   * Forgets all history. The resourceVersion moves on by one first, as if something else in the
   * cluster had been written, so that every resourceVersion a client holds is now too old.
   */
  compact(): void {
    this.rv++;
    this.compacted = this.rv;
    this.history = [];
  }

  /** Changes of `resource` after `rv`, oldest first; undefined when history no longer reaches back to it. */
  changesSince(resource: Resource, rv: number): Change[] | undefined {
    if (rv < this.compacted) return undefined;
    return this.history.filter((c) => c.rv > rv && c.resource === resource);
  }

  /** The objects of `resource` as they were at `rv`, sorted by key; undefined when that is forgotten. */
  snapshot(resource: Resource, rv: number): { key: string; object: Obj }[] | undefined {
    const changes = this.changesSince(resource, rv);
    if (changes === undefined) return undefined;
    const state = new Map(this.table(resource));
    for (let i = changes.length - 1; i >= 0; i--) {
      const c = changes[i]!;
      if (c.prev === undefined) state.delete(c.key);
      else state.set(c.key, c.prev);
    }
    return [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, object]) => ({ key, object }));
  }
}
