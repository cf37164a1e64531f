import type { ProbeStepFinding } from "../findings.js";
import type { MetricFamily, Sample, Scrape } from "./family.js";

/** One sample per step of every host of every probed registry. */
function perStep(value: (step: ProbeStepFinding) => number): (scrape: Scrape) => Sample[] {
  return ({ state }) =>
    (state.result("probes") ?? []).flatMap((p) =>
      p.hosts.flatMap((h) => h.steps.map((s): Sample => [{ registry: p.registry, host: h.url, step: s.step }, value(s)])),
    );
}

export const registryProbeMetrics: readonly MetricFamily[] = [
  {
    name: "pullmedic_registry_probe_success",
    help: "1 when the step succeeded on the registry host in the latest probe.",
    type: "gauge",
    labels: ["registry", "host", "step"],
    samples: perStep((s) => (s.ok ? 1 : 0)),
  },
  {
    name: "pullmedic_registry_probe_duration_seconds",
    help: "Time each probe step took.",
    type: "gauge",
    labels: ["registry", "host", "step"],
    samples: perStep((s) => s.ms / 1000),
  },
  {
    name: "pullmedic_registry_up",
    help: "1 when at least one host the runtime would use answers the registry API.",
    type: "gauge",
    labels: ["registry"],
    samples: ({ state }) => (state.result("probes") ?? []).map((p): Sample => [{ registry: p.registry }, p.ok ? 1 : 0]),
  },
  {
    name: "pullmedic_registry_certificate_expiry_seconds",
    help: "Seconds until the registry host's TLS certificate expires (negative: expired).",
    type: "gauge",
    labels: ["registry", "host"],
    samples: ({ state }) =>
      (state.result("probes") ?? []).flatMap((p) =>
        p.hosts.flatMap((h): Sample[] =>
          h.certificate ? [[{ registry: p.registry, host: h.url }, (Date.parse(h.certificate.validTo) - Date.now()) / 1000]] : [],
        ),
      ),
  },
];
