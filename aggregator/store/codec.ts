// How rows are written and read back, the same for both engines: a finding's columns, its estimated
// size, and reports and findings as compact JSON.

import { registryOfImage } from "../../core/image/index.js";
import {
  type DiskReport,
  FINDING_KINDS,
  type Finding,
  type FindingKind,
  type HygieneRiskReport,
  type NodeConditionReport,
  type NodeReport,
  type PrepullReport,
  type PullFailure,
  type PullInFlight,
  type QuotaReport,
  type RegistryReport,
  type SecretCheckReport,
} from "../../core/protocol/index.js";
import { bool, type Coerce, listOf, mapOf, num, obj, orNull, record, str, strs } from "./coerce.js";

/**
 * A finding's estimated bytes on disk: its columns, the id and node again in their indexes, and
 * what a row and its four index entries cost beyond their data (measured: the database grows by
 * this within 10 % under a findings flood, write-ahead log aside, test/bench/aggregator-bounds.bench.ts).
 */
const FINDING_ROW_OVERHEAD = 150;
/** What findingRowBytes counts, as SQL both engines run (octet_length is in SQLite and PostgreSQL). */
export const FINDING_ROW_SQL = `octet_length(body) + 2 * octet_length(id) + 2 * octet_length(node) + 2 * octet_length(kind) + octet_length(image) + octet_length(cause) + octet_length(registry) + octet_length(pod) + ${FINDING_ROW_OVERHEAD}`;

/** The oneof that is set: `kind` when proto-loader says it, else the first field present. */
export function findingKind(f: Finding): FindingKind | "" {
  if (f.kind !== undefined && FINDING_KINDS.includes(f.kind) && f[f.kind] != null) return f.kind;
  return FINDING_KINDS.find((k) => f[k] != null) ?? "";
}

/**
 * A finding's row as both engines insert it (id, node, at_ms, kind, image, cause, registry, pod,
 * body), with its estimated bytes; an empty id throws (it would collide with every other).
 */
export function findingRow(node: string, f: Finding): { values: [string, string, number, string, string, string, string, string, string]; bytes: number } {
  if (typeof f.id !== "string" || f.id === "") throw new Error(`finding from node ${JSON.stringify(node)} has no id`);
  const c = findingColumns(f);
  const body = encodeFinding(f);
  return { values: [f.id, node, f.atMs, c.kind, c.image, c.cause, c.registry, c.pod, body], bytes: findingRowBytes(f.id, node, c, body) };
}

/** What FINDING_ROW_SQL counts, for a row about to be inserted. */
function findingRowBytes(id: string, node: string, c: ReturnType<typeof findingColumns>, body: string): number {
  const b = (s: string) => Buffer.byteLength(s, "utf8");
  return b(body) + 2 * b(id) + 2 * b(node) + 2 * b(c.kind) + b(c.image) + b(c.cause) + b(c.registry) + b(c.pod) + FINDING_ROW_OVERHEAD;
}

function findingColumns(f: Finding): { kind: string; image: string; cause: string; registry: string; pod: string } {
  const kind = findingKind(f);
  switch (kind) {
    case "diagnosis": {
      const d = f.diagnosis!;
      return { kind, image: d.image ?? "", cause: d.cause ?? "", registry: d.registry || registryOfImage(d.image ?? ""), pod: d.pod ?? "" };
    }
    case "recovery": {
      const r = f.recovery!;
      return { kind, image: r.image ?? "", cause: r.cause ?? "", registry: registryOfImage(r.image ?? ""), pod: r.pod ?? "" };
    }
    case "prepull": {
      const p = f.prepull!;
      return { kind, image: p.image ?? "", cause: p.cause ?? "", registry: registryOfImage(p.image ?? ""), pod: "" };
    }
    case "secretBroken": {
      const s = f.secretBroken!;
      return { kind, image: "", cause: s.state ?? "", registry: s.registry ?? "", pod: "" };
    }
    case "prune":
    case "":
      return { kind, image: "", cause: "", registry: "", pod: "" };
  }
}

// ---- compact JSON --------------------------------------------------------------------------------
//
// Reports are stored without their empty values ("", 0, false, null, empty lists): proto3 sends
// every field, many of them empty (a failure's note, a healthy registry's failing step and error),
// and dropping them saves 10–30 % of a report's JSON, at about 7 µs per report. Decoding puts the defaults back,
// field by field, so a report read back equals the one saved, and a row written by an older
// release that lacks a newer field reads with that field empty.

function compactValue(v: unknown, map: boolean): unknown {
  if (v === null || v === undefined || v === "" || v === 0 || v === false) return undefined;
  if (Array.isArray(v)) {
    if (v.length === 0) return undefined;
    return v.map((e: unknown) => (e !== null && typeof e === "object" && !Array.isArray(e) ? compactObject(e as Record<string, unknown>, false) : e));
  }
  if (typeof v === "object") return compactObject(v as Record<string, unknown>, map);
  return v;
}

function compactObject(o: Record<string, unknown>, map: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (map) {
      // A map's entries are data: kept even when empty.
      if (v !== undefined) out[k] = v;
      continue;
    }
    const c = compactValue(v, k === "checkErrors");
    if (c !== undefined) out[k] = c;
  }
  return out;
}

export function encodeReport(r: NodeReport): string {
  return JSON.stringify(compactObject(r as unknown as Record<string, unknown>, false));
}

export function decodeReport(json: string): NodeReport {
  return normalizeReport(JSON.parse(json));
}

function encodeFinding(f: Finding): string {
  return JSON.stringify(compactObject(f as unknown as Record<string, unknown>, false));
}

export function decodeFinding(json: string): Finding {
  return normalizeFinding(JSON.parse(json));
}

// Each stored message's fields, in the order proto3 lists them (a decoded record's keys keep it).

const disk = record<DiskReport>({ mountpoint: str, capacityBytes: num, availableBytes: num, usedPercent: num, inodesFree: num });

const registry = record<RegistryReport>({ registry: str, ok: bool, failingStep: str, error: str, certificateExpiresMs: num, latencyMs: num });

const quota = record<QuotaReport>({ source: str, limit: num, remaining: num, windowSeconds: num, observedAtMs: num });

const prepull = record<PrepullReport>({ image: str, state: str, cause: str, summary: str, lastPullMs: num, bytes: num });

const failure = record<PullFailure>({
  pod: str,
  container: str,
  image: str,
  registry: str,
  reason: str,
  cause: str,
  summary: str,
  fix: strs,
  sinceMs: num,
  impact: num,
  note: str,
});

const pullInFlight = record<PullInFlight>({
  image: str,
  registry: str,
  manifest: str,
  pods: strs,
  bytesDone: num,
  bytesTotal: num,
  layersDone: num,
  layersTotal: num,
  bytesPerSecond: num,
  etaSeconds: num,
  startedMs: num,
  stalled: bool,
  idleMs: num,
  summary: str,
  fix: strs,
});

const condition = record<NodeConditionReport>({ type: str, status: str, reason: str, message: str });

const hygiene = record<HygieneRiskReport>({ kind: str, pod: str, image: str, message: str, fix: str });

const secret = record<SecretCheckReport>({ secret: str, registry: str, state: str, message: str });

const images = record<NonNullable<NodeReport["images"]>>({ count: num, bytes: num, inUse: num, sandboxImage: str });

const pruneReport = record<NonNullable<NodeReport["prune"]>>({ lastRunMs: num, removedTotal: num, freedBytesTotal: num });

/**
 * A NodeReport with every field present and of its type, from anything shaped like one (a
 * compact stored row, a report of an older or newer agent): missing fields get proto3's defaults.
 */
export const normalizeReport: Coerce<NodeReport> = record<NodeReport>({
  observedAtMs: num,
  runtime: str,
  runtimeProblem: str,
  disks: listOf(disk),
  images: orNull(images),
  registries: listOf(registry),
  quota: listOf(quota),
  prepull: listOf(prepull),
  failures: listOf(failure),
  prune: orNull(pruneReport),
  conditions: listOf(condition),
  checkErrors: mapOf(str),
  hygiene: listOf(hygiene),
  secrets: listOf(secret),
  pulls: listOf(pullInFlight),
});

/** Each finding kind's message. */
const FINDING_MESSAGES: { readonly [K in FindingKind]: Coerce<NonNullable<Finding[K]>> } = {
  diagnosis: failure,
  recovery: record<NonNullable<Finding["recovery"]>>({ pod: str, container: str, image: str, cause: str, durationMs: num, outcome: str }),
  prune: record<NonNullable<Finding["prune"]>>({ trigger: str, removed: num, freedBytes: num, failed: num, dryRun: bool, images: strs }),
  prepull: record<NonNullable<Finding["prepull"]>>({ image: str, action: str, cause: str, summary: str, durationMs: num }),
  secretBroken: secret,
};

function setMessage<K extends FindingKind>(f: Finding, kind: K, v: unknown): void {
  f[kind] = FINDING_MESSAGES[kind](v);
}

/** A Finding with its one kind's message complete (see normalizeReport). */
export function normalizeFinding(v: unknown): Finding {
  const o = obj(v);
  const f: Finding = { id: str(o.id), atMs: num(o.atMs) };
  const kind = findingKind(o as unknown as Finding);
  if (kind === "") return f;
  f.kind = kind;
  setMessage(f, kind, o[kind]);
  return f;
}
