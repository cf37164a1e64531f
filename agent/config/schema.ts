import { z } from "zod";
import { duration, LISTEN } from "../../core/config/index.js";
import { DOCKER_HUB_REGISTRY_URL } from "../../core/image/index.js";
import { lazyModule } from "../../core/process/index.js";
import { protectionPatternProblem } from "../prune/index.js";

const croner = lazyModule<typeof import("croner")>("croner");

/** A cron pattern croner accepts ("0 * * * *"); checked here so a typo stops the agent at start. */
const cron = z
  .string()
  .min(1)
  .superRefine((pattern, ctx) => {
    try {
      new (croner().Cron)(pattern, { paused: true }).stop();
    } catch (err) {
      ctx.addIssue({
        code: "custom",
        message: `"${pattern}" is not a cron schedule (${err instanceof Error ? err.message : String(err)}); write it like "0 * * * *"`,
      });
    }
  });

const percent = z.number().int().min(1).max(99);

/**
 * The whole agent configuration: a YAML file, environment variables and flags all land here,
 * so one schema decides what is valid. Unknown keys are errors: a typo must not silently fall
 * back to a default on every node of a cluster.
 */
export const configSchema = z.strictObject({
  nodeName: z.string().min(1).optional(),
  criEndpoint: z.string().min(1).optional(),
  // Unset: the hosts dir the runtime's own configuration names (agent/vantage); set, it overrides that.
  hostsDir: z.string().min(1).optional(),
  stateFile: z.string().min(1).default("/var/lib/pullmedic/state.json"),
  listen: z
    .string()
    .regex(LISTEN, "must be host:port, e.g. 127.0.0.1:9476 or 0.0.0.0:9476")
    .refine((l) => Number(LISTEN.exec(l)?.[2] ?? 0) <= 65_535, "the port must be 0..65535")
    .default("127.0.0.1:9476"),
  /**
   * Who may read /metrics, /v1/state and /v1/report (agent/daemon/http-access.ts): auto is
   * kubernetes (TokenReview and SubjectAccessReview) when listen is beyond loopback, else open.
   */
  httpAuth: z.enum(["auto", "kubernetes", "none"]).default("auto"),
  /** With httpAuth kubernetes, a loopback peer (kubectl port-forward; with hostNetwork, the node itself) needs no token. */
  trustLoopbackPeers: z.boolean().default(true),
  logLevel: z.enum(["error", "warn", "info", "debug"]).default("info"),
  logFormat: z.enum(["json", "text"]).default("json"),
  shutdownTimeout: duration(1000, 600_000).prefault("10s"),
  disk: z.strictObject({ interval: duration(1000, 86_400_000).prefault("30s") }).prefault({}),
  images: z.strictObject({ interval: duration(1000, 86_400_000).prefault("30s") }).prefault({}),
  prune: z
    .strictObject({
      enabled: z.boolean().default(true),
      dryRun: z.boolean().default(false),
      schedule: cron.default("0 * * * *"),
      highWatermarkPercent: percent.default(80),
      lowWatermarkPercent: percent.default(70),
      minUnusedAge: duration(0, 365 * 86_400_000).prefault("24h"),
      maxUnusedAge: duration(3_600_000, 365 * 86_400_000).optional(),
      // A typo in a pattern must stop the agent here, not fail every prune run later.
      protected: z
        .array(
          z
            .string()
            .min(1)
            .superRefine((pattern, ctx) => {
              const problem = protectionPatternProblem(pattern);
              if (problem !== undefined) ctx.addIssue({ code: "custom", message: `${JSON.stringify(pattern)} is not a protection pattern: ${problem}` });
            }),
        )
        .default([]),
    })
    .prefault({})
    .refine((p) => p.lowWatermarkPercent < p.highWatermarkPercent, {
      message: "lowWatermarkPercent must be below highWatermarkPercent",
      path: ["lowWatermarkPercent"],
    })
    .refine((p) => p.maxUnusedAge === undefined || p.maxUnusedAge > p.minUnusedAge, {
      message: "maxUnusedAge must be longer than minUnusedAge",
      path: ["maxUnusedAge"],
    }),
  /** Pulls in flight read from containerd's content store: progress, rate, ETA, stalls. */
  pulls: z
    .strictObject({
      enabled: z.boolean().default(true),
      interval: duration(500, 60_000).prefault("2s"),
      /** Nothing written for this long: the pull is stalled (containerd 1.6 never gives up; 1.7+ after 5 min). */
      stallAfter: duration(1000, 3_600_000).prefault("60s"),
    })
    .prefault({}),
  probes: z
    .strictObject({
      enabled: z.boolean().default(true),
      interval: duration(5000, 86_400_000).prefault("1m"),
      timeout: duration(100, 120_000).prefault("10s"),
      registries: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  quota: z
    .strictObject({
      enabled: z.boolean().default(true),
      interval: duration(10_000, 86_400_000).prefault("10m"),
      registryUrl: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).default(DOCKER_HUB_REGISTRY_URL),
      dockerConfig: z.string().min(1).optional(),
      timeout: duration(100, 120_000).prefault("10s"),
    })
    .prefault({}),
  report: z
    .strictObject({
      /** The aggregator's gRPC address (host:port); absent: the agent reports to nobody. */
      aggregator: z.string().regex(LISTEN, "must be host:port, e.g. pullmedic-aggregator.pullmedic.svc:9477").optional(),
      /** A file holding the bearer token (the projected service-account token for the aggregator's audience); read at every connect. */
      tokenFile: z.string().min(1).optional(),
      /** A PEM CA file (the ConfigMap the aggregator publishes its CA in): TLS to the aggregator, trusting this CA. Absent: plaintext. */
      caFile: z.string().min(1).optional(),
      /** A full node report this often (the aggregator marks a node stale after 3 missed). */
      interval: duration(1000, 3_600_000).prefault("30s"),
      /** Findings kept while the aggregator is away; beyond, the oldest are dropped and counted. */
      bufferLimit: z.number().int().min(10).max(100_000).default(1000),
    })
    .prefault({}),
  kube: z
    .strictObject({
      /** "auto": on when KUBECONFIG is set or the agent runs in a pod (KUBERNETES_SERVICE_HOST). */
      enabled: z.union([z.boolean(), z.literal("auto")]).default("auto"),
      /** A kubeconfig file; else the KUBECONFIG environment variable; else the pod's service account. */
      kubeconfig: z.string().min(1).optional(),
      context: z.string().min(1).optional(),
      /**
       * Read the pods' pull Secrets (and service accounts) to diagnose with their credentials and
       * re-validate them. Off unless the opt-in RBAC rule is applied too: reading Secrets is a grant
       * a cluster owner must choose.
       */
      readSecrets: z.boolean().default(false),
      /** Post PullDiagnosis Events on failing pods. */
      events: z.boolean().default(true),
      /** Set and clear the node conditions ImageFsPressure and RegistryUnreachable. */
      conditions: z.boolean().default(true),
      imageFsPressurePercent: percent.default(85),
      /** Fifty replicas failing on one image within this window share one diagnosis. */
      dedupeWindow: duration(1000, 86_400_000).prefault("5m"),
      /** Per-step network timeout of the node-local diagnosis of a failing pod. */
      diagnoseTimeout: duration(100, 120_000).prefault("10s"),
      /** How often the pull Secrets of this node's pods are tried against their registries (HEAD only). */
      secretCheckInterval: duration(5000, 86_400_000).prefault("30m"),
    })
    .prefault({}),
  prepull: z
    .strictObject({
      /** An image reference, or one with its own pull credentials and schedule. */
      images: z
        .array(
          z.union([
            z.string().min(1),
            z
              .strictObject({
                image: z.string().min(1),
                dockerConfig: z.string().min(1).optional(),
                /** Refused: the pre-puller reads credentials from files, never Secrets through the API. */
                secret: z.string().min(1).optional(),
                platform: z.string().min(1).optional(),
                schedule: cron.optional(),
              })
              .refine((t) => t.secret === undefined, {
                message:
                  "the pre-puller does not read Secrets through the API (that would need a cluster-wide Secret grant for every agent): mount the Secret into the agent's pod and name its .dockerconfigjson file with dockerConfig",
                path: ["secret"],
              }),
          ]),
        )
        .default([]),
      schedule: cron.default("0 */6 * * *"),
      /** A random delay before each scheduled round, so a fleet does not hit the registry at once. */
      jitter: duration(0, 86_400_000).prefault("5m"),
      runAtStart: z.boolean().default(true),
      concurrency: z.number().int().min(1).max(16).default(2),
      timeout: duration(100, 120_000).prefault("10s"),
      pullDeadline: duration(1000, 3_600_000).prefault("10m"),
      quotaReserve: z.number().int().min(0).max(10_000).default(10),
      retries: z
        .strictObject({
          attempts: z.number().int().min(1).max(10).default(3),
          baseDelay: duration(0, 600_000).prefault("2s"),
          maxDelay: duration(0, 3_600_000).prefault("1m"),
        })
        .prefault({}),
    })
    .prefault({}),
});

export type AgentConfig = z.output<typeof configSchema>;
