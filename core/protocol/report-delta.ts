// Delta reports (feature "report-delta"): after a full report, an agent sends only the sections of
// its node report that changed. A section is a top-level field of NodeReport; one that changed is
// sent whole, so applying a delta is a replacement, never a merge inside a list. The agent makes
// deltas with diffReport and the aggregator applies them with applyDelta: both here, so the two
// sides cannot disagree on what a section is.

import { emptyNodeReport, type NodeReport, type ReportDelta } from "./protocol.js";

/** The features an aggregator lists in the Ack of a Hello, and an agent looks for there. */
export const FEATURE_REPORT_DELTA = "report-delta";

type Section = Exclude<keyof NodeReport, "observedAtMs">;

/**
 * The NodeReport sections by their field number in pullmedic.proto (test/report checks it against
 * the .proto). observed_at_ms is no section: every delta carries it.
 */
export const REPORT_SECTIONS: Readonly<Record<Section, number>> = {
  runtime: 2,
  runtimeProblem: 3,
  disks: 4,
  images: 5,
  registries: 6,
  quota: 7,
  prepull: 8,
  failures: 9,
  prune: 10,
  conditions: 11,
  checkErrors: 12,
  hygiene: 13,
  secrets: 14,
  pulls: 15,
};

const SECTION_BY_NUMBER = new Map<number, Section>(Object.entries(REPORT_SECTIONS).map(([name, n]) => [n, name as Section]));

/** What `next` changes against `base`: the sections that differ, and a report holding only them. */
export function diffReport(base: NodeReport, next: NodeReport): Omit<ReportDelta, "baseSeq"> {
  const report = emptyNodeReport(next.observedAtMs);
  const changed: number[] = [];
  for (const [name, n] of Object.entries(REPORT_SECTIONS) as [Section, number][]) {
    if (sameValue(base[name], next[name])) continue;
    changed.push(n);
    (report as unknown as Record<Section, unknown>)[name] = next[name];
  }
  return { changed, report };
}

/** Entries of a delta's `changed` beyond any NodeReport a later release may have: no delta has more. */
const MAX_CHANGED = 64;

/**
 * The report a delta makes of `base`; a problem in words when its list of sections is beyond any
 * a release could send. A section number this side does not know (a newer agent's) is passed
 * over: its field was not decoded either, as a full report's would not be.
 */
export function applyDelta(base: NodeReport, delta: ReportDelta): { report: NodeReport } | { problem: string } {
  // A peer controls the list.
  if (delta.changed.length > MAX_CHANGED) return { problem: `delta.changed: ${delta.changed.length.toLocaleString("en-US")} entries, at most ${MAX_CHANGED}` };
  const sent = delta.report ?? emptyNodeReport(0);
  const merged: NodeReport = { ...base, observedAtMs: sent.observedAtMs };
  for (const n of delta.changed) {
    const name = SECTION_BY_NUMBER.get(n);
    if (name !== undefined) (merged as unknown as Record<Section, unknown>)[name] = sent[name];
  }
  return { report: merged };
}

/** Structural equality of decoded protobuf values: plain objects, arrays, strings, numbers, booleans, null. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k of ak) if (!(k in bo) || !sameValue(ao[k], bo[k])) return false;
  return true;
}
