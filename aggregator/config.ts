// The aggregator's configuration: a YAML file, environment variables and flags land in one strict
// schema, so one place decides what is valid and every problem is listed at once with its key.
// The loading rules are shared with the agent (core/config/layers.ts): defaults ← file ← environment ←
// flags, unknown keys are errors with a suggestion, and nothing starts on a bad value.

import { access, constants } from "node:fs/promises";
import { z } from "zod";
import { ConfigError, describeIssues, duration, LISTEN, layerSources, type Plain } from "../core/config/index.js";
import { rememberUrlCredentials } from "../core/log/index.js";
import { isLoopbackListen } from "../core/net/index.js";
import { DEFAULT_MAX_NODES } from "./cluster-state.js";
import { DEFAULT_REPORT_MEMORY_BYTES } from "./report-memory.js";
import { securityProblems } from "./security.js";
import { DEFAULT_MAX_FINDINGS, DEFAULT_MAX_FINDINGS_BYTES } from "./store/index.js";

/** Every problem in the aggregator's configuration at once, each naming its key and its source. */
export class AggregatorConfigError extends ConfigError {}

const MIB = 1024 * 1024;
const DEFAULT_GRPC_LISTEN = "127.0.0.1:9477";
const DEFAULT_HTTP_LISTEN = "127.0.0.1:9478";
const DEFAULT_DATABASE = "/var/lib/pullmedic/aggregator.db";

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
  /**
   * A SQLite file (its folder is created when missing), or a PostgreSQL server as a postgres:// or
   * postgresql:// URL (TLS as its sslmode says; its password is never logged).
   */
  database: z.string().min(1).default(DEFAULT_DATABASE),
  /** A file holding the postgres:// URL (a Secret's key, mounted), so the password is in no pod spec or argument list; wins over database. */
  databaseFile: z.string().min(1).optional(),
  /** One bearer token per line (blank lines and # comments ignored); re-read when it changes. */
  tokenFile: z.string().min(1).optional(),
  /** No token check at all: only for the one-machine embedded mode (loopback listen addresses only), and logged as a warning. */
  allowUnauthenticated: flag.default(false),
  /**
   * How agents prove which node they speak for (aggregator/security.ts): auto is sharedToken on a
   * loopback grpcListen, serviceAccountToken beyond it; sharedToken beyond loopback is an opt-in.
   */
  agentAuth: z.enum(["auto", "serviceAccountToken", "sharedToken"]).default("auto"),
  /** Who may read the API, dashboard and /metrics, and start pre-pulls: auto is kubernetes beyond loopback. */
  httpAuth: z.enum(["auto", "kubernetes", "none"]).default("auto"),
  /**
   * With httpAuth kubernetes, a request from a loopback peer needs no token: kubectl port-forward
   * (RBAC already allowed it) or a process in the pod. false checks those too.
   */
  trustLoopbackPeers: flag.default(true),
  /** The Kubernetes API, for TokenReview, SubjectAccessReview and the TLS Secret; default KUBECONFIG, else in-cluster. */
  kube: z
    .strictObject({
      kubeconfig: z.string().min(1).optional(),
      context: z.string().min(1).optional(),
      /** The audience the agents' projected service-account tokens are issued for. */
      audience: z.string().min(1).default("pullmedic"),
      /** namespace:name of the service accounts agents run as. */
      agentServiceAccounts: z
        .array(z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be namespace:name"))
        .min(1)
        .default(["pullmedic:pullmedic-agent"]),
      /** How long an answer of TokenReview or SubjectAccessReview is trusted. */
      reviewCacheTtl: duration(1000, 600_000).prefault("1m"),
    })
    .prefault({}),
  tls: z
    .strictObject({
      /** PEM files (cert-manager's Secret, mounted); re-read when they change. */
      certFile: z.string().min(1).optional(),
      keyFile: z.string().min(1).optional(),
      /** The CA that signed certFile, published in caConfigMap for the agents. */
      caFile: z.string().min(1).optional(),
      /** A Secret in the aggregator's namespace holding its CA and serving certificate: made through the API when missing. */
      secret: z.string().min(1).optional(),
      /** A ConfigMap in the aggregator's namespace where the CA is published (key ca.crt) for the agents to mount. */
      caConfigMap: z.string().min(1).optional(),
      /** The names agents connect with; default the Service's: <service>.<namespace>.svc and the like. */
      dnsNames: z.array(z.string().min(1)).default([]),
      service: z.string().min(1).default("pullmedic-aggregator"),
      /** Default: the namespace of the aggregator's own service account. */
      namespace: z.string().min(1).optional(),
    })
    .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: "certFile and keyFile go together", path: ["keyFile"] })
    .refine((t) => t.certFile !== undefined || t.secret !== undefined, { message: "set certFile and keyFile, or secret", path: ["secret"] })
    .refine((t) => t.certFile === undefined || t.secret === undefined, { message: "certFile and secret exclude each other", path: ["secret"] })
    .optional(),
  /** Serve gRPC without TLS beyond loopback: agents' tokens and reports can then be read on the way. */
  plaintext: flag.default(false),
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
  /**
   * How long a view's answer (/api/v1/*) is served again before it is computed anew: every open
   * dashboard asks for every view every 5 s, and at thousands of nodes each computation takes
   * tens of milliseconds of CPU. An answer shows the cluster as it was at most this long before
   * the request (its generatedAt says when); "0s" computes every request.
   */
  viewCacheWindow: duration(0, 60_000).prefault("1s"),
  /**
   * Compute the views on a thread of their own at the lowest priority (aggregator/view-thread),
   * so open dashboards do not delay the agents' acknowledgements. It holds a copy of the nodes'
   * reports while dashboards are open (its heap capped at 1.5 × reportMemoryBytes + 64 MiB); false
   * computes them on the main thread, between acks, without the copy.
   */
  viewThread: flag.default(true),
  /**
   * On PostgreSQL: how often each replica writes its heartbeat and the nodes whose streams it
   * holds, and reads the nodes the others hold. A replica silent for five of these is taken for
   * gone (its nodes shown disconnected), so it is also how fast a lost replica shows. Each refresh
   * reads every node's row: at tens of thousands of nodes a longer one spares the database.
   */
  replicaRefresh: duration(100, 60_000).prefault("2s"),
  logLevel: z.enum(["error", "warn", "info", "debug"]).default("info"),
  logFormat: z.enum(["json", "text"]).default("json"),
});

export type AggregatorConfig = z.output<typeof aggregatorConfigSchema>;

/** Environment variables and the keys they set. */
const AGGREGATOR_ENV_KEYS: Record<string, string> = {
  PULLMEDIC_AGGREGATOR_GRPC_LISTEN: "grpcListen",
  PULLMEDIC_AGGREGATOR_HTTP_LISTEN: "httpListen",
  PULLMEDIC_AGGREGATOR_DATABASE: "database",
  PULLMEDIC_AGGREGATOR_DATABASE_FILE: "databaseFile",
  PULLMEDIC_AGGREGATOR_TOKEN_FILE: "tokenFile",
  PULLMEDIC_AGGREGATOR_AGENT_AUTH: "agentAuth",
  PULLMEDIC_AGGREGATOR_HTTP_AUTH: "httpAuth",
  PULLMEDIC_AGGREGATOR_KUBECONFIG: "kube.kubeconfig",
  PULLMEDIC_AGGREGATOR_AUDIENCE: "kube.audience",
  PULLMEDIC_AGGREGATOR_TLS_CERT_FILE: "tls.certFile",
  PULLMEDIC_AGGREGATOR_TLS_KEY_FILE: "tls.keyFile",
  PULLMEDIC_AGGREGATOR_TLS_CA_FILE: "tls.caFile",
  PULLMEDIC_AGGREGATOR_TLS_SECRET: "tls.secret",
  PULLMEDIC_AGGREGATOR_TLS_CA_CONFIGMAP: "tls.caConfigMap",
  PULLMEDIC_AGGREGATOR_PLAINTEXT: "plaintext",
  PULLMEDIC_AGGREGATOR_RETENTION: "retention",
  PULLMEDIC_AGGREGATOR_FORGET_NODES_AFTER: "forgetNodesAfter",
  PULLMEDIC_AGGREGATOR_REPLICA_REFRESH: "replicaRefresh",
  PULLMEDIC_AGGREGATOR_VIEW_THREAD: "viewThread",
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
  // A DSN's password is a secret from here on, before any problem or log line could show it.
  if (typeof raw["database"] === "string") rememberUrlCredentials(raw["database"]);
  const parsed = aggregatorConfigSchema.safeParse(raw);
  const problems: string[] = parsed.success ? [] : describeIssues(parsed.error.issues, aggregatorConfigSchema, where);
  // Checked on the raw values too, so the problems are listed along with any other.
  problems.push(...securityProblems(raw, where));
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
    if (tls && typeof tls === "object") for (const k of ["certFile", "keyFile", "caFile"]) files.push([`tls.${k}`, (tls as Plain)[k]]);
    for (const [key, path] of files) {
      if (typeof path !== "string" || path === "") continue;
      const problem = await unreadable(path);
      if (problem) problems.push(`${key}: cannot read ${path}: ${problem} ${where(key)}`.trimEnd());
    }
  }
  if (problems.length || !parsed.success) throw new AggregatorConfigError(problems);
  return parsed.data;
}

export { isLoopbackListen } from "../core/net/index.js";
