// The agent's link to the aggregator: full node reports on an interval, findings as they happen
// (kept until acknowledged), and the aggregator's commands (a cluster-wide pre-pull) carried out
// with progress sent back. Absent when no aggregator is configured; findings then go nowhere.

import { readFile } from "node:fs/promises";
import type { AgentConfig } from "../config/index.js";
import type { Logger } from "../log.js";
import type { PrepullImageStatus, PrepullTarget } from "../prepull/index.js";
import type { QuotaTracker } from "../quota/index.js";
import { buildNodeReport, type PodWatchReportView } from "../report/node-report.js";
import type { NodeState } from "../report/node-state.js";
import type { Command, Finding, NodeReport } from "../report/protocol.js";
import type { Reporter, ReporterStatus } from "../report/reporter.js";
import type { PruneFinding } from "../report/metrics.js";
import { VERSION } from "../version.js";

/** Where checks hand over what happened; a no-op without an aggregator. */
export interface FindingSink {
  prepull(status: PrepullImageStatus): void;
  prune(f: PruneFinding, images: string[]): void;
  add(f: Omit<Finding, "id" | "atMs">): void;
}

export interface ReportSide {
  findings: FindingSink;
  /** A full report within a second (debounced): something a cluster view shows has changed. */
  reportSoon(): void;
  status(): ReporterStatus | undefined;
  report(): NodeReport;
  stop(): Promise<void>;
}

export interface ReportSources {
  state: NodeState;
  quota: QuotaTracker;
  podWatch: () => PodWatchReportView | undefined;
  conditions: () => { type: string; status: string; reason?: string; message?: string }[];
  runtime: () => string | undefined;
  /** Runs a pre-pull round of these images (one at a time with the scheduled ones). */
  prepull: (targets: PrepullTarget[], onProgress: (s: PrepullImageStatus) => void) => Promise<unknown>;
  /** Resolves false when the agent stops during the wait. */
  pause: (ms: number) => Promise<boolean>;
}

const FINAL_STATES = new Set(["pulled", "unchanged", "failed", "deferred"]);

export async function startReportSide(config: AgentConfig, log: Logger, src: ReportSources, address: string | undefined): Promise<ReportSide> {
  const report = () =>
    buildNodeReport({
      state: src.state,
      quota: src.quota.bySource(),
      podWatch: src.podWatch(),
      conditions: src.conditions(),
      ...(src.runtime() !== undefined ? { runtime: src.runtime() ?? "" } : {}),
      now: Date.now(),
    });
  if (address === undefined) {
    const none: FindingSink = { prepull: () => undefined, prune: () => undefined, add: () => undefined };
    return { findings: none, reportSoon: () => undefined, status: () => undefined, report, stop: async () => undefined };
  }

  const tokenFile = config.report.tokenFile;
  const { Reporter } = await import("../report/reporter.js");
  let reporter: Reporter | undefined;
  const onCommand = (command: Command): void => {
    if (command.prepull === undefined) {
      log.warn(`aggregator command ${command.id}: a kind this agent does not know; ignored`);
      return;
    }
    const { images, notBeforeMs } = command.prepull;
    log.info(`aggregator command ${command.id}: pre-pull ${images.join(", ")}${notBeforeMs > Date.now() ? ` from ${new Date(notBeforeMs).toISOString()}` : ""}`);
    const update = (image: string, state: string, extra: { cause?: string; summary?: string; durationMs?: number } = {}) =>
      reporter?.addCommandUpdate({ commandId: command.id, image, state, cause: extra.cause ?? "", summary: extra.summary ?? "", durationMs: extra.durationMs ?? 0, atMs: Date.now() });
    void (async () => {
      for (const image of images) update(image, "waiting");
      // Staggered by the aggregator so each egress source stays within Docker Hub's quota.
      const wait = notBeforeMs - Date.now();
      if (wait > 0 && !(await src.pause(wait))) return;
      const seen = new Map<string, string>();
      await src.prepull(
        images.map((image) => ({ image })),
        (s) => {
          const state = s.action ?? s.state;
          if (seen.get(s.image) === state) return;
          seen.set(s.image, state);
          if (FINAL_STATES.has(state)) update(s.image, state, { ...(s.cause ? { cause: s.cause } : {}), ...(s.summary ? { summary: s.summary } : {}), ...(s.durationMs !== undefined ? { durationMs: s.durationMs } : {}) });
          else update(s.image, state);
        },
      );
    })().catch((err: unknown) => log.warn(`aggregator command ${command.id} failed: ${err instanceof Error ? err.message : String(err)}`));
  };

  reporter = new Reporter({
    address,
    token: async () => (tokenFile === undefined ? undefined : (await readFile(tokenFile, "utf8")).trim() || undefined),
    ...(config.report.caFile !== undefined ? { caFile: config.report.caFile } : {}),
    node: config.nodeName ?? "unknown",
    agentVersion: VERSION,
    intervalMs: config.report.interval,
    buildReport: report,
    onCommand,
    bufferLimit: config.report.bufferLimit,
    log: (level, message) => log[level](`report: ${message}`),
  });
  reporter.start();
  log.info(`reporting to the aggregator at ${address} every ${Math.round(config.report.interval / 1000)} s`);
  const r = reporter;
  let soon: NodeJS.Timeout | undefined;
  const reportSoon = (): void => {
    soon ??= setTimeout(() => {
      soon = undefined;
      r.reportNow();
    }, 1000).unref();
  };
  return {
    reportSoon,
    findings: {
      prepull: (s) =>
        r.addFinding({ kind: "prepull", prepull: { image: s.image, action: s.action ?? s.state, cause: s.cause ?? "", summary: s.summary ?? "", durationMs: s.durationMs ?? 0 } }),
      prune: (f, images) =>
        r.addFinding({ kind: "prune", prune: { trigger: f.trigger, removed: f.removed, freedBytes: f.freedBytes, failed: f.failed, dryRun: f.dryRun, images: images.slice(0, 100) } }),
      add: (f) => {
        r.addFinding(f);
        // The cluster view groups failures from reports: send one soon, not at the next interval.
        reportSoon();
      },
    },
    status: () => r.status(),
    report,
    stop: () => {
      if (soon) clearTimeout(soon);
      return r.stop();
    },
  };
}

