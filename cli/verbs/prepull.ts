import { HOSTS_DIR, JSON_OUTPUT, criEndpoint, dockerConfig, pullDeadlineSeconds, timeoutSeconds } from "../options.js";
import type { PrepullFlags } from "../prepull.js";
import type { Verb } from "../verb.js";

export const prepull: Verb<[string[]], PrepullFlags> = {
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
  run: async ({ args: [images], flags, env, progress }) => (await import("../prepull.js")).prepullVerb(images, flags, env, progress),
};
