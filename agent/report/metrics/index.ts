// Prometheus metrics, read from NodeState (and the pod watch and the reporter) when scraped: a
// gauge is always the latest finding, and nothing is kept twice. prom-client is loaded only by
// the daemon. Each family is declared as data in the module of what it describes; a new one is
// added to FAMILIES, whose order is the order of /metrics.

import type { Registry } from "prom-client";
import type { QuotaFinding } from "../findings.js";
import type { NodeState } from "../node-state.js";
import { aggregatorLinkMetrics } from "./aggregator-link.js";
import { checkSuccessMetrics } from "./check-success.js";
import { dockerHubQuotaMetrics } from "./dockerhub-quota.js";
import type { MetricFamily, PodWatchMetricsView, ReporterMetricsView, Scrape } from "./family.js";
import { imageFsMetrics } from "./image-fs.js";
import { imagesMetrics } from "./images.js";
import { podWatchMetrics } from "./pod-watch.js";
import { prepullMetrics } from "./prepull.js";
import { pruneMetrics } from "./prune.js";
import { pullsMetrics } from "./pulls.js";
import { registryProbeMetrics } from "./registry-probes.js";

const FAMILIES: readonly MetricFamily[] = [
  ...imageFsMetrics,
  ...imagesMetrics,
  ...pruneMetrics,
  ...registryProbeMetrics,
  ...dockerHubQuotaMetrics,
  ...prepullMetrics,
  ...podWatchMetrics,
  ...pullsMetrics,
  ...aggregatorLinkMetrics,
  ...checkSuccessMetrics,
];

export interface Metrics {
  contentType: string;
  render(): Promise<string>;
}

export interface MetricSources {
  quotaReadings: () => QuotaFinding[];
  podWatch?: () => PodWatchMetricsView | undefined;
  reporter?: () => ReporterMetricsView | undefined;
}

export async function createMetrics(state: NodeState, sources: MetricSources): Promise<Metrics> {
  const client = await import("prom-client");
  const registry: Registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "pullmedic_process_" });
  withoutGaugeTotals(registry, "pullmedic_process_");
  let scrape = newScrape(state, sources);
  for (const family of FAMILIES) {
    const common = { name: family.name, help: family.help, labelNames: [...family.labels], registers: [registry] };
    if (family.type === "gauge") {
      new client.Gauge({
        ...common,
        collect() {
          this.reset();
          for (const [labels, value] of family.samples(scrape)) this.set(labels, value);
        },
      });
    } else {
      // Counters are rebuilt from the totals on every scrape: reading never adds.
      new client.Counter({
        ...common,
        collect() {
          this.reset();
          for (const [labels, value] of family.samples(scrape)) this.inc(labels, value);
        },
      });
    }
  }
  return {
    contentType: registry.contentType,
    render: () => {
      scrape = newScrape(state, sources);
      return registry.metrics();
    },
  };
}

/**
 * prom-client's defaults include three gauges named *_total, a suffix Prometheus reserves for
 * counters (promtool check metrics flags them). Each is the sum of its per-type gauge, which stays:
 * sum(pullmedic_process_nodejs_active_handles) is the same figure.
 */
function withoutGaugeTotals(registry: Registry, prefix: string): void {
  for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) {
    registry.removeSingleMetric(`${prefix}${name}`);
  }
}

function newScrape(state: NodeState, sources: MetricSources): Scrape {
  let pods: { view: PodWatchMetricsView | undefined } | undefined;
  return {
    state,
    quotaReadings: sources.quotaReadings,
    podWatch: () => {
      pods ??= { view: sources.podWatch?.() };
      return pods.view;
    },
    reporter: () => sources.reporter?.(),
  };
}
