// The report room: what the agent knows of its node (NodeState, typed by check), and the ways it
// tells others: Prometheus metrics, the node report for the aggregator, and the reporter that
// streams it. Other folders import only this file.
import type { Reporter, ReporterOptions } from "./reporter.js";

export type { CheckName, CheckResults, ImagesFinding, ProbeFinding, PruneFinding } from "./findings.js";
export { createMetrics, type Metrics } from "./metrics/index.js";
export { buildNodeReport, type PodWatchReportView } from "./node-report.js";
export { NodeState } from "./node-state.js";
export type { Reporter, ReporterStatus } from "./reporter.js";

/** A reporter, its module loaded only when an aggregator is configured. */
export async function createReporter(opts: ReporterOptions): Promise<Reporter> {
  const { Reporter } = await import("./reporter.js");
  return new Reporter(opts);
}
