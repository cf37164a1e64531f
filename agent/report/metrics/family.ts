// A metric family declared as data: its name, help, type and labels, and how to read its samples
// from one scrape. Nothing is kept between scrapes: a gauge is always the latest finding.

import type { QuotaFinding } from "../findings.js";
import type { NodeState } from "../node-state.js";

/** What the pod watch shows the metrics; structurally the pod watch's snapshot. */
export interface PodWatchMetricsView {
  watch: { state: string; relists: number; reconnects: number; skipped: number };
  pods: number;
  /** `pod` is namespace/name. */
  failures: { pod: string; image: string; cause?: string; detectionMs?: number }[];
  hygiene: { kind: string }[];
  secrets?: { secret: string; registry: string; state: string }[];
  totals: {
    failuresByCause: Record<string, number>;
    recovered: number;
    recoveredSeconds: number;
    diagnoses: number;
    eventsCreated: number;
    eventsPatched: number;
    eventErrors: number;
  };
}

/** What the reporter shows the metrics; structurally its status. */
export interface ReporterMetricsView {
  connected: boolean;
  buffered: number;
  dropped: number;
  acked: number;
  reconnects: number;
}

/** What every family reads from, for one scrape. */
export interface Scrape {
  readonly state: NodeState;
  quotaReadings(): QuotaFinding[];
  /** The pod watch's snapshot, taken once per scrape however many families read it. */
  podWatch(): PodWatchMetricsView | undefined;
  reporter(): ReporterMetricsView | undefined;
}

export type Labels = Record<string, string>;
export type Sample = readonly [labels: Labels, value: number];

export interface MetricFamily {
  name: string;
  help: string;
  /** Totals since the agent started only ever grow: counters (a _total name says so to Prometheus). */
  type: "gauge" | "counter";
  labels: readonly string[];
  /** The samples of this scrape; a family without labels and without a sample reads 0. */
  samples(scrape: Scrape): Iterable<Sample>;
}

/** A family without labels whose one value may be missing (then it reads 0). */
export function single(value: number | undefined): Sample[] {
  return value === undefined ? [] : [[{}, value]];
}

/** How many of `items` fall under each key, as samples labelled `label`. */
export function countBy<T>(items: readonly T[], label: string, key: (item: T) => string): Sample[] {
  const by = new Map<string, number>();
  for (const item of items) by.set(key(item), (by.get(key(item)) ?? 0) + 1);
  return [...by].map(([k, n]) => [{ [label]: k }, n]);
}
