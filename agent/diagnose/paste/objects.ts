import type * as Yaml from "yaml";
import { lazyModule } from "../../../core/process/index.js";
import type { WorkloadNames } from "../explain-scene.js";
import { type PasteReading, type PasteSource, PULL_WORDS } from "./candidate.js";
import { containerFromFieldPath, mergeNames, validName, workloadFromOwner } from "./names.js";

const yaml = lazyModule<typeof Yaml>("yaml");

type Obj = Record<string, unknown>;

/**
 * Kubernetes objects as `kubectl get … -o json|yaml` prints them: Event lists (core/v1 and
 * events.k8s.io/v1), single Events, JSON lines of events, Pods and Pod lists (their container
 * statuses carry the last pull error, their spec the node, secrets and owner).
 */
export function readObjects(text: string, out: PasteReading, order: { next: number }): boolean {
  const parsed = parseJsonOrYaml(text);
  if (parsed === undefined) return false;
  const { docs, source } = parsed;
  let any = false;
  for (const doc of docs) any = walk(doc, source, out, order) || any;
  return any;
}

function parseJsonOrYaml(text: string): { docs: unknown[]; source: PasteSource } | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return { docs: [JSON.parse(trimmed) as unknown], source: "events-json" };
    } catch {
      // JSON lines: one object per line (kubectl get events -o json --watch, log shippers).
      const docs = trimmed.split("\n").flatMap((l) => {
        try {
          return l.trim().startsWith("{") ? [JSON.parse(l) as unknown] : [];
        } catch {
          return [];
        }
      });
      return docs.length > 0 ? { docs, source: "events-json" } : undefined;
    }
  }
  if (!/^(?:apiVersion|kind|items|metadata):/m.test(text)) return undefined;
  try {
    const docs = yaml().parseAllDocuments(text, { prettyErrors: false, logLevel: "silent" });
    const list = (Array.isArray(docs) ? docs : []).filter((d) => d.errors.length === 0).map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
    return list.length > 0 ? { docs: list, source: "events-yaml" } : undefined;
  } catch {
    return undefined;
  }
}

function walk(doc: unknown, source: PasteSource, out: PasteReading, order: { next: number }): boolean {
  if (Array.isArray(doc)) return doc.map((d) => walk(d, source, out, order)).some(Boolean);
  if (doc === null || typeof doc !== "object") return false;
  const o = doc as Obj;
  const kind = typeof o["kind"] === "string" ? o["kind"] : "";
  if (Array.isArray(o["items"])) return walk(o["items"], source, out, order);
  if (kind === "Event" || ("involvedObject" in o && "message" in o) || ("regarding" in o && "note" in o)) return readEvent(o, source, out, order);
  if (kind === "Pod") return readPod(o, out, order);
  return false;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function obj(v: unknown): Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
}

function readEvent(e: Obj, source: PasteSource, out: PasteReading, order: { next: number }): boolean {
  const message = str(e["message"]) ?? str(e["note"]) ?? "";
  const about = obj(e["involvedObject"] ?? e["regarding"]);
  const names: WorkloadNames = {};
  if (str(about["kind"]) === "Pod") names.pod = validName(str(about["name"]));
  names.namespace = validName(str(about["namespace"]) ?? str(obj(e["metadata"])["namespace"]));
  names.container = containerFromFieldPath(str(about["fieldPath"]) ?? "");
  names.node = validName(str(obj(e["source"])["host"]) ?? str(e["reportingInstance"]));
  if (!PULL_WORDS.test(message)) return true;
  out.candidates.push({ message, source, names: mergeNames(names), order: order.next++ });
  return true;
}

function readPod(p: Obj, out: PasteReading, order: { next: number }): boolean {
  const meta = obj(p["metadata"]);
  const spec = obj(p["spec"]);
  const owner =
    (Array.isArray(meta["ownerReferences"]) ? meta["ownerReferences"] : []).map(obj).find((r) => r["controller"] === true) ??
    obj((meta["ownerReferences"] as unknown[] | undefined)?.[0]);
  const workload =
    str(owner["kind"]) !== undefined && str(owner["name"]) !== undefined
      ? workloadFromOwner(str(owner["kind"]) as string, str(owner["name"]) as string)
      : undefined;
  const secrets = (Array.isArray(spec["imagePullSecrets"]) ? spec["imagePullSecrets"] : [])
    .map((s) => str(obj(s)["name"]))
    .filter((n): n is string => n !== undefined);
  const pod = mergeNames({
    pod: str(meta["name"]),
    namespace: str(meta["namespace"]),
    node: str(spec["nodeName"]),
    serviceAccount: str(spec["serviceAccountName"]),
    ...(workload !== undefined ? { workload } : {}),
    ...(secrets.length > 0 ? { secrets } : {}),
  });
  out.names = mergeNames(out.names, pod);
  for (const list of ["initContainers", "containers"]) {
    for (const c of Array.isArray(spec[list]) ? (spec[list] as unknown[]) : []) {
      const name = str(obj(c)["name"]);
      const image = str(obj(c)["image"]);
      if (name !== undefined && image !== undefined) out.containers.push({ name, image });
    }
  }
  const status = obj(p["status"]);
  for (const list of ["initContainerStatuses", "containerStatuses"]) {
    for (const cs of Array.isArray(status[list]) ? (status[list] as unknown[]) : []) {
      const waiting = obj(obj(obj(cs)["state"])["waiting"]);
      const message = str(waiting["message"]);
      if (message === undefined || !PULL_WORDS.test(`${message} ${str(waiting["reason"]) ?? ""}`)) continue;
      out.candidates.push({ message, source: "pod-status", names: mergeNames({ container: str(obj(cs)["name"]) }, pod), order: order.next++ });
    }
  }
  return true;
}
