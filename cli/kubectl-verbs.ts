// The kubectl plugin's verbs, declared as data like verbs.ts: `kubectl pullmedic why|failures|nodes|
// prepull|cleanup`. Each implementation is imported when it runs.

import type { CleanupFlags } from "./cleanup.js";
import type { AggregatorFlags } from "./kubectl-aggregator.js";
import type { WhyFlags } from "./kubectl-why.js";
import { CONTEXT_OPTION, JSON_OUTPUT, KUBECONFIG_OPTION } from "./options.js";
import type { ProgramSpec } from "./program.js";
import type { OptionSpec, Verb } from "./verb.js";

const PULLMEDIC_NAMESPACE: OptionSpec = { flags: "--pullmedic-namespace <namespace>", description: "where pullmedic is installed", default: "pullmedic" };
const CONNECTION: readonly OptionSpec[] = [KUBECONFIG_OPTION, CONTEXT_OPTION];
const AGGREGATOR_OPTIONS: readonly OptionSpec[] = [
  PULLMEDIC_NAMESPACE,
  { flags: "--service <name>", description: "the aggregator's Service", default: "pullmedic-aggregator" },
  ...CONNECTION,
  JSON_OUTPUT,
];

const why: Verb<[string], WhyFlags> = {
  name: "why",
  summary: "why POD cannot pull: pullmedic's diagnosis Event, else the diagnosis of the agent on its node",
  description:
    "Why POD cannot pull its image, with the evidence and the command that fixes it.\n\n" +
    "Reads the pod's PullDiagnosis Events. When there are none yet, asks the agent on the pod's node for its\n" +
    "diagnosis through the API server's pod proxy (pods/proxy). Failing both, shows what kubelet says.\n" +
    "Uses your kubeconfig and your own access. Exit 0 when the pod is not failing to pull, 1 when it is.",
  arguments: [{ syntax: "<pod>", description: "the pod's name" }],
  options: [
    { flags: "-n, --namespace <namespace>", description: "the pod's namespace (default: the context's, else default)" },
    PULLMEDIC_NAMESPACE,
    ...CONNECTION,
    JSON_OUTPUT,
  ],
  run: async ({ args: [pod], flags, env }) => (await import("./kubectl-why.js")).whyVerb(pod, flags, env),
};

const failures: Verb<[], AggregatorFlags> = {
  name: "failures",
  summary: "pull failures across the cluster, grouped by cause and image (the aggregator, through the API server)",
  description: "Pull failures open across the cluster, grouped by cause and image, from the aggregator through the API server's service proxy.",
  options: AGGREGATOR_OPTIONS,
  run: async ({ flags, env }) => (await import("./kubectl-aggregator.js")).failuresVerb(flags, env),
};

const nodes: Verb<[], AggregatorFlags> = {
  name: "nodes",
  summary: "each node's agent: reporting or stale, runtime, failures, conditions",
  description: "Each node as the aggregator knows it: its agent reporting or stale, its runtime, its open failures and node conditions.",
  options: AGGREGATOR_OPTIONS,
  run: async ({ flags, env }) => (await import("./kubectl-aggregator.js")).nodesVerb(flags, env),
};

const prepull: Verb<[string[]], AggregatorFlags> = {
  name: "prepull",
  summary: "have every connected agent pre-pull IMAGEs now (the aggregator plans it per Docker Hub egress source)",
  description: "Asks the aggregator, through the API server's service proxy, to have every connected agent pre-pull the images now. Prints the plan.",
  arguments: [{ syntax: "<image...>", description: "images every node should have" }],
  options: AGGREGATOR_OPTIONS,
  run: async ({ args: [images], flags, env }) => (await import("./kubectl-aggregator.js")).prepullVerb(images, flags, env),
};

const cleanup: Verb<[], CleanupFlags> = {
  name: "cleanup",
  summary: "remove the node conditions pullmedic's agents set (after an uninstall)",
  description: "Removes ImageFsPressure and RegistryUnreachable, the node conditions pullmedic's agents own, from every node (or --node).",
  options: [
    { flags: "--node <name>", description: "only this node" },
    { flags: "--dry-run", description: "say what would be removed" },
    ...CONNECTION,
    JSON_OUTPUT,
  ],
  run: async ({ flags, env }) => (await import("./cleanup.js")).cleanupVerb(flags, env),
};

export const KUBECTL_PLUGIN: ProgramSpec = {
  name: "kubectl pullmedic",
  description: "pullmedic as a kubectl plugin: why pods cannot pull, the cluster's failures and nodes, pre-pulls, with your kubeconfig and your own access.",
  helpAfter:
    "\nThe RBAC it needs is the chart's optional ClusterRole (userClusterRole.enabled): read pods, Events and nodes,\n" +
    "GET pods/proxy for the agents, GET and POST services/proxy for the aggregator.",
  commands: [why, failures, nodes, prepull, cleanup],
};
