// The agent's link to the aggregator: full node reports on an interval, findings as they happen
// (kept until acknowledged), and the aggregator's commands (a cluster-wide pre-pull) carried out
// with progress sent back. Absent when no aggregator is configured; findings then go nowhere.

import { readTextFile } from "../../core/fs/index.js";
import { type Logger, redactStrings, rememberSecret } from "../../core/log/index.js";
import { VERSION } from "../../core/process/index.js";
import type { Finding, NodeReport } from "../../core/protocol/index.js";
import type { AgentConfig } from "../config/index.js";
import type { PrepullImageStatus } from "../prepull/index.js";
import type { QuotaTracker } from "../quota/index.js";
import {
  buildNodeReport,
  createReporter,
  type NodeState,
  type PodWatchReportView,
  type PruneFinding,
  type Reporter,
  type ReporterStatus,
} from "../report/index.js";
import { AggregatorCommands, type CommandDeps } from "./aggregator-commands.js";

/** Where checks hand over what happened; a no-op without an aggregator. */
export interface FindingSink {
  prepull(status: PrepullImageStatus): void;
  prune(f: PruneFinding, images: string[]): void;
  add(f: Omit<Finding, "id" | "atMs">): void;
}

export interface ReportSide {
  findings: FindingSink;
  /** A report within a second (debounced; what changed only, when the aggregator takes deltas): something a cluster view shows has changed. */
  reportSoon(): void;
  status(): ReporterStatus | undefined;
  report(): NodeReport;
  stop(): Promise<void>;
}

export interface ReportSources extends Pick<CommandDeps, "prepull" | "pause"> {
  state: NodeState;
  quota: QuotaTracker;
  podWatch: () => PodWatchReportView | undefined;
  conditions: () => { type: string; status: string; reason?: string; message?: string }[];
  runtime: () => string | undefined;
}

export async function startReportSide(config: AgentConfig, log: Logger, src: ReportSources, address: string | undefined): Promise<ReportSide> {
  // Every string of the report is redacted: it leaves the node (the aggregator, /v1/report).
  const report = () =>
    redactReport({
      state: src.state,
      quota: src.quota.bySource(),
      podWatch: src.podWatch(),
      conditions: src.conditions(),
      runtime: src.runtime(),
      now: Date.now(),
    });
  if (address === undefined) {
    const none: FindingSink = { prepull: () => undefined, prune: () => undefined, add: () => undefined };
    return { findings: none, reportSoon: () => undefined, status: () => undefined, report, stop: async () => undefined };
  }
  const tokenFile = config.report.tokenFile;
  // Commands arrive on the stream once it is started, when both exist.
  const reporter = await createReporter({
    address,
    // A token file holds one token; 64 KiB is far past any, and a FIFO or device is refused (core/fs).
    token: async () => (tokenFile === undefined ? undefined : remembered((await readTextFile(tokenFile, { maxBytes: 64 * 1024 })).trim() || undefined)),
    ...(config.report.caFile !== undefined ? { caFile: config.report.caFile } : {}),
    node: config.nodeName ?? "unknown",
    agentVersion: VERSION,
    intervalMs: config.report.interval,
    buildReport: report,
    onCommand: (command) => commands.take(command),
    bufferLimit: config.report.bufferLimit,
    log: (level, message) => log[level](`report: ${message}`),
  });
  const commands = new AggregatorCommands({ log, state: src.state, prepull: src.prepull, pause: src.pause, send: (u) => reporter.addCommandUpdate(u) });
  reporter.start();
  log.info(`reporting to the aggregator at ${address} every ${Math.round(config.report.interval / 1000)} s`);
  let soon: NodeJS.Timeout | undefined;
  const reportSoon = (): void => {
    soon ??= setTimeout(() => {
      soon = undefined;
      reporter.reportNow();
    }, 1000).unref();
  };
  return {
    reportSoon,
    findings: findingSink(reporter, reportSoon),
    status: () => reporter.status(),
    report,
    stop: () => {
      if (soon) clearTimeout(soon);
      return reporter.stop();
    },
  };
}

/** Findings as the aggregator takes them; each is followed by a report soon, not at the next interval. */
function findingSink(reporter: Reporter, reportSoon: () => void): FindingSink {
  const send = (f: Omit<Finding, "id" | "atMs">) => reporter.addFinding(redactStrings(f) as Omit<Finding, "id" | "atMs">);
  return {
    // Coverage and disk figures changed too: the cluster view should not wait for the interval.
    prepull: (s) => {
      send({
        kind: "prepull",
        prepull: { image: s.image, action: s.action ?? s.state, cause: s.cause ?? "", summary: s.summary ?? "", durationMs: s.durationMs ?? 0 },
      });
      reportSoon();
    },
    prune: (f, images) => {
      send({
        kind: "prune",
        prune: { trigger: f.trigger, removed: f.removed, freedBytes: f.freedBytes, failed: f.failed, dryRun: f.dryRun, images: images.slice(0, 100) },
      });
      reportSoon();
    },
    add: (f) => {
      send(f);
      // The cluster view groups failures from reports: send one soon, not at the next interval.
      reportSoon();
    },
  };
}

/** The token, remembered so that every output scrubs it (core/log). */
function remembered(token: string | undefined): string | undefined {
  rememberSecret(token);
  return token;
}

function redactReport(sources: Parameters<typeof buildNodeReport>[0]): NodeReport {
  return redactStrings(buildNodeReport(sources)) as NodeReport;
}
