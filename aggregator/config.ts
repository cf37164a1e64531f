// The aggregator's configuration: a YAML file, environment variables and flags land in one strict
// schema, so one place decides what is valid and every problem is listed at once with its key.
// The loading rules are shared with the agent (core/config/layers.ts): defaults ← file ← environment ←
// flags, unknown keys are errors with a suggestion, and nothing starts on a bad value.

import { access, constants } from "node:fs/promises";
import { z } from "zod";
import { ConfigError, describeIssues, duration, LISTEN, layerSources, type Plain } from "../core/config/index.js";
import { DEFAULT_MAX_NODES } from "./cluster-state.js";
import { DEFAULT_REPORT_MEMORY_BYTES } from "./report-memory.js";
import { DEFAULT_MAX_FINDINGS, DEFAULT_MAX_FINDINGS_BYTES } from "./store.js";

/** Every problem in the aggregator's configuration at once, each naming its key and its source. */
export class AggregatorConfigError extends ConfigError {}

export const MIB = 1024 * 1024;
export const DEFAULT_GRPC_LISTEN = "127.0.0.1:9477";
export const DEFAULT_HTTP_LISTEN = "127.0.0.1:9478";
export const DEFAULT_DATABASE = "/var/lib/pullmedic/aggregator.db";

const listen = (example: string) =>
  z
    .string()
    .regex(LISTEN, `must be host:port, e.g. ${example} or 0.0.0.0:${example.split(":")[1] ?? ""}`)
    .refine((l) => Number(LISTEN.exec(l)?.[2] ?? 0) <= 65_535, "the port must be 0..65535");

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
  /** Nodes kept at most: a new node beyond it is refused (RESOURCE_EXHAUSTED). */
  maxNodes: integer(1, 1_000_000).default(DEFAULT_MAX_NODES),
  /**
   * Memory for the nodes' latest reports, estimated as the reports are decoded (core/protocol
   * limits.ts). Half of it is kept for the nodes' shares (this over maxNodes each: a node whose
   * report fits its share is never refused), the other half is shared by the reports above their
   * share; a report that fits neither is refused with RESOURCE_EXHAUSTED. A restart loads only
   * what fits. The pod's memory limit must hold it beside the nodes' connections (measured by
   * test/bench/aggregator-bounds.bench.ts).
   */
  reportMemoryBytes: integer(MIB, 64 * 1024 * MIB).default(DEFAULT_REPORT_MEMORY_BYTES),
  /** Findings per node: a token bucket of `burst` refilled at `perSecond`; beyond it RESOURCE_EXHAUSTED. */
  findingRate: z
    .strictObject({
      perSecond: z.preprocess((v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v), z.number().min(0.001).max(100_000)).default(10),
      burst: integer(1, 10_000_000).default(1000),
    })
    .prefault({}),
  /** Findings kept at most in the database; beyond, the oldest are deleted first (and counted). */
  maxFindings: integer(10, 1_000_000_000).default(DEFAULT_MAX_FINDINGS),
  /** Estimated bytes of findings in the database (rows and indexes) kept at most; beyond, the oldest go first. */
  maxFindingsBytes: integer(MIB, 1024 * 1024 * MIB).default(DEFAULT_MAX_FINDINGS_BYTES),
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
  let layered;
  try {
    layered = await layerSources({ file, env: sources.env, envKeys: AGGREGATOR_ENV_KEYS, flags: sources.flags });
  } catch (err) {
    if (err instanceof ConfigError) throw new AggregatorConfigError(err.problems);
    throw err;
  }
  const { raw, where } = layered;
  const parsed = aggregatorConfigSchema.safeParse(raw);
  const problems: string[] = parsed.success ? [] : describeIssues(parsed.error.issues, aggregatorConfigSchema, where);
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
        problems.push(
          `allowUnauthenticated: ${key} ${value} is not a loopback address; without a token check listen on 127.0.0.1, [::1] or localhost only, or set tokenFile ${where(key)}`.trimEnd(),
        );
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
