import type { QuotaFinding } from "../findings.js";
import type { MetricFamily, Sample, Scrape } from "./family.js";

/** One sample per quota source that reported the figure. */
function perSource(value: (q: QuotaFinding) => number | undefined): (scrape: Scrape) => Sample[] {
  return (scrape) =>
    scrape.quotaReadings().flatMap((q): Sample[] => {
      const v = value(q);
      return v === undefined ? [] : [[{ source: q.source ?? "unknown" }, v]];
    });
}

export const dockerHubQuotaMetrics: readonly MetricFamily[] = [
  {
    name: "pullmedic_dockerhub_quota_limit",
    help: "Docker Hub pull limit for the source, as ratelimit-limit says.",
    type: "gauge",
    labels: ["source"],
    samples: perSource((q) => q.limit),
  },
  {
    name: "pullmedic_dockerhub_quota_remaining",
    help: "Docker Hub pulls left for the source, as ratelimit-remaining says.",
    type: "gauge",
    labels: ["source"],
    samples: perSource((q) => q.remaining),
  },
  {
    name: "pullmedic_dockerhub_quota_window_seconds",
    help: "Length of Docker Hub's quota window for the source.",
    type: "gauge",
    labels: ["source"],
    samples: perSource((q) => q.windowSeconds),
  },
];
