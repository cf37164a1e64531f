// How a pullmedic program (agent, aggregator) reads its configuration: defaults ← a YAML file ←
// environment variables ← flags, validated by one strict zod schema, every problem listed at once
// with its key and where the value came from. Each program brings its schema and its variables.

import { z } from "zod";
import { editDistance, formatDurationMs, parseDuration } from "../text/index.js";
import { readConfigFile } from "./file.js";
import type { Plain } from "./problems.js";

/** host:port, with the host a name, an IPv4 address or a bracketed IPv6 address. */
export const LISTEN = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** A duration written as "30s", "5m", "24h", "7d"; validated to a range, carried as milliseconds. */
export function duration(min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `"${text}" is not a duration; write it like 30s, 5m, 1h30m or 2d` });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: "custom", message: `${text} is outside ${formatDurationMs(min)}..${formatDurationMs(max)}` });
      return z.NEVER;
    }
    return ms;
  });
}

export interface Layered {
  raw: Plain;
  /** Where a value that did not come from the file came from, by key: "(from NODE_NAME)". */
  origins: Map<string, string>;
  /** "(from …)", "in FILE" when the file set the key, or "". */
  where(key: string): string;
}

/** The file's values overlaid with the environment's and then the flags'; nothing is validated yet. */
export async function layerSources(sources: {
  file: string | undefined;
  env: NodeJS.ProcessEnv;
  envKeys: Record<string, string>;
  flags?: Record<string, unknown> | undefined;
}): Promise<Layered> {
  const raw: Plain = sources.file ? await readConfigFile(sources.file) : {};
  const origins = new Map<string, string>();
  for (const [name, key] of Object.entries(sources.envKeys)) {
    const value = sources.env[name];
    if (value !== undefined && value !== "") {
      setPath(raw, key, value);
      origins.set(key, `(from ${name})`);
    }
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    setPath(raw, key, value);
    origins.set(key, `(from ${flagName(key)})`);
  }
  const where = (key: string) => origins.get(key) ?? (sources.file && hasPath(raw, key) ? `in ${sources.file}` : "");
  return { raw, origins, where };
}

/** Past this many problems the rest are counted, not listed: 100,000 typos need not fill a terminal. */
const MAX_PROBLEMS_LISTED = 20;

/** The problems of a failed parse in words: unknown keys with the likely intended one, then values. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], schema: unknown, where: (key: string) => string): string[] {
  const lines: string[] = [];
  let more = 0;
  const add = (line: () => string) => {
    if (lines.length < MAX_PROBLEMS_LISTED) lines.push(line());
    else more++;
  };
  for (const issue of issues) {
    const at = issue.path.map(String).join(".");
    if (issue.code !== "unrecognized_keys") {
      add(() => `${at || "(top level)"}: ${issue.message} ${where(at)}`.trimEnd());
      continue;
    }
    const options = knownKeys(schema, issue.path);
    for (const k of issue.keys) {
      const key = at ? `${at}.${k}` : k;
      add(() => {
        const hint = closest(k, options);
        return `${key}: unknown key${hint ? ` (did you mean ${hint}?)` : ""} ${where(key)}`.trimEnd();
      });
    }
  }
  if (more > 0) lines.push(`and ${more.toLocaleString("en-US")} more problem${more === 1 ? "" : "s"}`);
  return lines;
}

function setPath(target: Plain, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Plain;
  }
  node[keys[keys.length - 1] ?? path] = value;
}

function hasPath(raw: Plain, key: string): boolean {
  let node: unknown = raw;
  for (const k of key.split(".")) {
    if (typeof node !== "object" || node === null) return false;
    node = (node as Plain)[k];
  }
  return node !== undefined;
}

function flagName(key: string): string {
  return `--${(key.split(".").pop() ?? key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The known key a typo most likely meant: within a quarter of its length in edits (at least 2),
 * computed only up to that bound so that a word far from every key gets no hint; else a key the
 * word begins, when it is at least half of it ("highWatermark" for highWatermarkPercent).
 */
function closest(word: string, options: string[]): string | undefined {
  const typed = word.toLowerCase();
  let best: { option: string; d: number } | undefined;
  for (const option of options) {
    const limit = Math.max(2, Math.floor(option.length / 4));
    const d = editDistance(typed, option.toLowerCase(), limit);
    if (d <= limit && (!best || d < best.d)) best = { option, d };
  }
  if (best) return best.option;
  return options.find((o) => o.toLowerCase().startsWith(typed) && typed.length >= Math.max(4, o.length / 2));
}

/** Known keys at a path of the schema, to suggest the intended one for a typo. */
function knownKeys(schema: unknown, path: PropertyKey[]): string[] {
  let s = schema;
  for (const key of path) s = shapeOf(s)?.[String(key)];
  return Object.keys(shapeOf(s) ?? {});
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  // Unwrap defaults, prefaults, refinements and optionals down to the object's shape.
  let s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown; in?: unknown; schema?: unknown } } | undefined;
  for (let i = 0; i < 6 && s && !s.shape; i++) s = (s.def?.innerType ?? s.def?.in ?? s.def?.schema) as typeof s;
  return s?.shape;
}
