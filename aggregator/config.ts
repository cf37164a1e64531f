// The aggregator's configuration: a YAML file, environment variables and flags land in one strict
// schema, so one place decides what is valid and every problem is listed at once with its key.
// The loading rules mirror the agent's (agent/config/load.ts): defaults ← file ← environment ←
// flags, unknown keys are errors with a suggestion, and nothing starts on a bad value.

import { access, constants, readFile } from "node:fs/promises";
import { z } from "zod";
import { parseDuration } from "../agent/duration.js";
import { editDistance } from "../agent/edit-distance.js";
import { lazyModule } from "../agent/lazy.js";

const yaml = lazyModule<typeof import("yaml")>("yaml");

/** Every problem in the configuration at once, each naming its key and where the value came from. */
export class AggregatorConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

export const MIB = 1024 * 1024;
export const DEFAULT_GRPC_LISTEN = "127.0.0.1:9477";
export const DEFAULT_HTTP_LISTEN = "127.0.0.1:9478";
export const DEFAULT_DATABASE = "/var/lib/pullmedic/aggregator.db";

const LISTEN = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const listen = (example: string) =>
  z
    .string()
    .regex(LISTEN, `must be host:port, e.g. ${example} or 0.0.0.0:${example.split(":")[1] ?? ""}`)
    .refine((l) => Number(LISTEN.exec(l)?.[2] ?? 0) <= 65_535, "the port must be 0..65535");

/** "7d", "12h": validated to a range, carried as milliseconds. */
function duration(min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `"${text}" is not a duration; write it like 12h, 7d or 2w` });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: "custom", message: `${text} is outside ${min / 3_600_000}h..${max / 86_400_000}d` });
      return z.NEVER;
    }
    return ms;
  });
}

/** A number that may come from the environment or a flag as text ("8388608"). */
const integer = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v), z.number().int().min(min).max(max));
const flag = z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean());

/**
 * Unknown keys are errors: a typo must not silently fall back to a default (a tokenFile spelled
 * wrong would otherwise mean a config error at best and an open aggregator at worst).
 */
export const aggregatorConfigSchema = z.strictObject({
  grpcListen: listen(DEFAULT_GRPC_LISTEN).default(DEFAULT_GRPC_LISTEN),
  httpListen: listen(DEFAULT_HTTP_LISTEN).default(DEFAULT_HTTP_LISTEN),
  /** The SQLite file; its folder is created when missing. */
  database: z.string().min(1).default(DEFAULT_DATABASE),
  /** One bearer token per line (blank lines and # comments ignored); re-read when it changes. */
  tokenFile: z.string().min(1).optional(),
  /** No token check at all: only for the one-machine embedded mode (loopback listen addresses only), and logged as a warning. */
  allowUnauthenticated: flag.default(false),
  tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
  /** Larger agent messages are refused with RESOURCE_EXHAUSTED. */
  maxMessageBytes: integer(64 * 1024, 256 * MIB).default(4 * MIB),
  /** A node is stale after this many missed report intervals. */
  staleAfterIntervals: integer(1, 1000).default(3),
  /** Findings older than this are pruned from the database, hourly. */
  retention: duration(3_600_000, 3650 * 86_400_000).prefault("7d"),
  /**
   * A node whose agent is disconnected and silent this long is forgotten (deleted by the
   * autoscaler, drained for good): it leaves the views and frees its place; its findings stay
   * until the retention. A node that comes back simply says hello again.
   */
  forgetNodesAfter: duration(3_600_000, 3650 * 86_400_000).prefault("24h"),
  logLevel: z.enum(["error", "warn", "info", "debug"]).default("info"),
  logFormat: z.enum(["json", "text"]).default("json"),
});

export type AggregatorConfig = z.output<typeof aggregatorConfigSchema>;
export type AggregatorConfigInput = z.input<typeof aggregatorConfigSchema>;

/** Environment variables and the keys they set. */
export const AGGREGATOR_ENV_KEYS: Record<string, string> = {
  PULLMEDIC_AGGREGATOR_GRPC_LISTEN: "grpcListen",
  PULLMEDIC_AGGREGATOR_HTTP_LISTEN: "httpListen",
  PULLMEDIC_AGGREGATOR_DATABASE: "database",
  PULLMEDIC_AGGREGATOR_TOKEN_FILE: "tokenFile",
  PULLMEDIC_AGGREGATOR_RETENTION: "retention",
  PULLMEDIC_AGGREGATOR_FORGET_NODES_AFTER: "forgetNodesAfter",
  PULLMEDIC_LOG_LEVEL: "logLevel",
  PULLMEDIC_LOG_FORMAT: "logFormat",
};

export interface AggregatorConfigSources {
  /** --config, else PULLMEDIC_AGGREGATOR_CONFIG; no file means defaults. */
  file?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Flags keyed like the config ("grpcListen", "tls.certFile"); undefined values are ignored. */
  flags?: Record<string, unknown>;
  /** Skip the checks that the token and TLS files can be read (for callers that write them later). */
  skipFileChecks?: boolean;
}

type Plain = Record<string, unknown>;

async function readConfigFile(path: string): Promise<Plain> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AggregatorConfigError([`cannot read config file ${path}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`]);
  }
  const doc = yaml().parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new AggregatorConfigError(doc.errors.slice(0, 3).map((e) => `${path}: ${e.message.split("\n")[0]}${e.linePos ? ` (line ${e.linePos[0].line})` : ""}`));
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new AggregatorConfigError([`${path}: the top level must be a mapping of keys, not ${Array.isArray(value) ? "a list" : typeof value}`]);
  }
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

function knownKeys(path: PropertyKey[]): string[] {
  let shape: Record<string, unknown> | undefined = aggregatorConfigSchema.shape;
  for (const key of path) {
    let s = shape?.[String(key)] as { shape?: Record<string, unknown>; def?: { innerType?: unknown } } | undefined;
    for (let i = 0; i < 4 && s && !s.shape; i++) s = s.def?.innerType as typeof s;
    shape = s?.shape;
  }
  return Object.keys(shape ?? {});
}

function closest(word: string, options: string[]): string | undefined {
  let best: { option: string; d: number } | undefined;
  for (const option of options) {
    const d = editDistance(word.toLowerCase(), option.toLowerCase(), 4);
    if (d <= Math.max(2, Math.floor(option.length / 4)) && (!best || d < best.d)) best = { option, d };
  }
  return best?.option;
}

function flagName(key: string): string {
  return `--${(key.split(".").pop() ?? key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

async function unreadable(path: string): Promise<string | undefined> {
  try {
    await access(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (err as Error).message;
  }
}

/**
 * Defaults ← file ← environment ← flags, validated as one. Any problem stops the aggregator before
 * it opens a port, with every problem listed, each naming its key and where the value came from.
 */
export async function loadAggregatorConfig(sources: AggregatorConfigSources): Promise<AggregatorConfig> {
  const file = sources.file ?? (sources.env["PULLMEDIC_AGGREGATOR_CONFIG"] || undefined);
  const raw: Plain = file ? await readConfigFile(file) : {};
  const origins = new Map<string, string>();
  for (const [name, key] of Object.entries(AGGREGATOR_ENV_KEYS)) {
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
  const where = (key: string) => origins.get(key) ?? (file && hasPath(raw, key) ? `in ${file}` : "");
  const problems: string[] = [];
  const parsed = aggregatorConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const at = issue.path.map(String).join(".");
      if (issue.code === "unrecognized_keys") {
        const options = knownKeys(issue.path);
        for (const k of issue.keys) {
          const key = at ? `${at}.${k}` : k;
          const hint = closest(k, options);
          problems.push(`${key}: unknown key${hint ? ` (did you mean ${hint}?)` : ""} ${where(key)}`.trimEnd());
        }
      } else {
        problems.push(`${at || "(top level)"}: ${issue.message} ${where(at)}`.trimEnd());
      }
    }
  }
  // Checked on the raw values too, so the problem is listed along with any other.
  if (raw["tokenFile"] === undefined && raw["allowUnauthenticated"] !== true && raw["allowUnauthenticated"] !== "true") {
    problems.push(
      "tokenFile: required: agents and `pullmedic cluster` authenticate with a bearer token from this file (one per line); " +
        "set it, or allowUnauthenticated: true for a one-machine trial only",
    );
  }
  // No token check means anyone who reaches a port can report as any node and start pre-pulls: only
  // this machine may reach them (the embedded mode, a trial on one machine).
  if (parsed.success && parsed.data.allowUnauthenticated) {
    for (const key of ["grpcListen", "httpListen"] as const) {
      const value = parsed.data[key];
      if (!isLoopbackListen(value)) {
        problems.push(`allowUnauthenticated: ${key} ${value} is not a loopback address; without a token check listen on 127.0.0.1, [::1] or localhost only, or set tokenFile ${where(key)}`.trimEnd());
      }
    }
  }
  if (!sources.skipFileChecks) {
    const files: [string, unknown][] = [["tokenFile", raw["tokenFile"]]];
    const tls = raw["tls"];
    if (tls && typeof tls === "object") files.push(["tls.certFile", (tls as Plain)["certFile"]], ["tls.keyFile", (tls as Plain)["keyFile"]]);
    for (const [key, path] of files) {
      if (typeof path !== "string" || path === "") continue;
      const problem = await unreadable(path);
      if (problem) problems.push(`${key}: cannot read ${path}: ${problem} ${where(key)}`.trimEnd());
    }
  }
  if (problems.length || !parsed.success) throw new AggregatorConfigError(problems);
  return parsed.data;
}

/** host:port whose host is a loopback address (127.0.0.0/8, ::1) or the name localhost. */
export function isLoopbackListen(listen: string): boolean {
  const host = LISTEN.exec(listen)?.[1]?.toLowerCase() ?? "";
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function hasPath(raw: Plain, key: string): boolean {
  let node: unknown = raw;
  for (const k of key.split(".")) {
    if (typeof node !== "object" || node === null) return false;
    node = (node as Plain)[k];
  }
  return node !== undefined;
}
