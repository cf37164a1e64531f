// Every command of `pullmedic`, declared as data: help text, arguments, options in the order its
// --help lists them (shared ones from options.ts), and how to run it. A verb's implementation,
// cli/<verb>.ts, is imported only when it runs, so --help and each verb load only what they use.
// Adding a verb: its implementation, its declaration here, and its name in COMMANDS. (One module
// for all declarations: a start-up pays for every module it reads, and this one is read by all.)

import type { AgentFlags } from "./agent.js";
import type { AggregatorFlags } from "./aggregator.js";
import type { CleanupFlags } from "./cleanup.js";
import type { ClusterPrepullFlags } from "./cluster.js";
import { DEFAULT_PULL_DEADLINE_SECONDS } from "./defaults.js";
import type { DiagnoseFlags } from "./diagnose.js";
import {
  CONFIG_FILE,
  CONTEXT_OPTION,
  criEndpoint,
  dockerConfig,
  HOST_ROOT,
  HOSTS_DIR,
  JSON_OUTPUT,
  type JsonFlag,
  KUBECONFIG_OPTION,
  LOG_FORMAT,
  LOG_LEVEL,
  PLATFORM,
  pullDeadlineSeconds,
  RUNTIME_READ_OPTIONS,
  stateFile,
  timeoutSeconds,
  tokenFile,
  withoutDefault,
} from "./options.js";
import type { PrepullFlags } from "./prepull.js";
import type { ProbeFlags } from "./probe.js";
import type { PruneFlags } from "./prune.js";
import type { PullsFlags } from "./pulls.js";
import type { QuotaFlags } from "./quota.js";
import type { RuntimeViewFlags } from "./runtime.js";
import type { RuntimeFlags } from "./runtime-options.js";
import type { Verb, VerbGroup } from "./verb.js";

/** The help of a verb whose description opens with its summary. */
function opensWithSummary(summary: string, details: string): { summary: string; description: string } {
  return { summary, description: `${summary}\n\n${details}` };
}

const images: Verb<[], RuntimeFlags & JsonFlag> = {
  name: "images",
  ...opensWithSummary(
    "list the node's images: tags, digests, size, pinned, which containers use them",
    "Joins the runtime's images with its containers (running and exited) and pod sandboxes, so each\n" +
      "image shows whether it is in use, pinned by the runtime, or the sandbox (pause) image.",
  ),
  options: RUNTIME_READ_OPTIONS,
  run: async ({ flags, env }) => (await import("./images.js")).imagesVerb(flags, env),
};

const disk: Verb<[], RuntimeFlags & JsonFlag> = {
  name: "disk",
  ...opensWithSummary(
    "show the image filesystem: runtime usage plus the host's capacity, free space and inodes",
    "Reads CRI ImageFsInfo for the image filesystem's mount point, then statfs(2) on it for capacity,\n" +
      "free bytes and inodes. Exits 1 when the disk is past kubelet's image GC threshold (85 %).",
  ),
  options: RUNTIME_READ_OPTIONS,
  run: async ({ flags, env }) => (await import("./disk.js")).diskVerb(flags, env),
};

const status: Verb<[], RuntimeFlags & JsonFlag> = {
  name: "status",
  ...opensWithSummary(
    "this node at a glance, once: runtime health, images and disk",
    "One read of the runtime's conditions, its images and its image filesystem.",
  ),
  options: RUNTIME_READ_OPTIONS,
  run: async ({ flags, env }) => (await import("./status.js")).statusVerb(flags, env),
};

const prune: Verb<[], PruneFlags> = {
  name: "prune",
  summary: "remove unused images by policy: watermarks, minimum age, protected list (try --dry-run first)",
  description:
    "Remove unused images by policy (try --dry-run first).\n\n" +
    "Works like kubelet's image GC, with the protections it lacks. When the image\n" +
    "filesystem is at least --high full, removes images least recently used first\n" +
    "until it would be under --low. Never removes a pinned image, the sandbox (pause)\n" +
    "image, an image any container uses (running, created or exited), a --protect\n" +
    "match, or an image unused for less than --min-age. Image ages are kept in\n" +
    "--state-file across restarts; a dry run only reads it.\n" +
    "Exit 0 when done, 1 when an image could not be removed.",
  options: [
    { flags: "--dry-run", description: "show the plan; remove nothing and write nothing" },
    { flags: "--force", description: "act as if the disk were past --high: down to --low, or, already under it, every image the rules allow" },
    { flags: "--high <percent>", description: "start pruning at this image filesystem usage, 1-99 (default: 80)" },
    { flags: "--low <percent>", description: "stop once usage would be under this, below --high (default: 70)" },
    { flags: "--min-age <duration>", description: "keep images unused for less than this, e.g. 30m, 24h, 7d (default: 24h)" },
    { flags: "--max-age <duration>", description: "remove images unused for longer than this even under --high (default: off)" },
    { flags: "--protect <pattern>", description: "never remove: repo:tag, repo:* or registry/* (repeatable)", repeatable: true },
    stateFile("where image ages are kept (default: /var/lib/pullmedic/state.json)"),
    criEndpoint(),
    timeoutSeconds("runtime call"),
    JSON_OUTPUT,
  ],
  run: async ({ flags, env }) => (await import("./prune.js")).pruneVerb(flags, env),
};

const prepull: Verb<[string[]], PrepullFlags> = {
  name: "prepull",
  summary: "pull images onto this node now, only those missing or whose tag moved, with a line per image",
  description:
    "Pull images onto this node now, only those missing or whose tag moved, with a line per image.\n\n" +
    "Asks each image's registry for the tag's digest with a manifest HEAD (Docker Hub does not count a\n" +
    "HEAD as a pull) through the host containerd would use, and compares it with the node's copy: the\n" +
    "same digest is `unchanged` and nothing is downloaded. Otherwise CRI PullImage, a few at a time,\n" +
    "retried with back-off. A Docker Hub pull waits (`deferred`) when the quota the HEADs report is\n" +
    "under 10 pulls, keeping the last ones for pods. Failures carry a cause and a fix, as in diagnose.\n" +
    "Exit 0 when no image failed (deferred is not a failure), 1 otherwise.",
  arguments: [{ syntax: "<image...>", description: "images to have on this node, e.g. nginx:1.27 registry.example.com/team/app:v2" }],
  options: [
    dockerConfig("pull credentials as a .dockerconfigjson file, used for every image it has an entry for"),
    HOSTS_DIR,
    criEndpoint(),
    { flags: "--concurrency <n>", description: "images worked on at once, 1-16", default: "2" },
    timeoutSeconds("registry step and runtime call"),
    pullDeadlineSeconds("how long one pull may take", 600),
    JSON_OUTPUT,
  ],
  run: async ({ args: [images], flags, env, progress }) => (await import("./prepull.js")).prepullVerb(images, flags, env, progress),
};

const diagnose: Verb<[string], DiagnoseFlags> = {
  name: "diagnose",
  summary: "find from this node why IMAGE cannot be pulled, with evidence and the command that fixes it",
  description:
    "Find from this node why IMAGE cannot be pulled, with evidence and the command that fixes it.\n\n" +
    "Walks the path the runtime will take, timing each step and stopping at the first decisive failure:\n" +
    "reference → credentials → containerd hosts.toml (mirrors, then the registry) → DNS → TCP → TLS →\n" +
    "/v2/ → token → manifest → platform → free space on the image filesystem → a short download sample\n" +
    "that predicts the pull time → optionally a real pull through the runtime (--pull).\n\n" +
    "Every step is taken from the runtime's view, read from the process serving the CRI socket: its\n" +
    "resolver files, trust store, proxy environment and registry configuration (see `pullmedic runtime`);\n" +
    "the first line says which view was used.\n\n" +
    "Causes: ok, invalid-reference, not-found, auth-required, auth-denied, secret-invalid, rate-limited,\n" +
    "dns, network-timeout, connection-refused, tls, registry-unavailable, platform-mismatch, pull-timeout,\n" +
    "disk-full, never-pull, unknown. Exit 0 when the image can be pulled, 1 otherwise.",
  arguments: [{ syntax: "<image>", description: "the image as the pod spec names it, e.g. nginx:1.27 or registry.example.com/team/app@sha256:…" }],
  options: [
    dockerConfig(),
    { flags: "--secret <file>", description: "pull credentials as a Kubernetes Secret manifest (YAML or JSON)" },
    PLATFORM,
    HOSTS_DIR,
    criEndpoint("its process's view (resolver, trust store, proxy, registry config) is used, and it tells free space and runs --pull"),
    HOST_ROOT,
    timeoutSeconds("network step"),
    { flags: "--pull", description: "also pull the image through the runtime (CRI PullImage) and classify its error" },
    pullDeadlineSeconds("how long a pull may take before it counts as pull-timeout", DEFAULT_PULL_DEADLINE_SECONDS),
    JSON_OUTPUT,
  ],
  run: async ({ args: [image], flags, env, progress }) => (await import("./diagnose.js")).diagnoseVerb(image, flags, env, progress),
};

const pulls: Verb<[], PullsFlags> = {
  name: "pulls",
  ...opensWithSummary(
    "show the node's image pulls in flight: a live bar per image with bytes, layers, rate and ETA; stalls",
    "Reads containerd's content store (the blobs being written, over the CRI socket, in the k8s.io\n" +
      "namespace) and maps each to its image. In a terminal the bars refresh in place until Ctrl-C;\n" +
      "piped, or with --json, one snapshot (exit 1 when a pull is stalled). CRI-O has no API for\n" +
      "pulls in flight: there the verb says progress is not available.",
  ),
  options: [
    JSON_OUTPUT,
    criEndpoint(),
    timeoutSeconds("runtime call"),
    { flags: "--stall-after <duration>", description: "a pull that wrote nothing for this long is stalled", default: "60s" },
    { flags: "--interval <duration>", description: "how often the bars refresh", default: "1s" },
  ],
  run: async ({ flags, env }) => (await import("./pulls.js")).pullsVerb(flags, env),
};

const quota: Verb<[], QuotaFlags> = {
  name: "quota",
  summary: "read this node's Docker Hub pull quota: pulls left, limit, window and the source it is counted against",
  description:
    "Read this node's Docker Hub pull quota: pulls left, limit, window and the source it is counted against.\n\n" +
    "Runs Docker Hub's documented check: a pull token for ratelimitpreview/test,\n" +
    "then a HEAD of its latest manifest (a HEAD uses no pull), and reads the\n" +
    "ratelimit-* headers. No headers means Hub does not count these pulls (paid\n" +
    "account or unlimited source). With --docker-config, the docker.io entry\n" +
    "kubelet would use is checked instead of the anonymous (per-IP) quota.\n" +
    "Exit 0 when pulls are left or unlimited, 1 when the quota is used up or the\n" +
    "check failed.",
  options: [
    dockerConfig("the node's Docker Hub credentials as a .dockerconfigjson file"),
    criEndpoint("Docker Hub is asked through its process's resolver, trust store and proxy"),
    { flags: "--registry-url <url>", description: "the Docker Hub registry API to ask (a stand-in, for testing)", default: "https://registry-1.docker.io" },
    timeoutSeconds("network step"),
    JSON_OUTPUT,
  ],
  run: async ({ flags, env }) => (await import("./quota.js")).quotaVerb(flags, env),
};

interface ExplainFlags extends JsonFlag {
  coverage?: boolean;
}

const explain: Verb<[string | undefined], ExplainFlags> = {
  name: "explain",
  summary: "name the cause of a runtime or kubelet pull error message, with the fix",
  description:
    "Name the cause of a runtime or kubelet pull error message, with the fix.\n\n" +
    "Knows the wording of containerd 1.2 to 2.x, k3s/RKE2, CRI-O and containers/image, Docker,\n" +
    "kubelet, Go's network and certificate errors and the big registries' own answers, with or\n" +
    "without the `rpc error: code = … desc =` wrapper. A message that decides nothing is `unknown`,\n" +
    "never a guess; one that could mean two causes says so and puts `pullmedic diagnose` first.\n\n" +
    "Paste anything: a whole `kubectl describe pod`, `kubectl get events` (table, wide, JSON, YAML),\n" +
    "kubelet or containerd journal lines. The most precise pull message in it is explained, and the\n" +
    "fix commands carry the namespace, pod, workload, node and Secret names read there.\n" +
    "Examples:\n" +
    "  kubectl describe pod -n shop api-7c9f8d-x2kq | pullmedic explain -\n" +
    "  pullmedic explain 'failed to resolve reference \"ghcr.io/acme/api:2.4\": not found'\n" +
    "  pullmedic explain --coverage    # the message table the rules are tested against",
  arguments: [{ syntax: "[message]", description: "the error text, or a whole paste; - reads it from stdin" }],
  options: [{ flags: "--coverage", description: "print the table of runtime messages the rules are tested on, per component and cause" }, JSON_OUTPUT],
  run: async ({ args: [message], flags }) => (await import("./explain.js")).explainVerb(message, flags),
};

const probe: Verb<[string[]], ProbeFlags> = {
  name: "probe",
  summary: "check that this node reaches its registries: DNS, TCP, TLS and GET /v2/ on every host containerd would use",
  // No line breaks inside paragraphs: commander wraps them to the terminal.
  description:
    "Check that this node reaches its registries: DNS, TCP, TLS and GET /v2/ on every host containerd " +
    "would use, mirrors from hosts.toml included, with the certificate's days left.\n\n" +
    "Without REGISTRY arguments, probes every registry an image on this node comes from (listed through " +
    "the runtime). A registry is healthy when at least one of its hosts answers /v2/ (200 or 401); a " +
    "failing mirror or a certificate expiring within 14 days is a warning. Exit 0 when every registry " +
    "is healthy, 1 otherwise.",
  arguments: [
    {
      syntax: "[registry...]",
      description:
        "registry hosts as image references name them, e.g. docker.io ghcr.io registry.example.com:5000 (default: every registry of an image on this node)",
    },
  ],
  options: [
    HOSTS_DIR,
    criEndpoint("lists the node's images, tells containerd's version, and its process's view is used"),
    HOST_ROOT,
    timeoutSeconds("network step"),
    JSON_OUTPUT,
  ],
  run: async ({ args: [registries], flags, env }) => (await import("./probe.js")).probeVerb(registries, flags, env),
};

const runtime: Verb<[], RuntimeViewFlags> = {
  name: "runtime",
  ...opensWithSummary(
    "show the runtime's own view of the network: resolver, trust store, proxy and registry config, and where each was read",
    "Finds the process serving the CRI socket (by the socket's inode, through /proc) and reads, as that\n" +
      "process sees them: its environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE, SSL_CERT_DIR),\n" +
      "its /etc/resolv.conf, /etc/hosts and nsswitch.conf, its trust store as Go builds it, and its registry\n" +
      "configuration (containerd: CRI status, config.toml with imports, config_path or the older mirrors;\n" +
      "CRI-O: registries.conf). Every diagnosis and probe uses this view. Needs root with CAP_SYS_PTRACE\n" +
      "and the node's PID namespace; otherwise --host-root, else this process's own files, said as such.\n" +
      "Exit 0 when read from the runtime process without problems, 1 otherwise.",
  ),
  options: [criEndpoint(), HOST_ROOT, HOSTS_DIR, timeoutSeconds("runtime call"), JSON_OUTPUT],
  run: async ({ flags, env }) => (await import("./runtime.js")).runtimeVerb(flags, env),
};

const agent: Verb<[], AgentFlags> = {
  name: "agent",
  summary: "run the node agent: pod watch, disk, prune, registry probes, Docker Hub quota, metrics (what `npm start` runs)",
  description:
    "Run the node agent until SIGTERM or SIGINT: the image filesystem and images every 30 s, image\n" +
    "prune on a schedule and when the disk crosses the high watermark, registry probes, Docker Hub\n" +
    "quota, with the findings on HTTP: /healthz, /readyz, /metrics (Prometheus), /v1/state (JSON).\n\n" +
    "In a pod (or with KUBECONFIG / --kubeconfig) it also watches the node's pods: a pull failure is\n" +
    "diagnosed from the node within a second and answered on the pod as a PullDiagnosis Event, and\n" +
    "the node conditions ImageFsPressure and RegistryUnreachable are set and cleared.\n\n" +
    "Configuration: a YAML file (--config or $PULLMEDIC_CONFIG), then environment (NODE_NAME,\n" +
    "CRI_ENDPOINT, PULLMEDIC_LISTEN, PULLMEDIC_HOSTS_DIR, PULLMEDIC_STATE_FILE, PULLMEDIC_LOG_LEVEL,\n" +
    "PULLMEDIC_LOG_FORMAT), then these flags. An unknown or invalid key stops the agent with exit 2.\n" +
    "It listens on 127.0.0.1:9476 unless told otherwise (a DaemonSet sets 0.0.0.0:9476).",
  options: [
    CONFIG_FILE,
    criEndpoint(),
    withoutDefault(HOSTS_DIR),
    { flags: "--listen <host:port>", description: "address for /healthz, /readyz, /metrics and /v1/state" },
    stateFile("where image ages are kept across restarts"),
    { flags: "--kubeconfig <file>", description: "watch pods through this kubeconfig (default: $KUBECONFIG, else the pod's service account)" },
    { flags: "--with-aggregator", description: "also run an aggregator in this process and report to it: the dashboard of this one machine (npm start)" },
    {
      flags: "--dashboard-listen <host:port>",
      description: "with --with-aggregator: where the dashboard listens, loopback only (default 127.0.0.1:9478, or $PULLMEDIC_DASHBOARD_LISTEN)",
    },
    LOG_FORMAT,
  ],
  run: async ({ flags, logLevel, env }) => ({ exitCode: await (await import("./agent.js")).agentVerb(flags, logLevel, env) }),
};

const aggregator: Verb<[], AggregatorFlags> = {
  name: "aggregator",
  summary: "run the aggregator: agents stream their node reports to it over gRPC, it keeps the cluster view, API and dashboard",
  description:
    "Run the aggregator until SIGTERM or SIGINT. Agents on every node connect to it over gRPC (port 9477) " +
    "with a bearer token and stream their node reports and findings; each message is written to " +
    "SQLite before it is acknowledged, so a restart loses nothing. It serves the cluster view on HTTP " +
    "(port 9478): the dashboard at /, the JSON API under /api/v1/ (nodes, failures, registries, " +
    "quota, disks, coverage, findings, commands), POST /api/v1/prepull, /metrics, /healthz, /readyz.\n\n" +
    "Configuration: a YAML file (--config or $PULLMEDIC_AGGREGATOR_CONFIG), then environment " +
    "(PULLMEDIC_AGGREGATOR_GRPC_LISTEN, PULLMEDIC_AGGREGATOR_HTTP_LISTEN, PULLMEDIC_AGGREGATOR_DATABASE, " +
    "PULLMEDIC_AGGREGATOR_TOKEN_FILE, PULLMEDIC_AGGREGATOR_AGENT_AUTH, PULLMEDIC_AGGREGATOR_HTTP_AUTH, " +
    "PULLMEDIC_AGGREGATOR_KUBECONFIG, PULLMEDIC_AGGREGATOR_TLS_SECRET, PULLMEDIC_AGGREGATOR_TLS_CA_CONFIGMAP, " +
    "PULLMEDIC_AGGREGATOR_TLS_CERT_FILE, PULLMEDIC_AGGREGATOR_TLS_KEY_FILE, PULLMEDIC_AGGREGATOR_PLAINTEXT, " +
    "PULLMEDIC_AGGREGATOR_RETENTION, PULLMEDIC_LOG_LEVEL, PULLMEDIC_LOG_FORMAT), then these flags. " +
    "On loopback agents present a token from the token file (one per line, re-read when it changes). " +
    "Beyond loopback (in a cluster: --grpc-listen 0.0.0.0:9477 --http-listen 0.0.0.0:9478) each agent " +
    "presents its own service-account token and may speak only for its node, HTTP callers are checked " +
    "with TokenReview and SubjectAccessReview, and gRPC needs TLS (docs/access.md). An unknown or " +
    "invalid key stops it with exit 2. It listens on 127.0.0.1 unless told otherwise.",
  options: [
    CONFIG_FILE,
    { flags: "--grpc-listen <host:port>", description: "address agents connect to (default: 127.0.0.1:9477)" },
    { flags: "--http-listen <host:port>", description: "address of the dashboard, API and metrics (default: 127.0.0.1:9478)" },
    { flags: "--database <file|url>", description: "SQLite database file, or a postgres:// URL (default: /var/lib/pullmedic/aggregator.db)" },
    tokenFile("bearer tokens agents and `pullmedic cluster` must present, one per line"),
    LOG_FORMAT,
  ],
  run: async ({ flags, logLevel, env }) => ({ exitCode: await (await import("./aggregator.js")).aggregatorVerb(flags, logLevel, env) }),
};

const clusterPrepull: Verb<[string[]], ClusterPrepullFlags> = {
  name: "prepull",
  summary: "have every connected agent pre-pull images now, staggered to keep each egress source within its Docker Hub quota",
  description:
    "Have every connected agent pre-pull images now, staggered to keep each egress source within its Docker Hub quota.\n\n" +
    "Asks the aggregator (POST /api/v1/prepull) to plan the pulls: nodes behind one egress address share " +
    "a Docker Hub quota, so as many start now as that quota allows (keeping 10 pulls for pods), the rest " +
    "when the quota window ends, and nodes of one source start 2 s apart. Prints the plan (node and start " +
    "time), then follows the command, a line per node and image as its state changes (waiting, pulling, " +
    "pulled, unchanged, deferred, failed), until every node has a final state for every image or --timeout. " +
    "Only agents connected and reporting take part; none is an error.\n\n" +
    "Exit 0 when every image was pulled or unchanged on every planned node, 1 when any failed or was " +
    "deferred, the timeout passed, or the aggregator cannot be reached, 2 for bad usage (bad image " +
    "reference, missing or refused token).",
  arguments: [{ syntax: "<image...>", description: "images every node should have, e.g. nginx:1.27 registry.example.com/team/app:v2" }],
  options: [
    { flags: "--aggregator <url>", description: "the aggregator's HTTP address (default: $PULLMEDIC_AGGREGATOR, else http://127.0.0.1:9478)" },
    tokenFile("a file holding one of the aggregator's bearer tokens (default: $PULLMEDIC_TOKEN_FILE)"),
    { flags: "--no-wait", description: "print the plan and return without following the command" },
    // A duration, not --timeout <seconds>: following a cluster-wide pre-pull takes minutes.
    { flags: "--timeout <duration>", description: "how long to follow the command, e.g. 30s, 10m, 1h", default: "10m" },
    { flags: "--poll-interval <duration>", description: "how often to ask the aggregator for progress", default: "1s", hidden: true },
    JSON_OUTPUT,
  ],
  run: async ({ args: [images], flags, env, progress }) => (await import("./cluster.js")).clusterPrepullVerb(images, flags, env, progress),
};

const cluster: VerbGroup = {
  name: "cluster",
  summary: "act on the whole cluster through the aggregator (pre-pull images on every node)",
  description: "Act on the whole cluster through the aggregator's API.",
  verbs: [clusterPrepull],
};

const cleanup: Verb<[], CleanupFlags> = {
  name: "cleanup",
  ...opensWithSummary(
    "remove the node conditions pullmedic's agents set (ImageFsPressure, RegistryUnreachable), after an uninstall",
    "Lists the nodes with your kubeconfig (or the pod's service account) and removes the two conditions the agents own\n" +
      "from each, leaving kubelet's and everybody else's. The chart's uninstall hook runs it; after\n" +
      "`kubectl delete -f daemonset.yaml`, run it yourself. Needs nodes list and nodes/status patch.",
  ),
  options: [
    { flags: "--node <name>", description: "only this node" },
    { flags: "--dry-run", description: "say what would be removed" },
    KUBECONFIG_OPTION,
    CONTEXT_OPTION,
    JSON_OUTPUT,
  ],
  run: async ({ flags, env }) => (await import("./cleanup.js")).cleanupVerb(flags, env),
};

const completion: Verb<[string], Record<string, never>> = {
  name: "completion",
  ...opensWithSummary(
    "print a shell completion script: bash, zsh or fish",
    "  bash:  source <(pullmedic completion bash)      (or save it under /etc/bash_completion.d/)\n" +
      "  zsh:   source <(pullmedic completion zsh)\n" +
      "  fish:  pullmedic completion fish | source",
  ),
  arguments: [{ syntax: "<shell>", description: "bash, zsh or fish" }],
  options: [],
  run: async ({ args: [shell] }) => (await import("./completion.js")).completionScript(shell, "pullmedic", COMMANDS, [LOG_LEVEL]),
};

/** In the order --help lists them. */
export const COMMANDS: readonly (Verb | VerbGroup)[] = [
  images,
  disk,
  status,
  pulls,
  runtime,
  prune,
  prepull,
  diagnose,
  quota,
  explain,
  probe,
  agent,
  aggregator,
  cluster,
  cleanup,
  completion,
];
