// Offline validation of Kubernetes objects against the official OpenAPI definitions, as the
// kubernetes-models package ships them, plus the strict unknown-field check the API server applies
// with `kubectl apply --validate=strict` (the default since 1.27).
//
// kubernetes-models validates types, enums, formats and required fields with validators compiled
// from the OpenAPI schema, but like that schema it accepts any unknown field: `imagePullPolicyy`
// or `tolerations` under a container would pass. Its type declarations are generated from the same
// definitions (one interface per definition, one quoted property per schema property), so the
// strict check below walks those: every key of the object must be a property of its definition,
// recursively through nested definitions, arrays and maps.

import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** A schema node: a definition with named properties, an array, a string-keyed map, or a leaf. */
type Shape =
  | { kind: "object"; name: string; properties: Map<string, Shape | (() => Shape)> }
  | { kind: "array"; of: Shape | (() => Shape) }
  | { kind: "map"; of: Shape | (() => Shape) }
  | { kind: "leaf"; type: string }
  | { kind: "opaque"; type: string };

const shapes = new Map<string, Shape>();

/** The .d.ts next to a module that `specifier` resolves to (from this file or from `from`). */
function declarationFile(specifier: string, from?: string): string {
  if (from && (specifier.startsWith("./") || specifier.startsWith("../"))) {
    return `${resolve(dirname(from), specifier).replace(/\.js$/, "")}.d.ts`;
  }
  return fileURLToPath(import.meta.resolve(specifier)).replace(/\.js$/, ".d.ts");
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/** Splits `"a"?: T; "b": { [key: string]: U; };` into [name, type] pairs, braces and generics kept whole. */
function splitProperties(body: string): [string, string][] {
  const out: [string, string][] = [];
  let i = 0;
  while (i < body.length) {
    while (i < body.length && /[\s;]/.test(body[i] ?? "")) i++;
    if (i >= body.length) break;
    const m = /^(?:"([^"]+)"|([A-Za-z_$][\w$]*))\??\s*:\s*/.exec(body.slice(i));
    if (!m) throw new Error(`cannot read a property declaration at: ${body.slice(i, i + 80)}`);
    const name = m[1] ?? m[2] ?? "";
    i += m[0].length;
    let depth = 0;
    const start = i;
    for (; i < body.length; i++) {
      const c = body[i];
      if (c === "{" || c === "<" || c === "(" || c === "[") depth++;
      else if (c === "}" || c === ">" || c === ")" || c === "]") depth--;
      else if (c === ";" && depth === 0) break;
    }
    out.push([name, body.slice(start, i).trim()]);
  }
  return out;
}

function parseType(type: string, imports: Map<string, string>, file: string): Shape | (() => Shape) {
  const t = type.trim();
  const array = /^Array<([\s\S]*)>$/.exec(t);
  if (array?.[1] !== undefined) return { kind: "array", of: parseType(array[1], imports, file) };
  if (t.startsWith("{") && t.endsWith("}")) {
    const inner = t.slice(1, -1).trim();
    const map = /^\[key: string\]:\s*([\s\S]*?);?$/.exec(inner);
    if (map?.[1] !== undefined) return { kind: "map", of: parseType(map[1], imports, file) };
    const properties = new Map<string, Shape | (() => Shape)>();
    for (const [name, ptype] of splitProperties(inner)) properties.set(name, parseType(ptype, imports, file));
    return { kind: "object", name: `(inline in ${file})`, properties };
  }
  if (/^I[A-Za-z0-9]+$/.test(t)) {
    const from = imports.get(t);
    if (from === undefined) return { kind: "opaque", type: t };
    // Resolved on first use: definitions refer to each other (JSONSchemaProps to itself).
    return () => definition(from, t);
  }
  if (/^(string|number|boolean|"[^"]*")(\s*\|\s*(string|number|boolean|"[^"]*"))*$/.test(t)) return { kind: "leaf", type: t };
  return { kind: "opaque", type: t };
}

/** The definition a .d.ts file declares: its interface's properties, or a leaf for a type alias. */
function definition(file: string, name: string): Shape {
  const cached = shapes.get(file);
  if (cached) return cached;
  const text = stripComments(readFileSync(file, "utf8"));
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
    for (const n of (m[1] ?? "").split(",").map(
      (s) =>
        s
          .trim()
          .split(/\s+as\s+/)
          .pop() ?? "",
    )) {
      if (n && m[2] && !m[2].startsWith("@kubernetes-models/base")) imports.set(n, declarationFile(m[2], file));
    }
  }
  const iface = /export interface (\w+)(?:\s+extends\s+[\w\s,<>]+)?\s*\{([\s\S]*?)\n\}/.exec(text);
  let shape: Shape;
  if (iface?.[2] !== undefined) {
    const properties = new Map<string, Shape | (() => Shape)>();
    shape = { kind: "object", name: iface[1] ?? name, properties };
    shapes.set(file, shape);
    for (const [prop, type] of splitProperties(iface[2])) properties.set(prop, parseType(type, imports, file));
    return shape;
  }
  const alias = /export type (\w+)\s*=\s*([^;]+);/.exec(text);
  shape = alias?.[2] !== undefined ? (parseType(alias[2], imports, file) as Shape) : { kind: "opaque", type: name };
  if (typeof shape === "function") shape = { kind: "opaque", type: name };
  shapes.set(file, shape);
  return shape;
}

const force = (s: Shape | (() => Shape)): Shape => (typeof s === "function" ? s() : s);

/** prometheus-operator's kinds are modelled by their own package, from the operator's CRDs. */
const CUSTOM_MODELS: Record<string, string> = { "monitoring.coreos.com": "@kubernetes-models/prometheus-operator" };

/** The module that models `apiVersion`/`kind`, e.g. kubernetes-models/apps/v1/DaemonSet. */
function modelSpecifier(apiVersion: string, kind: string): string {
  if (!/^([a-z0-9.-]+\/)?v\d+((alpha|beta)\d+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    throw new Error(`not an apiVersion/kind: ${apiVersion} ${kind}`);
  }
  const custom = CUSTOM_MODELS[apiVersion.split("/")[0] ?? ""];
  return `${custom ?? "kubernetes-models"}/${apiVersion}/${kind}`;
}

function closest(word: string, options: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0] ?? 0;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const tmp = row[j] ?? 0;
        row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = tmp;
      }
    }
    return row[b.length] ?? Infinity;
  };
  let best: [string, number] | undefined;
  for (const o of options) {
    const d = distance(word.toLowerCase(), o.toLowerCase());
    if (d <= 3 && (!best || d < best[1])) best = [o, d];
  }
  return best?.[0];
}

/**
 * Every field of `value` that its definition does not declare, as "path: unknown field …" lines.
 * A value whose definition is not an object, array or map the walker can read (an opaque type) is
 * reported too when it holds an object, so nothing is waved through unchecked.
 */
function unknownFields(value: unknown, shape: Shape, path = ""): string[] {
  if (value === null || value === undefined) return [];
  switch (shape.kind) {
    case "leaf":
      return [];
    case "opaque":
      return typeof value === "object" ? [`${path || "/"}: no readable definition for ${shape.type}; the strict check cannot vouch for it`] : [];
    case "array":
      return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, force(shape.of), `${path}[${i}]`)) : [];
    case "map":
      return typeof value === "object" && !Array.isArray(value)
        ? Object.entries(value).flatMap(([k, v]) => unknownFields(v, force(shape.of), `${path}.${k}`))
        : [];
    case "object": {
      if (typeof value !== "object" || Array.isArray(value)) return [];
      const known = [...shape.properties.keys()];
      return Object.entries(value).flatMap(([k, v]) => {
        const prop = shape.properties.get(k);
        const at = path ? `${path}.${k}` : k;
        if (prop === undefined) {
          const hint = closest(k, known);
          return [`${at}: unknown field "${k}" in ${shape.name}${hint ? ` (did you mean "${hint}"?)` : ""}`];
        }
        return unknownFields(v, force(prop), at);
      });
    }
  }
}

export interface ValidationResult {
  /** kubernetes-models' OpenAPI validation: types, enums, formats, required fields. */
  schemaErrors: string[];
  /** The strict unknown-field check. */
  unknownFields: string[];
}

/** Validates one object against its kind's definition; unknown apiVersion/kind is an error. */
export async function validateObject(obj: Record<string, unknown>): Promise<ValidationResult> {
  const apiVersion = String(obj["apiVersion"] ?? "");
  const kind = String(obj["kind"] ?? "");
  const specifier = modelSpecifier(apiVersion, kind);
  let Model: new (data: unknown) => { validate(): void };
  try {
    Model = ((await import(specifier)) as Record<string, new (data: unknown) => { validate(): void }>)[kind] as typeof Model;
  } catch (err) {
    return { schemaErrors: [`${apiVersion} ${kind}: not a kind of this Kubernetes release (${(err as Error).message.split("\n")[0]})`], unknownFields: [] };
  }
  const schemaErrors: string[] = [];
  try {
    new Model(obj).validate();
  } catch (err) {
    const details = (err as { errors?: { instancePath?: string; message?: string; params?: unknown }[] }).errors;
    if (details?.length) for (const d of details) schemaErrors.push(`${d.instancePath || "/"}: ${d.message ?? "invalid"} ${JSON.stringify(d.params ?? {})}`);
    else schemaErrors.push((err as Error).message);
  }
  return { schemaErrors, unknownFields: unknownFields(obj, definition(declarationFile(specifier), kind)) };
}

/** The Kubernetes release kubernetes-models' definitions come from, as its package says. */
export function modelsPackageVersion(): string {
  const file = fileURLToPath(import.meta.resolve("kubernetes-models/v1/Pod")).replace(/v1\/Pod\.js$/, "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}
