import { JSON_OUTPUT, dockerConfig, timeoutSeconds } from "../options.js";
import type { QuotaFlags } from "../quota.js";
import type { Verb } from "../verb.js";

export const quota: Verb<[], QuotaFlags> = {
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
    { flags: "--registry-url <url>", description: "the Docker Hub registry API to ask (a stand-in, for testing)", default: "https://registry-1.docker.io" },
    timeoutSeconds("network step"),
    JSON_OUTPUT,
  ],
  run: async ({ flags }) => (await import("../quota.js")).quotaVerb(flags),
};
