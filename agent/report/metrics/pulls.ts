import type { MetricFamily, Sample, Scrape } from "./family.js";

/** One sample per registry seen pulling since the agent started: 0 once its pulls are over. */
function perRegistry(value: (r: { inFlight: number; stalled: number; bytesPerSecond: number }) => number): (s: Scrape) => Sample[] {
  return ({ state }) => (state.result("pulls")?.registries ?? []).map((r): Sample => [{ registry: r.registry }, value(r)]);
}

export const pullsMetrics: readonly MetricFamily[] = [
  {
    name: "pullmedic_pulls_in_flight",
    help: "Image pulls in flight on this node (containerd's content store), by the registry the image names.",
    type: "gauge",
    labels: ["registry"],
    samples: perRegistry((r) => r.inFlight),
  },
  {
    name: "pullmedic_pulls_stalled",
    help: "Pulls in flight that wrote no byte for pulls.stallAfter (60 s by default), by registry.",
    type: "gauge",
    labels: ["registry"],
    samples: perRegistry((r) => r.stalled),
  },
  {
    name: "pullmedic_pull_bytes_per_second",
    help: "Download rate of the pulls in flight (smoothed), by registry.",
    type: "gauge",
    labels: ["registry"],
    samples: perRegistry((r) => r.bytesPerSecond),
  },
  {
    name: "pullmedic_pods_waiting_for_pull",
    help: "Pods on this node waiting for an image being pulled now.",
    type: "gauge",
    labels: [],
    samples: ({ state }) => {
      const view = state.result("pulls");
      return view === undefined ? [] : [[{}, new Set(view.pulls.flatMap((p) => p.pods)).size]];
    },
  },
];
