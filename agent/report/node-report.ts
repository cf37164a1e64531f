// The node's state as one NodeReport for the aggregator: a pure mapping from what the checks stored
// in NodeState (and the pod watch's snapshot) to the wire shape. Bounded: lists are capped so a
// node with thousands of failing pods still sends a report of reasonable size.

import { registryOfImage } from "../../core/image/index.js";
import type { NodeReport, PullFailure, PullInFlight, RegistryReport } from "../../core/protocol/index.js";
import type { RegistryProbe } from "../probe/index.js";
import type { QuotaReading } from "../quota/index.js";
import type { NodeState } from "./node-state.js";

/** What the pod watch contributes; structurally its snapshot. */
export interface PodWatchReportView {
  failures: {
    pod: string;
    container: string;
    image: string;
    reason: string;
    cause?: string;
    summary?: string;
    fix?: string[];
    note?: string;
    impact: number;
    since: string;
  }[];
  hygiene: { kind: string; pod: string; image?: string; message: string; fix?: string }[];
  secrets?: { secret: string; registry: string; state: string; message: string }[];
}

export interface NodeReportSources {
  state: NodeState;
  quota: QuotaReading[];
  podWatch?: PodWatchReportView | undefined;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  runtime?: string;
  now: number;
}

const MAX_FAILURES = 500;
const MAX_PULLS = 100;
const MAX_HYGIENE = 200;
const MAX_TEXT = 2048;

function text(s: string | undefined): string {
  if (s === undefined) return "";
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s;
}

function ms(iso: string | undefined): number {
  const t = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isFinite(t) ? t : 0;
}

function registryReport(p: RegistryProbe): RegistryReport {
  // The step that stopped every host: the furthest-failing host says the most.
  let failingStep = "";
  let error = "";
  if (!p.ok) {
    for (const host of p.hosts) {
      const failed = host.steps.find((s) => !s.ok);
      if (failed !== undefined && failingStep === "") {
        failingStep = failed.step;
        error = `${host.url}: ${failed.detail}`;
      }
    }
  }
  const cert = p.hosts.find((h) => h.certificate !== undefined)?.certificate;
  const okHost = p.hosts.find((h) => h.ok);
  return {
    registry: p.registry,
    ok: p.ok,
    failingStep,
    error: text(error),
    certificateExpiresMs: cert ? ms(cert.validTo) : 0,
    latencyMs: okHost ? okHost.steps.reduce((sum, s) => sum + s.ms, 0) : 0,
  };
}

export function buildNodeReport(src: NodeReportSources): NodeReport {
  const { state } = src;
  const disks = state.result("disk") ?? [];
  const images = state.result("images");
  const probes = state.result("probes") ?? [];
  const prepull = state.result("prepull") ?? [];
  const prune = state.result("prune");
  const diskCheck = state.get("disk");
  const checkErrors: Record<string, string> = {};
  for (const [name, record] of state.checkRecords()) if (!record.ok && record.error) checkErrors[name] = text(record.error);

  const failures: PullFailure[] = (src.podWatch?.failures ?? []).slice(0, MAX_FAILURES).map((f) => ({
    pod: f.pod,
    container: f.container,
    image: f.image,
    registry: registryOfImage(f.image),
    reason: f.reason,
    cause: f.cause ?? "",
    summary: text(f.summary),
    fix: (f.fix ?? []).slice(0, 5).map(text),
    sinceMs: ms(f.since),
    impact: f.impact,
    note: text(f.note),
  }));

  return {
    observedAtMs: src.now,
    runtime: src.runtime ?? "",
    runtimeProblem: diskCheck && !diskCheck.ok && diskCheck.result === undefined ? text(diskCheck.error) : "",
    disks: disks.flatMap((fs) =>
      fs.host
        ? [
            {
              mountpoint: fs.mountpoint,
              capacityBytes: fs.host.capacityBytes,
              availableBytes: fs.host.availableBytes,
              usedPercent: fs.host.usedPercent,
              inodesFree: fs.host.inodesFree,
            },
          ]
        : [],
    ),
    images: images ? { count: images.count, bytes: images.bytes, inUse: images.inUse, sandboxImage: images.sandboxImage ?? "" } : null,
    registries: probes.map(registryReport),
    // A reading is sent when it says something: unlimited (limit 0), or both counts. One whose
    // headers could not be read would go out as 0 remaining (exhausted: every pre-pull behind the
    // source deferred) or limit 0 (unlimited); its problem is in the agent's own quota check.
    quota: src.quota
      .filter((q) => q.unlimited || (q.limit !== undefined && q.remaining !== undefined))
      .map((q) => ({
        source: q.source ?? "",
        limit: q.unlimited ? 0 : (q.limit ?? 0),
        remaining: q.unlimited ? 0 : (q.remaining ?? 0),
        windowSeconds: q.windowSeconds ?? 0,
        observedAtMs: q.observedAt,
      })),
    prepull: prepull.map((p) => ({
      image: p.image,
      state: p.state,
      cause: p.cause ?? "",
      summary: text(p.summary),
      lastPullMs: ms(p.lastPull),
      bytes: p.bytes ?? 0,
    })),
    failures,
    prune: prune ? { lastRunMs: ms(prune.lastRunAt), removedTotal: prune.totals.removed, freedBytesTotal: prune.totals.freedBytes } : null,
    conditions: (src.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason ?? "", message: text(c.message) })),
    checkErrors,
    hygiene: (src.podWatch?.hygiene ?? [])
      .slice(0, MAX_HYGIENE)
      .map((h) => ({ kind: h.kind, pod: h.pod, image: h.image ?? "", message: text(h.message), fix: text(h.fix) })),
    secrets: (src.podWatch?.secrets ?? []).map((s) => ({ secret: s.secret, registry: s.registry, state: s.state, message: text(s.message) })),
    pulls: pullsReport(state),
  };
}

function pullsReport(state: NodeState): PullInFlight[] {
  return (state.result("pulls")?.pulls ?? []).slice(0, MAX_PULLS).map((p) => ({
    image: p.image,
    registry: p.registry,
    manifest: p.manifest,
    pods: p.pods.slice(0, 50),
    bytesDone: p.bytesDone,
    bytesTotal: p.bytesTotal,
    layersDone: p.layersDone,
    layersTotal: p.layersTotal,
    bytesPerSecond: p.bytesPerSecond,
    etaSeconds: p.etaSeconds ?? 0,
    startedMs: p.startedAt,
    stalled: p.stalled,
    idleMs: p.idleMs,
    summary: text(p.stall?.summary),
    fix: (p.stall?.fix ?? []).map(text),
  }));
}
