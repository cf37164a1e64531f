// The agent's link to the aggregator: full node reports on an interval, findings as they happen
// (kept until acknowledged), and the aggregator's commands (a cluster-wide pre-pull) carried out
// with progress sent back. Absent when no aggregator is configured; findings then go nowhere.

import { readFile } from "node:fs/promises";
import type { AgentConfig } from "../config/index.js";
import type { Logger } from "../../core/log/index.js";
import type { PrepullImageStatus, PrepullTarget } from "../prepull/index.js";
import type { QuotaTracker } from "../quota/index.js";
import { buildNodeReport, type PodWatchReportView } from "../report/node-report.js";
import type { NodeState } from "../report/node-state.js";
import { isFinalCommandState, type Command, type Finding, type NodeReport } from "../../core/protocol/index.js";
import type { Reporter, ReporterStatus } from "../report/reporter.js";
import type { PruneFinding } from "../report/metrics.js";
import { VERSION } from "../../core/process/index.js";

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

const MAX_TAKEN_COMMANDS = 1000;

export async function startReportSide(config: AgentConfig, log: Logger, src: ReportSources, address: string | undefined): Promise<ReportSide> {
  const report = () =>
    buildNodeReport({
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
  const { Reporter } = await import("../report/reporter.js");
  let reporter: Reporter | undefined;
  // Commands this process has taken, newest last (bounded): the aggregator sends an unfinished
  // command again when the agent reconnects, in case the process that had it restarted.
  const taken = new Set<string>();
  const onCommand = (command: Command): void => {
    if (command.prepull === undefined) {
      log.warn(`aggregator command ${command.id}: a kind this agent does not know; ignored`);
      return;
    }
    if (taken.has(command.id)) {
      log.debug(`aggregator command ${command.id}: already taken by this agent; ignored`);
      return;
    }
    taken.add(command.id);
    if (taken.size > MAX_TAKEN_COMMANDS) taken.delete(taken.values().next().value as string);
    const { images, notBeforeMs } = command.prepull;
    log.info(`aggregator command ${command.id}: pre-pull ${images.join(", ")}${notBeforeMs > Date.now() ? ` from ${new Date(notBeforeMs).toISOString()}` : ""}`);
    const update = (image: string, state: string, extra: { cause?: string; summary?: string; durationMs?: number } = {}) =>
      reporter?.addCommandUpdate({ commandId: command.id, image, state, cause: extra.cause ?? "", summary: extra.summary ?? "", durationMs: extra.durationMs ?? 0, atMs: Date.now() });
    const started = Date.now();
    const seen = new Map<string, string>();
    // Every image of the command ends with a final state on this node, whatever happens to the
    // round: a round that cannot run (no runtime), throws, or says nothing about an image would
    // otherwise leave the command waiting on this node forever.
    const finish = (why: string): void => {
      for (const image of images) {
        if (isFinalCommandState(seen.get(image))) continue;
        seen.set(image, "failed");
        update(image, "failed", { cause: "unknown", summary: why });
      }
    };
    void (async () => {
      for (const image of images) update(image, "waiting");
      // Staggered by the aggregator so each egress source stays within Docker Hub's quota.
      const wait = notBeforeMs - Date.now();
      if (wait > 0 && !(await src.pause(wait))) {
        finish("the agent stopped before the pre-pull's start time");
        return;
      }
      await src.prepull(
        images.map((image) => ({ image })),
        (s) => {
          const state = s.action ?? s.state;
          if (seen.get(s.image) === state) return;
          seen.set(s.image, state);
          if (isFinalCommandState(state)) update(s.image, state, { ...(s.cause ? { cause: s.cause } : {}), ...(s.summary ? { summary: s.summary } : {}), ...(s.durationMs !== undefined ? { durationMs: s.durationMs } : {}) });
          else update(s.image, state);
        },
      );
      // The agent's prepull check records a round that failed as a whole (its error is not thrown).
      const check = src.state.get("prepull");
      const failedRound = check !== undefined && !check.ok && Date.parse(check.at) >= started - 1000 ? check.error : undefined;
      finish(failedRound !== undefined ? `the pre-pull round failed: ${failedRound}` : "the pre-pull round ended without an outcome for this image");
    })().catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      log.warn(`aggregator command ${command.id} failed: ${message}`);
      finish(`the pre-pull round failed: ${message}`);
    });
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
      // Coverage and disk figures changed too: the cluster view should not wait for the interval.
      prepull: (s) => {
        r.addFinding({ kind: "prepull", prepull: { image: s.image, action: s.action ?? s.state, cause: s.cause ?? "", summary: s.summary ?? "", durationMs: s.durationMs ?? 0 } });
        reportSoon();
      },
      prune: (f, images) => {
        r.addFinding({ kind: "prune", prune: { trigger: f.trigger, removed: f.removed, freedBytes: f.freedBytes, failed: f.failed, dryRun: f.dryRun, images: images.slice(0, 100) } });
        reportSoon();
      },
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

