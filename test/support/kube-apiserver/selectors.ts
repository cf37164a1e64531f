// fieldSelector and labelSelector as the API server reads them: the fields each resource can be
// selected by, comma as AND, `=`/`==`/`!=`, and a missing field reads as "".

import { ApiError, badRequest } from "./status.js";

type Obj = Record<string, unknown>;
export type Matcher = (obj: Obj) => boolean;

function at(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Obj)[part];
  }
  return cur;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return "";
}

const METADATA: Record<string, (o: Obj) => string> = {
  "metadata.name": (o) => text(at(o, "metadata.name")),
  "metadata.namespace": (o) => text(at(o, "metadata.namespace")),
};

/** The field labels each resource supports; any other label is refused with 400. */
const FIELDS: Record<string, Record<string, (o: Obj) => string>> = {
  pods: {
    ...METADATA,
    "spec.nodeName": (o) => text(at(o, "spec.nodeName")),
    "spec.restartPolicy": (o) => text(at(o, "spec.restartPolicy")),
    "spec.schedulerName": (o) => text(at(o, "spec.schedulerName")),
    "spec.serviceAccountName": (o) => text(at(o, "spec.serviceAccountName")),
    "spec.hostNetwork": (o) => String(at(o, "spec.hostNetwork") === true),
    "status.phase": (o) => text(at(o, "status.phase")),
    "status.podIP": (o) => text(at(o, "status.podIP")),
    "status.podIPs": (o) => {
      const ips = at(o, "status.podIPs");
      return Array.isArray(ips) ? ips.map((ip) => text(at(ip, "ip"))).join(",") : "";
    },
    "status.nominatedNodeName": (o) => text(at(o, "status.nominatedNodeName")),
  },
  events: {
    ...METADATA,
    "involvedObject.kind": (o) => text(at(o, "involvedObject.kind")),
    "involvedObject.namespace": (o) => text(at(o, "involvedObject.namespace")),
    "involvedObject.name": (o) => text(at(o, "involvedObject.name")),
    "involvedObject.uid": (o) => text(at(o, "involvedObject.uid")),
    "involvedObject.apiVersion": (o) => text(at(o, "involvedObject.apiVersion")),
    "involvedObject.resourceVersion": (o) => text(at(o, "involvedObject.resourceVersion")),
    "involvedObject.fieldPath": (o) => text(at(o, "involvedObject.fieldPath")),
    reason: (o) => text(at(o, "reason")),
    reportingComponent: (o) => text(at(o, "reportingComponent")),
    source: (o) => text(at(o, "source.component")),
    type: (o) => text(at(o, "type")),
  },
  secrets: { ...METADATA, type: (o) => text(at(o, "type")) },
  serviceaccounts: { ...METADATA },
  configmaps: { ...METADATA },
  nodes: { "metadata.name": METADATA["metadata.name"]!, "spec.unschedulable": (o) => String(at(o, "spec.unschedulable") === true) },
};

/** Splits on `sep` where it is not escaped with a backslash. */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length) {
      cur += c + s[i + 1]!;
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = "";
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

function unescapeValue(s: string): string {
  return s.replace(/\\(.)/g, "$1");
}

export function parseFieldSelector(resource: string, selector: string | undefined): Matcher {
  if (selector === undefined || selector.trim() === "") return () => true;
  const fields = FIELDS[resource] ?? METADATA;
  const terms = splitUnescaped(selector, ",").map((term) => {
    // The first operator that is not escaped.
    let opAt = -1;
    let op = "";
    for (let i = 0; i < term.length; i++) {
      if (term[i] === "\\") {
        i++;
        continue;
      }
      if (term.startsWith("!=", i)) [opAt, op] = [i, "!="];
      else if (term.startsWith("==", i)) [opAt, op] = [i, "=="];
      else if (term[i] === "=") [opAt, op] = [i, "="];
      if (opAt >= 0) break;
    }
    if (opAt < 0) throw new ApiError(badRequest(`invalid selector: '${selector}'; can't understand '${term}'`));
    const label = term.slice(0, opAt).trim();
    const value = unescapeValue(term.slice(opAt + op.length));
    const get = fields[label];
    if (get === undefined) throw new ApiError(badRequest(`field label not supported: ${label}`));
    return op === "!=" ? (o: Obj) => get(o) !== value : (o: Obj) => get(o) === value;
  });
  return (o) => terms.every((t) => t(o));
}

/** Equality-based and set-based requirements: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`. */
export function parseLabelSelector(selector: string | undefined): Matcher {
  if (selector === undefined || selector.trim() === "") return () => true;
  const requirements: string[] = [];
  let depth = 0;
  let cur = "";
  for (const c of selector) {
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (c === "," && depth === 0) {
      requirements.push(cur);
      cur = "";
    } else cur += c;
  }
  requirements.push(cur);
  const tests = requirements.map((raw): ((labels: Record<string, string>) => boolean) => {
    const r = raw.trim();
    const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(r);
    if (set !== null) {
      const [, key, op, list] = set as unknown as [string, string, string, string];
      const values = new Set(list.split(",").map((v) => v.trim()));
      return op === "in" ? (l) => l[key] !== undefined && values.has(l[key]!) : (l) => l[key] === undefined || !values.has(l[key]!);
    }
    const equality = /^([\w./-]+)\s*(!=|==|=)\s*([\w./-]*)$/.exec(r);
    if (equality !== null) {
      const [, key, op, value] = equality as unknown as [string, string, string, string];
      return op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    const absent = /^!\s*([\w./-]+)$/.exec(r);
    if (absent !== null) {
      const key = absent[1]!;
      return (l) => l[key] === undefined;
    }
    const present = /^([\w./-]+)$/.exec(r);
    if (present !== null) {
      const key = present[1]!;
      return (l) => l[key] !== undefined;
    }
    throw new ApiError(badRequest(`unable to parse requirement: found '${r}', expected: identifier`));
  });
  return (o) => {
    const labels = (at(o, "metadata.labels") ?? {}) as Record<string, string>;
    return tests.every((t) => t(labels));
  };
}
