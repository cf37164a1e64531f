import type { PrepullImageStatus } from "../../prepull/index.js";
import type { MetricFamily, Sample, Scrape } from "./family.js";

const SHOWN_STATES = ["present", "pulling", "failed", "deferred"];

/** One sample per pre-pulled image that has the figure. */
function perImage(value: (p: PrepullImageStatus) => number | undefined): (scrape: Scrape) => Sample[] {
  return ({ state }) =>
    (state.result("prepull") ?? []).flatMap((p): Sample[] => {
      const v = value(p);
      return v === undefined ? [] : [[{ image: p.image }, v]];
    });
}

const seconds = (iso: string | undefined) => (iso ? Date.parse(iso) / 1000 : undefined);

export const prepullMetrics: readonly MetricFamily[] = [
  {
    name: "pullmedic_prepull_image_state",
    help: "1 for the pre-pull state each critical image is in (present, pulling, failed, deferred).",
    type: "gauge",
    labels: ["image", "state"],
    samples: ({ state }) =>
      (state.result("prepull") ?? []).flatMap((p) => SHOWN_STATES.map((st): Sample => [{ image: p.image, state: st }, p.state === st ? 1 : 0])),
  },
  {
    name: "pullmedic_prepull_image_bytes",
    help: "Size of the pre-pulled image as the runtime counts it.",
    type: "gauge",
    labels: ["image"],
    samples: perImage((p) => p.bytes),
  },
  {
    name: "pullmedic_prepull_last_pull_duration_seconds",
    help: "How long the last pull of the image took.",
    type: "gauge",
    labels: ["image"],
    samples: perImage((p) => (p.durationMs === undefined ? undefined : p.durationMs / 1000)),
  },
  {
    name: "pullmedic_prepull_last_pull_timestamp_seconds",
    help: "When the image was last pulled by the pre-puller.",
    type: "gauge",
    labels: ["image"],
    samples: perImage((p) => seconds(p.lastPull)),
  },
  {
    name: "pullmedic_prepull_last_check_timestamp_seconds",
    help: "When the image's tag was last checked against the registry.",
    type: "gauge",
    labels: ["image"],
    samples: perImage((p) => seconds(p.lastCheck)),
  },
];
