import type { AgentFlags } from "../agent.js";
import { CONFIG_FILE, HOSTS_DIR, LOG_FORMAT, criEndpoint, stateFile, withoutDefault } from "../options.js";
import type { Verb } from "../verb.js";

export const agent: Verb<[], AgentFlags> = {
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
  run: async ({ flags, logLevel, env }) => ({ exitCode: await (await import("../agent.js")).agentVerb(flags, logLevel, env) }),
};
