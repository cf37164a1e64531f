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

/** What FINDING_ROW_SQL counts, for a row about to be inserted. */
export function findingRowBytes(id: string, node: string, c: ReturnType<typeof findingColumns>, body: string): number {
  const b = (s: string) => Buffer.byteLength(s, "utf8");
  return b(body) + 2 * b(id) + 2 * b(node) + 2 * b(c.kind) + b(c.image) + b(c.cause) + b(c.registry) + b(c.pod) + FINDING_ROW_OVERHEAD;
}

export function findingColumns(f: Finding): { kind: string; image: string; cause: string; registry: string; pod: string } {
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

export function encodeFinding(f: Finding): string {
  return JSON.stringify(compactObject(f as unknown as Record<string, unknown>, false));
}

export function decodeFinding(json: string): Finding {
  return normalizeFinding(JSON.parse(json));
}

type Loose = Record<string, unknown>;

const obj = (v: unknown): Loose => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Loose) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const bool = (v: unknown): boolean => v === true;
const list = <T>(v: unknown, each: (x: unknown) => T): T[] => (Array.isArray(v) ? v.map(each) : []);
const strs = (v: unknown): string[] => list(v, str);

function disk(v: unknown): DiskReport {
  const o = obj(v);
  return {
    mountpoint: str(o.mountpoint),
    capacityBytes: num(o.capacityBytes),
    availableBytes: num(o.availableBytes),
    usedPercent: num(o.usedPercent),
    inodesFree: num(o.inodesFree),
  };
}

function registry(v: unknown): RegistryReport {
  const o = obj(v);
  return {
    registry: str(o.registry),
    ok: bool(o.ok),
    failingStep: str(o.failingStep),
    error: str(o.error),
    certificateExpiresMs: num(o.certificateExpiresMs),
    latencyMs: num(o.latencyMs),
  };
}

function quota(v: unknown): QuotaReport {
  const o = obj(v);
  return { source: str(o.source), limit: num(o.limit), remaining: num(o.remaining), windowSeconds: num(o.windowSeconds), observedAtMs: num(o.observedAtMs) };
}

function prepull(v: unknown): PrepullReport {
  const o = obj(v);
  return { image: str(o.image), state: str(o.state), cause: str(o.cause), summary: str(o.summary), lastPullMs: num(o.lastPullMs), bytes: num(o.bytes) };
}

function failure(v: unknown): PullFailure {
  const o = obj(v);
  return {
    pod: str(o.pod),
    container: str(o.container),
    image: str(o.image),
    registry: str(o.registry),
    reason: str(o.reason),
    cause: str(o.cause),
    summary: str(o.summary),
    fix: strs(o.fix),
    sinceMs: num(o.sinceMs),
    impact: num(o.impact),
    note: str(o.note),
  };
}

function pullInFlight(v: unknown): PullInFlight {
  const o = obj(v);
  return {
    image: str(o.image),
    registry: str(o.registry),
    manifest: str(o.manifest),
    pods: strs(o.pods),
    bytesDone: num(o.bytesDone),
    bytesTotal: num(o.bytesTotal),
    layersDone: num(o.layersDone),
    layersTotal: num(o.layersTotal),
    bytesPerSecond: num(o.bytesPerSecond),
    etaSeconds: num(o.etaSeconds),
    startedMs: num(o.startedMs),
    stalled: bool(o.stalled),
    idleMs: num(o.idleMs),
    summary: str(o.summary),
    fix: strs(o.fix),
  };
}

function condition(v: unknown): NodeConditionReport {
  const o = obj(v);
  return { type: str(o.type), status: str(o.status), reason: str(o.reason), message: str(o.message) };
}

function hygiene(v: unknown): HygieneRiskReport {
  const o = obj(v);
  return { kind: str(o.kind), pod: str(o.pod), image: str(o.image), message: str(o.message), fix: str(o.fix) };
}

function secret(v: unknown): SecretCheckReport {
  const o = obj(v);
  return { secret: str(o.secret), registry: str(o.registry), state: str(o.state), message: str(o.message) };
}

/**
 * A NodeReport with every field present and of its type, from anything shaped like one (a
 * compact stored row, a report of an older or newer agent): missing fields get proto3's defaults.
 */
export function normalizeReport(v: unknown): NodeReport {
  const o = obj(v);
  const checkErrors: Record<string, string> = {};
  for (const [k, e] of Object.entries(obj(o.checkErrors))) checkErrors[k] = str(e);
  const images = o.images !== null && typeof o.images === "object" ? obj(o.images) : undefined;
  const prune = o.prune !== null && typeof o.prune === "object" ? obj(o.prune) : undefined;
  return {
    observedAtMs: num(o.observedAtMs),
    runtime: str(o.runtime),
    runtimeProblem: str(o.runtimeProblem),
    disks: list(o.disks, disk),
    images: images ? { count: num(images.count), bytes: num(images.bytes), inUse: num(images.inUse), sandboxImage: str(images.sandboxImage) } : null,
    registries: list(o.registries, registry),
    quota: list(o.quota, quota),
    prepull: list(o.prepull, prepull),
    failures: list(o.failures, failure),
    prune: prune ? { lastRunMs: num(prune.lastRunMs), removedTotal: num(prune.removedTotal), freedBytesTotal: num(prune.freedBytesTotal) } : null,
    conditions: list(o.conditions, condition),
    checkErrors,
    hygiene: list(o.hygiene, hygiene),
    secrets: list(o.secrets, secret),
    pulls: list(o.pulls, pullInFlight),
  };
}

/** A Finding with its one kind's message complete (see normalizeReport). */
export function normalizeFinding(v: unknown): Finding {
  const o = obj(v);
  const f: Finding = { id: str(o.id), atMs: num(o.atMs) };
  const kind = findingKind(o as unknown as Finding);
  if (kind === "") return f;
  f.kind = kind;
  const m = obj(o[kind]);
  switch (kind) {
    case "diagnosis":
      f.diagnosis = failure(m);
      break;
    case "recovery":
      f.recovery = {
        pod: str(m.pod),
        container: str(m.container),
        image: str(m.image),
        cause: str(m.cause),
        durationMs: num(m.durationMs),
        outcome: str(m.outcome),
      };
      break;
    case "prune":
      f.prune = {
        trigger: str(m.trigger),
        removed: num(m.removed),
        freedBytes: num(m.freedBytes),
        failed: num(m.failed),
        dryRun: bool(m.dryRun),
        images: strs(m.images),
      };
      break;
    case "prepull":
      f.prepull = { image: str(m.image), action: str(m.action), cause: str(m.cause), summary: str(m.summary), durationMs: num(m.durationMs) };
      break;
    case "secretBroken":
      f.secretBroken = secret(m);
      break;
  }
  return f;
}
