import type { ClusterPrepullFlags } from "../cluster.js";
import { JSON_OUTPUT, tokenFile } from "../options.js";
import type { Verb, VerbGroup } from "../verb.js";

const prepull: Verb<[string[]], ClusterPrepullFlags> = {
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
  run: async ({ args: [images], flags, env, progress }) => (await import("../cluster.js")).clusterPrepullVerb(images, flags, env, progress),
};

export const cluster: VerbGroup = {
  name: "cluster",
  summary: "act on the whole cluster through the aggregator (pre-pull images on every node)",
  description: "Act on the whole cluster through the aggregator's API.",
  verbs: [prepull],
};
