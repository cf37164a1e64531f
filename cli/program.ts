import { Command, CommanderError, Option } from "commander";
import { CriError } from "../agent/runtime/index.js";
import { DEFAULT_HOSTS_DIR, DEFAULT_PULL_DEADLINE_SECONDS, DEFAULT_TIMEOUT_SECONDS } from "./defaults.js";
import type { DiagnoseFlags } from "./diagnose.js";
import { EXIT_USAGE, errorKind, exitCodeFor } from "./errors.js";
import type { VerbResult } from "./result.js";
import type { RuntimeFlags } from "./runtime-options.js";
import { LOG_LEVELS, createLogger, redactText, setLogger, type LogLevel } from "../core/log/index.js";
import { VERSION } from "../core/process/index.js";

interface CommonFlags extends RuntimeFlags {
  json?: boolean;
}

const ENDPOINT_HELP = "CRI socket, e.g. unix:///run/containerd/containerd.sock (default: $CRI_ENDPOINT, then detected)";

function runtimeVerb(program: Command, name: string, summary: string, details: string, run: (flags: CommonFlags) => Promise<VerbResult>): void {
  program
    .command(name)
    .summary(summary)
    .description(`${summary}\n\n${details}`)
    .option("--json", "print one JSON object on stdout instead of text")
    .option("--cri-endpoint <url>", ENDPOINT_HELP)
    .option("--timeout <seconds>", "deadline for each runtime call", String(DEFAULT_TIMEOUT_SECONDS))
    .action(async (flags: CommonFlags) => {
      const result = await run(flags);
      process.stdout.write(flags.json ? `${JSON.stringify(result.json)}\n` : result.text);
      process.exitCode = result.exitCode;
    });
}

export function buildProgram(env: NodeJS.ProcessEnv): Command {
  const program = new Command();
  // Set before the verbs are added: commander copies these settings into each subcommand.
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .name("pullmedic")
    .description(
      "Keeps Kubernetes nodes able to pull their images, and says exactly why when they cannot.\n" +
        "Talks to the node's container runtime over its CRI socket (containerd, k3s, RKE2, MicroK8s, k0s, CRI-O).",
    )
    .version(VERSION, "-V, --version")
    .addOption(new Option("--log-level <level>", "log verbosity on stderr").choices([...LOG_LEVELS]).default("warn"))
    .showHelpAfterError("(run pullmedic --help for usage)")
    .addHelpText(
      "after",
      "\nExit codes: 0 healthy or done, 1 a problem was found, 2 bad usage or bad input.\n" +
        "Try it without a cluster: `npm run lab` starts a real containerd and registry and prints the socket to use.",
    );

  runtimeVerb(program, "images", "list the node's images: tags, digests, size, pinned, which containers use them",
    "Joins the runtime's images with its containers (running and exited) and pod sandboxes, so each\n" +
      "image shows whether it is in use, pinned by the runtime, or the sandbox (pause) image.",
    async (flags) => (await import("./images.js")).imagesVerb(flags, env));
  runtimeVerb(program, "disk", "show the image filesystem: runtime usage plus the host's capacity, free space and inodes",
    "Reads CRI ImageFsInfo for the image filesystem's mount point, then statfs(2) on it for capacity,\n" +
      "free bytes and inodes. Exits 1 when the disk is past kubelet's image GC threshold (85 %).",
    async (flags) => (await import("./disk.js")).diskVerb(flags, env));
  runtimeVerb(program, "status", "this node at a glance, once: runtime health, images and disk",
    "One read of the runtime's conditions, its images and its image filesystem.",
    async (flags) => (await import("./status.js")).statusVerb(flags, env));
  program
    .command("prune")
    .summary("remove unused images by policy: watermarks, minimum age, protected list (try --dry-run first)")
    .description(
      "Remove unused images by policy (try --dry-run first).\n\n" +
        "Works like kubelet's image GC, with the protections it lacks. When the image\n" +
        "filesystem is at least --high full, removes images least recently used first\n" +
        "until it would be under --low. Never removes a pinned image, the sandbox (pause)\n" +
        "image, an image any container uses (running, created or exited), a --protect\n" +
        "match, or an image unused for less than --min-age. Image ages are kept in\n" +
        "--state-file across restarts; a dry run only reads it.\n" +
        "Exit 0 when done, 1 when an image could not be removed.",
    )
    .option("--dry-run", "show the plan; remove nothing and write nothing")
    .option("--force", "act as if the disk were past --high: down to --low, or, already under it, every image the rules allow")
    .option("--high <percent>", "start pruning at this image filesystem usage, 1-99 (default: 80)")
    .option("--low <percent>", "stop once usage would be under this, below --high (default: 70)")
    .option("--min-age <duration>", "keep images unused for less than this, e.g. 30m, 24h, 7d (default: 24h)")
    .option("--max-age <duration>", "remove images unused for longer than this even under --high (default: off)")
    .option("--protect <pattern>", "never remove: repo:tag, repo:* or registry/* (repeatable)", (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option("--state-file <file>", "where image ages are kept (default: /var/lib/pullmedic/state.json)")
    .option("--cri-endpoint <url>", ENDPOINT_HELP)
    .option("--timeout <seconds>", "deadline for each runtime call", String(DEFAULT_TIMEOUT_SECONDS))
    .option("--json", "print one JSON object on stdout instead of text")
    .action(async (flags: import("./prune.js").PruneFlags) => {
      const result = await (await import("./prune.js")).pruneVerb(flags, env);
      process.stdout.write(flags.json ? `${JSON.stringify(result.json)}\n` : result.text);
      process.exitCode = result.exitCode;
    });
  program
    .command("prepull")
    .argument("<image...>", "images to have on this node, e.g. nginx:1.27 registry.example.com/team/app:v2")
    .summary("pull images onto this node now, only those missing or whose tag moved, with a line per image")
    .description(
      "Pull images onto this node now, only those missing or whose tag moved, with a line per image.\n\n" +
        "Asks each image's registry for the tag's digest with a manifest HEAD (Docker Hub does not count a\n" +
        "HEAD as a pull) through the host containerd would use, and compares it with the node's copy: the\n" +
        "same digest is `unchanged` and nothing is downloaded. Otherwise CRI PullImage, a few at a time,\n" +
        "retried with back-off. A Docker Hub pull waits (`deferred`) when the quota the HEADs report is\n" +
        "under 10 pulls, keeping the last ones for pods. Failures carry a cause and a fix, as in diagnose.\n" +
        "Exit 0 when no image failed (deferred is not a failure), 1 otherwise.",
    )
    .option("--docker-config <file>", "pull credentials as a .dockerconfigjson file, used for every image it has an entry for")
    .option("--hosts-dir <dir>", "containerd's registry host config (certs.d) directory", DEFAULT_HOSTS_DIR)
    .option("--cri-endpoint <url>", ENDPOINT_HELP)
    .option("--concurrency <n>", "images worked on at once, 1-16", "2")
    .option("--timeout <seconds>", "deadline for each registry step and runtime call", String(DEFAULT_TIMEOUT_SECONDS))
    .option("--pull-deadline <seconds>", "how long one pull may take", "600")
    .option("--json", "print one JSON object on stdout instead of text")
    .action(async (images: string[], flags: import("./prepull.js").PrepullFlags) => {
      const result = await (await import("./prepull.js")).prepullVerb(images, flags, env, (line) => process.stdout.write(line));
      process.stdout.write(flags.json ? `${JSON.stringify(result.json)}\n` : result.text);
      process.exitCode = result.exitCode;
    });

  program
    .command("diagnose")
    .argument("<image>", "the image as the pod spec names it, e.g. nginx:1.27 or registry.example.com/team/app@sha256:…")
    .summary("find from this node why IMAGE cannot be pulled, with evidence and the command that fixes it")
    .description(
      "Find from this node why IMAGE cannot be pulled, with evidence and the command that fixes it.\n\n" +
        "Walks the path the runtime will take, timing each step and stopping at the first decisive failure:\n" +
        "reference → credentials → containerd hosts.toml (mirrors, then the registry) → DNS → TCP → TLS →\n" +
        "/v2/ → token → manifest → platform → free space on the image filesystem → a short download sample\n" +
        "that predicts the pull time → optionally a real pull through the runtime (--pull).\n\n" +
        "Causes: ok, invalid-reference, not-found, auth-required, auth-denied, secret-invalid, rate-limited,\n" +
        "dns, network-timeout, connection-refused, tls, registry-unavailable, platform-mismatch, pull-timeout,\n" +
        "disk-full, never-pull, unknown. Exit 0 when the image can be pulled, 1 otherwise.",
    )
    .option("--docker-config <file>", "pull credentials as a .dockerconfigjson file")
    .option("--secret <file>", "pull credentials as a Kubernetes Secret manifest (YAML or JSON)")
    .option("--platform <os/arch[/variant]>", "the platform to check the image for (default: this node's)")
    .option("--hosts-dir <dir>", "containerd's registry host config (certs.d) directory", DEFAULT_HOSTS_DIR)
    .option("--cri-endpoint <url>", `${ENDPOINT_HELP}; used for free space and --pull`)
    .option("--timeout <seconds>", "deadline for each network step", String(DEFAULT_TIMEOUT_SECONDS))
    .option("--pull", "also pull the image through the runtime (CRI PullImage) and classify its error")
    .option("--pull-deadline <seconds>", "how long a pull may take before it counts as pull-timeout", String(DEFAULT_PULL_DEADLINE_SECONDS))
    .option("--json", "print one JSON object on stdout instead of text")
    .action(async (image: string, flags: DiagnoseFlags) => {
      const { diagnoseVerb } = await import("./diagnose.js");
      const result = await diagnoseVerb(image, flags, env, (line) => process.stdout.write(line));
      process.stdout.write(flags.json ? `${JSON.stringify(result.json)}\n` : result.text);
      process.exitCode = result.exitCode;
    });

  program
    .command("quota")
    .summary("read this node's Docker Hub pull quota: pulls left, limit, window and the source it is counted against")
    .description(
      "Read this node's Docker Hub pull quota: pulls left, limit, window and the source it is counted against.\n\n" +
        "Runs Docker Hub's documented check: a pull token for ratelimitpreview/test,\n" +
        "then a HEAD of its latest manifest (a HEAD uses no pull), and reads the\n" +
        "ratelimit-* headers. No headers means Hub does not count these pulls (paid\n" +
        "account or unlimited source). With --docker-config, the docker.io entry\n" +
        "kubelet would use is checked instead of the anonymous (per-IP) quota.\n" +
        "Exit 0 when pulls are left or unlimited, 1 when the quota is used up or the\n" +
        "check failed.",
    )
    .option("--docker-config <file>", "the node's Docker Hub credentials as a .dockerconfigjson file")
    .option("--registry-url <url>", "the Docker Hub registry API to ask (a stand-in, for testing)", "https://registry-1.docker.io")
    .option("--timeout <seconds>", "deadline for each network step", String(DEFAULT_TIMEOUT_SECONDS))
    .option("--json", "print one JSON object on stdout instead of text")
    .action(async (flags: import("./quota.js").QuotaFlags) => {
      const result = await (await import("./quota.js")).quotaVerb(flags);
      process.stdout.write(flags.json ? `${JSON.stringify(result.json)}\n` : result.text);
      process.exitCode = result.exitCode;
    });

  program
    .command("explain")
    .argument("<message>", "the error text from kubectl describe / events, or - to read it from stdin")
    .summary("name the cause of a runtime or kubelet pull error message, with the fix")
    .description(
      "Name the cause of a runtime or kubelet pull error message, with the fix.\n\n" +
        "Knows the wording of containerd 1.x and 2.x, CRI-O, Docker and kubelet, with or without the\n" +
        "`rpc error: code = … desc =` wrapper. A message that decides nothing is `unknown`, never a guess.\n" +
        "Example: kubectl get events -n shop -o jsonpath='{.items[-1].message}' | pullmedic explain -",
    )
    .option("--json", "print one JSON object on stdout instead of text")
    .action(async (message: string, flags: { json?: boolean }) => {
      const result = await (await import("./explain.js")).explainVerb(message);
      process.stdout.write(flags.json ? `${JSON.stringify(result.json)}\n` : result.text);
      process.exitCode = result.exitCode;
    });
  program
    .command("probe")
    .argument("[registry...]", "registry hosts as image references name them, e.g. docker.io ghcr.io registry.example.com:5000 (default: every registry of an image on this node)")
    .summary("check that this node reaches its registries: DNS, TCP, TLS and GET /v2/ on every host containerd would use")
    .description(
      // No line breaks inside paragraphs: commander wraps them to the terminal.
      "Check that this node reaches its registries: DNS, TCP, TLS and GET /v2/ on every host containerd " +
        "would use, mirrors from hosts.toml included, with the certificate's days left.\n\n" +
        "Without REGISTRY arguments, probes every registry an image on this node comes from (listed through " +
        "the runtime). A registry is healthy when at least one of its hosts answers /v2/ (200 or 401); a " +
        "failing mirror or a certificate expiring within 14 days is a warning. Exit 0 when every registry " +
        "is healthy, 1 otherwise.",
    )
    .option("--hosts-dir <dir>", "containerd's registry host config (certs.d) directory", DEFAULT_HOSTS_DIR)
    .option("--cri-endpoint <url>", `${ENDPOINT_HELP}; lists the node's images and tells containerd's version`)
    .option("--timeout <seconds>", "deadline for each network step", String(DEFAULT_TIMEOUT_SECONDS))
    .option("--json", "print one JSON object on stdout instead of text")
    .action(async (registries: string[], flags: import("./probe.js").ProbeFlags) => {
      const result = await (await import("./probe.js")).probeVerb(registries, flags, env);
      process.stdout.write(flags.json ? `${JSON.stringify(result.json)}\n` : result.text);
      process.exitCode = result.exitCode;
    });
  program
    .command("agent")
    .summary("run the node agent: pod watch, disk, prune, registry probes, Docker Hub quota, metrics (what `npm start` runs)")
    .description(
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
    )
    .option("--config <file>", "YAML configuration file")
    .option("--cri-endpoint <url>", ENDPOINT_HELP)
    .option("--hosts-dir <dir>", "containerd's registry host config (certs.d) directory")
    .option("--listen <host:port>", "address for /healthz, /readyz, /metrics and /v1/state")
    .option("--state-file <file>", "where image ages are kept across restarts")
    .option("--kubeconfig <file>", "watch pods through this kubeconfig (default: $KUBECONFIG, else the pod's service account)")
    .option("--with-aggregator", "also run an aggregator in this process and report to it: the dashboard of this one machine (npm start)")
    .option("--dashboard-listen <host:port>", "with --with-aggregator: where the dashboard listens, loopback only (default 127.0.0.1:9478, or $PULLMEDIC_DASHBOARD_LISTEN)")
    .addOption(new Option("--log-format <format>", "json lines for collectors, or text for a terminal").choices(["json", "text"]))
    .action(async (flags: import("./agent.js").AgentFlags, cmd: Command) => {
      const explicit = cmd.parent?.getOptionValueSource("logLevel") === "cli" ? cmd.optsWithGlobals<{ logLevel: LogLevel }>().logLevel : undefined;
      process.exitCode = await (await import("./agent.js")).agentVerb(flags, explicit, env);
    });
  program
    .command("aggregator")
    .summary("run the aggregator: agents stream their node reports to it over gRPC, it keeps the cluster view, API and dashboard")
    .description(
      "Run the aggregator until SIGTERM or SIGINT. Agents on every node connect to it over gRPC (port 9477) " +
        "with a bearer token and stream their node reports and findings; each message is written to " +
        "SQLite before it is acknowledged, so a restart loses nothing. It serves the cluster view on HTTP " +
        "(port 9478): the dashboard at /, the JSON API under /api/v1/ (nodes, failures, registries, " +
        "quota, disks, coverage, findings, commands), POST /api/v1/prepull, /metrics, /healthz, /readyz.\n\n" +
        "Configuration: a YAML file (--config or $PULLMEDIC_AGGREGATOR_CONFIG), then environment " +
        "(PULLMEDIC_AGGREGATOR_GRPC_LISTEN, PULLMEDIC_AGGREGATOR_HTTP_LISTEN, PULLMEDIC_AGGREGATOR_DATABASE, " +
        "PULLMEDIC_AGGREGATOR_TOKEN_FILE, PULLMEDIC_AGGREGATOR_RETENTION, PULLMEDIC_LOG_LEVEL, " +
        "PULLMEDIC_LOG_FORMAT), then these flags. The token file (one token per line, re-read when it " +
        "changes) is required. An unknown or invalid key stops it with exit 2. It listens on 127.0.0.1 " +
        "unless told otherwise (in a cluster: --grpc-listen 0.0.0.0:9477 --http-listen 0.0.0.0:9478).",
    )
    .option("--config <file>", "YAML configuration file")
    .option("--grpc-listen <host:port>", "address agents connect to (default: 127.0.0.1:9477)")
    .option("--http-listen <host:port>", "address of the dashboard, API and metrics (default: 127.0.0.1:9478)")
    .option("--database <file>", "SQLite database file (default: /var/lib/pullmedic/aggregator.db)")
    .option("--token-file <file>", "bearer tokens agents and `pullmedic cluster` must present, one per line")
    .addOption(new Option("--log-format <format>", "json lines for collectors, or text for a terminal").choices(["json", "text"]))
    .action(async (flags: import("./aggregator.js").AggregatorFlags, cmd: Command) => {
      const explicit = cmd.parent?.getOptionValueSource("logLevel") === "cli" ? cmd.optsWithGlobals<{ logLevel: LogLevel }>().logLevel : undefined;
      process.exitCode = await (await import("./aggregator.js")).aggregatorVerb(flags, explicit, env);
    });
  const cluster = program
    .command("cluster")
    .summary("act on the whole cluster through the aggregator (pre-pull images on every node)")
    .description("Act on the whole cluster through the aggregator's API.");
  cluster
    .command("prepull")
    .argument("<image...>", "images every node should have, e.g. nginx:1.27 registry.example.com/team/app:v2")
    .summary("have every connected agent pre-pull images now, staggered to keep each egress source within its Docker Hub quota")
    .description(
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
    )
    .option("--aggregator <url>", "the aggregator's HTTP address (default: $PULLMEDIC_AGGREGATOR, else http://127.0.0.1:9478)")
    .option("--token-file <file>", "a file holding one of the aggregator's bearer tokens (default: $PULLMEDIC_TOKEN_FILE)")
    .option("--no-wait", "print the plan and return without following the command")
    .option("--timeout <duration>", "how long to follow the command, e.g. 30s, 10m, 1h", "10m")
    .addOption(new Option("--poll-interval <duration>", "how often to ask the aggregator for progress").default("1s").hideHelp())
    .option("--json", "print one JSON object on stdout instead of text")
    .action(async (images: string[], flags: import("./cluster.js").ClusterPrepullFlags) => {
      const result = await (await import("./cluster.js")).clusterPrepullVerb(images, flags, env, (line) => process.stdout.write(line));
      process.stdout.write(flags.json ? `${JSON.stringify(result.json)}\n` : result.text);
      process.exitCode = result.exitCode;
    });
  return program;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const program = buildProgram(env);
  try {
    program.hook("preAction", (cmd) => {
      setLogger(createLogger("cli", cmd.optsWithGlobals<{ logLevel: LogLevel }>().logLevel));
    });
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return ["commander.helpDisplayed", "commander.version", "commander.help"].includes(err.code) ? 0 : EXIT_USAGE;
    }
    const message = redactText(err instanceof Error ? err.message : String(err));
    process.stderr.write(`pullmedic: ${message}\n`);
    if (err instanceof CriError && err.kind === "socket-missing" && err.tried.length > 1) {
      process.stderr.write("hint: no runtime here? In a pullmedic checkout, `npm run lab` starts a real containerd and prints its socket.\n");
    }
    if (argv.includes("--json")) process.stdout.write(`${JSON.stringify({ error: { kind: errorKind(err), message } })}\n`);
    return exitCodeFor(err);
  }
}
