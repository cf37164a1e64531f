// The report room: what the agent knows of its node (NodeState, typed by check), and the ways it
// tells others: Prometheus metrics, the node report for the aggregator, and the reporter that
// streams it. Other folders import only this file.
import type { Reporter, ReporterOptions } from "./reporter.js";

export type { CheckName, CheckResults, ImagesFinding, ProbeFinding, ProbeStepFinding, PruneFinding, QuotaFinding } from "./findings.js";
export { NodeState } from "./node-state.js";
export type { CheckOutcome, CheckRecord, NodeStateJson } from "./node-state.js";
export { createMetrics } from "./metrics/index.js";
export type { Metrics, MetricSources, PodWatchMetricsView, ReporterMetricsView } from "./metrics/index.js";
export { buildNodeReport, registryReport } from "./node-report.js";
export type { NodeReportSources, PodWatchReportView } from "./node-report.js";
export type { Reporter, ReporterOptions, ReporterStatus } from "./reporter.js";

/** A reporter, its module loaded only when an aggregator is configured. */
export async function createReporter(opts: ReporterOptions): Promise<Reporter> {
  const { Reporter } = await import("./reporter.js");
  return new Reporter(opts);
}
