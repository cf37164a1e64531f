import { HOSTS_DIR, JSON_OUTPUT, criEndpoint, timeoutSeconds } from "../options.js";
import type { ProbeFlags } from "../probe.js";
import type { Verb } from "../verb.js";

export const probe: Verb<[string[]], ProbeFlags> = {
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
      description: "registry hosts as image references name them, e.g. docker.io ghcr.io registry.example.com:5000 (default: every registry of an image on this node)",
    },
  ],
  options: [HOSTS_DIR, criEndpoint("lists the node's images and tells containerd's version"), timeoutSeconds("network step"), JSON_OUTPUT],
  run: async ({ args: [registries], flags, env }) => (await import("../probe.js")).probeVerb(registries, flags, env),
};
