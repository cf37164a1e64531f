// daemonset.yaml as the tests read it: every document, the commented-out opt-in binding, and the
// workloads' pod specs, typed with kubernetes-models' declarations.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { parseAllDocuments } from "yaml";

export const repoRoot = new URL("../..", import.meta.url).pathname;
export const manifestPath = join(repoRoot, "daemonset.yaml");

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** The opt-in binding's markers: the lines between them are YAML commented out with "# ". */
const OPT_IN_BEGIN = "# >>> opt-in binding";
const OPT_IN_END = "# <<< end of the opt-in binding";

/**
 * Parses every document as kubectl does (YAML 1.1: `on`, `yes` and `0755` mean what they meant
 * there) and checks that YAML 1.2 reads the same, so no scalar depends on the parser's version.
 */
export function parseDocuments(text: string, where = "daemonset.yaml"): K8sObject[] {
  const read = (version: "1.1" | "1.2") => {
    const docs = parseAllDocuments(text, { version, uniqueKeys: true, strict: true, prettyErrors: false });
    const list = Array.isArray(docs) ? docs : [docs];
    const problems = list.flatMap((d) => [...d.errors, ...d.warnings].map((e) => `${where}: ${e.message.split("\n")[0]}`));
    if (problems.length) throw new Error(problems.join("\n"));
    return list.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  };
  const v11 = read("1.1");
  const v12 = read("1.2");
  if (JSON.stringify(v11) !== JSON.stringify(v12)) throw new Error(`${where}: YAML 1.1 (kubectl) and 1.2 read a scalar differently; quote it`);
  return v11 as K8sObject[];
}

export function readManifest(): string {
  return readFileSync(manifestPath, "utf8");
}

export function loadManifest(text = readManifest()): K8sObject[] {
  return parseDocuments(text);
}

/** The documents commented out between the opt-in markers, uncommented. */
export function optInDocuments(text = readManifest()): K8sObject[] {
  const lines = text.split("\n");
  const begin = lines.findIndex((l) => l.startsWith(OPT_IN_BEGIN));
  const end = lines.findIndex((l) => l.startsWith(OPT_IN_END));
  if (begin < 0 || end < begin) throw new Error(`daemonset.yaml has no "${OPT_IN_BEGIN}" … "${OPT_IN_END}" block`);
  const body = lines.slice(begin + 1, end).map((l, i) => {
    if (l !== "#" && !l.startsWith("# "))
      throw new Error(`daemonset.yaml line ${begin + 2 + i}: inside the opt-in block every line must be commented with "# "`);
    return l.slice(2);
  });
  return parseDocuments(body.join("\n"), "daemonset.yaml (opt-in block)");
}

export function find(docs: K8sObject[], kind: string, name: string): K8sObject {
  const found = docs.filter((d) => d.kind === kind && d.metadata?.name === name);
  if (found.length !== 1) throw new Error(`daemonset.yaml: expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as K8sObject;
}

export interface Workload {
  object: K8sObject;
  pod: IPodSpec;
  podAnnotations: Record<string, string>;
  podLabels: Record<string, string>;
  container: IContainer;
}

/** A Deployment's or DaemonSet's pod template and its one container. */
export function workload(docs: K8sObject[], kind: "DaemonSet" | "Deployment", name: string): Workload {
  const object = find(docs, kind, name);
  const spec = object["spec"] as { template: { metadata?: { annotations?: Record<string, string>; labels?: Record<string, string> }; spec: IPodSpec } };
  const pod = spec.template.spec;
  if (pod.containers.length !== 1) throw new Error(`${kind} ${name}: expected one container, found ${pod.containers.length}`);
  return {
    object,
    pod,
    podAnnotations: spec.template.metadata?.annotations ?? {},
    podLabels: spec.template.metadata?.labels ?? {},
    container: pod.containers[0] as IContainer,
  };
}

export const AGENT = { kind: "DaemonSet", name: "pullmedic-agent" } as const;
export const AGGREGATOR = { kind: "Deployment", name: "pullmedic-aggregator" } as const;
export const NAMESPACE = "pullmedic";

/** A container port by number or by name, as probes and Services may name it. */
export function containerPort(container: IContainer, port: number | string): number {
  if (typeof port === "number") return port;
  const found = container.ports?.find((p) => p.name === port);
  if (!found) throw new Error(`container ${container.name} has no port named ${port}`);
  return found.containerPort;
}

/** The data a ConfigMap or Secret document gives its volume's files (Secret data is base64). */
export function objectData(obj: K8sObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((obj["data"] as Record<string, string> | undefined) ?? {})) {
    out[k] = obj.kind === "Secret" ? Buffer.from(v, "base64").toString("utf8") : v;
  }
  if (obj.kind === "Secret") Object.assign(out, (obj["stringData"] as Record<string, string> | undefined) ?? {});
  return out;
}
