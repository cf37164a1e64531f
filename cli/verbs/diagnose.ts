import { DEFAULT_PULL_DEADLINE_SECONDS } from "../defaults.js";
import type { DiagnoseFlags } from "../diagnose.js";
import { HOSTS_DIR, JSON_OUTPUT, PLATFORM, criEndpoint, dockerConfig, pullDeadlineSeconds, timeoutSeconds } from "../options.js";
import type { Verb } from "../verb.js";

export const diagnose: Verb<[string], DiagnoseFlags> = {
  name: "diagnose",
  summary: "find from this node why IMAGE cannot be pulled, with evidence and the command that fixes it",
  description:
    "Find from this node why IMAGE cannot be pulled, with evidence and the command that fixes it.\n\n" +
    "Walks the path the runtime will take, timing each step and stopping at the first decisive failure:\n" +
    "reference → credentials → containerd hosts.toml (mirrors, then the registry) → DNS → TCP → TLS →\n" +
    "/v2/ → token → manifest → platform → free space on the image filesystem → a short download sample\n" +
    "that predicts the pull time → optionally a real pull through the runtime (--pull).\n\n" +
    "Causes: ok, invalid-reference, not-found, auth-required, auth-denied, secret-invalid, rate-limited,\n" +
    "dns, network-timeout, connection-refused, tls, registry-unavailable, platform-mismatch, pull-timeout,\n" +
    "disk-full, never-pull, unknown. Exit 0 when the image can be pulled, 1 otherwise.",
  arguments: [{ syntax: "<image>", description: "the image as the pod spec names it, e.g. nginx:1.27 or registry.example.com/team/app@sha256:…" }],
  options: [
    dockerConfig(),
    { flags: "--secret <file>", description: "pull credentials as a Kubernetes Secret manifest (YAML or JSON)" },
    PLATFORM,
    HOSTS_DIR,
    criEndpoint("used for free space and --pull"),
    timeoutSeconds("network step"),
    { flags: "--pull", description: "also pull the image through the runtime (CRI PullImage) and classify its error" },
    pullDeadlineSeconds("how long a pull may take before it counts as pull-timeout", DEFAULT_PULL_DEADLINE_SECONDS),
    JSON_OUTPUT,
  ],
  run: async ({ args: [image], flags, env, progress }) => (await import("../diagnose.js")).diagnoseVerb(image, flags, env, progress),
};
