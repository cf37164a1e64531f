import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import type { z } from "zod";
import { editDistance } from "../edit-distance.js";
import { lazyModule } from "../lazy.js";
import { configSchema, type AgentConfig } from "./schema.js";

const yaml = lazyModule<typeof import("yaml")>("yaml");

/** Every problem in the configuration at once, each naming its key and where the value came from. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

/** Environment variables a DaemonSet sets (NODE_NAME from the downward API) and their keys. */
export const ENV_KEYS: Record<string, string> = {
  NODE_NAME: "nodeName",
  CRI_ENDPOINT: "criEndpoint",
  PULLMEDIC_HOSTS_DIR: "hostsDir",
  PULLMEDIC_STATE_FILE: "stateFile",
  PULLMEDIC_LISTEN: "listen",
  PULLMEDIC_LOG_LEVEL: "logLevel",
  PULLMEDIC_LOG_FORMAT: "logFormat",
  PULLMEDIC_AGGREGATOR: "report.aggregator",
  PULLMEDIC_TOKEN_FILE: "report.tokenFile",
};

export interface ConfigSources {
  /** --config, else PULLMEDIC_CONFIG; no file means defaults. */
  file?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Flags, keyed like the config ("listen", "criEndpoint"); undefined values are ignored. */
  flags?: Record<string, string | undefined>;
}

type Plain = Record<string, unknown>;

async function readConfigFile(path: string): Promise<Plain> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([`cannot read config file ${path}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`]);
  }
  const doc = yaml().parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(doc.errors.slice(0, 3).map((e) => `${path}: ${e.message.split("\n")[0]}${e.linePos ? ` (line ${e.linePos[0].line})` : ""}`));
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new ConfigError([`${path}: the top level must be a mapping of keys, not ${Array.isArray(value) ? "a list" : typeof value}`]);
  return value as Plain;
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

function closest(word: string, options: string[]): string | undefined {
  let best: { option: string; d: number } | undefined;
  for (const option of options) {
    const d = editDistance(word.toLowerCase(), option.toLowerCase(), 4);
    if (d <= Math.max(2, Math.floor(option.length / 4)) && (!best || d < best.d)) best = { option, d };
  }
  return best?.option;
}

/** Known keys at a path of the schema, to suggest the intended one for a typo. */
function knownKeys(path: PropertyKey[]): string[] {
  let schema: unknown = configSchema;
  for (const key of path) {
    const shape = shapeOf(schema);
    schema = shape?.[String(key)];
  }
  return Object.keys(shapeOf(schema) ?? {});
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  // Unwrap defaults, prefaults, refinements and optionals down to the object's shape.
  let s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown; in?: unknown; schema?: unknown } } | undefined;
  for (let i = 0; i < 6 && s && !s.shape; i++) s = (s.def?.innerType ?? s.def?.in ?? s.def?.schema) as typeof s;
  return s?.shape;
}

function describeIssue(issue: z.core.$ZodIssue, origins: Map<string, string>, file: string | undefined): string[] {
  const at = issue.path.map(String).join(".");
  const where = (key: string) => origins.get(key) ?? (file ? `in ${file}` : "");
  if (issue.code === "unrecognized_keys") {
    const options = knownKeys(issue.path);
    return issue.keys.map((k) => {
      const key = at ? `${at}.${k}` : k;
      const hint = closest(k, options);
      return `${key}: unknown key${hint ? ` (did you mean ${hint}?)` : ""} ${where(key)}`.trimEnd();
    });
  }
  return [`${at || "(top level)"}: ${issue.message} ${where(at)}`.trimEnd()];
}

/**
 * Defaults ← file ← environment ← flags, validated as one. Any problem stops the agent before it
 * starts, with every problem listed.
 */
export async function loadConfig(sources: ConfigSources): Promise<AgentConfig> {
  const file = sources.file ?? sources.env["PULLMEDIC_CONFIG"];
  const raw: Plain = file ? await readConfigFile(file) : {};
  const origins = new Map<string, string>();
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = sources.env[name];
    if (value !== undefined && value !== "") {
      setPath(raw, key, value);
      origins.set(key, `(from ${name})`);
    }
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    setPath(raw, key, value);
    origins.set(key, `(from --${(key.split(".").pop() ?? key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)})`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.flatMap((i) => describeIssue(i, origins, file)));
  const config = parsed.data;
  config.nodeName ??= hostname();
  return config;
}
