// The tables' rows as both engines read them back (`SELECT *`), and the records they become. The
// two schemas hold the same columns: PostgreSQL's BIGINT comes back as a number too (postgres.ts
// parses int8 so), and SQLite's findings have their seq as PostgreSQL's do (INTEGER PRIMARY KEY).

import type { NodeRecord } from "../cluster-state.js";
import { decodeFinding, decodeReport } from "./codec.js";
import type { FindingsPage } from "./store.js";
import { type FindingsQuery, MAX_FINDINGS_QUERY, type StoredCommand, type StoredCommandUpdate, type StoredFinding } from "./types.js";

export interface NodeRow {
  node: string;
  agent_version: string;
  boot_id: string;
  report_interval_s: number;
  first_seen_ms: number;
  last_seen_ms: number;
  last_report_ms: number;
  report: string | null;
}

export interface FindingRow {
  /** Arrival order: the findings cursor's tie-break and the budget's eviction order. */
  seq: number;
  id: string;
  node: string;
  at_ms: number;
  kind: string;
  image: string;
  cause: string;
  registry: string;
  pod: string;
  body: string;
}

export interface CommandRow {
  id: string;
  created_ms: number;
  images: string;
  plan: string;
}

export interface CommandUpdateRow {
  command_id: string;
  node: string;
  image: string;
  state: string;
  cause: string;
  summary: string;
  duration_ms: number;
  at_ms: number;
}

/** A node as it was saved, disconnected: what ClusterState.restore() takes at start. */
export function nodeRecord(row: NodeRow): NodeRecord {
  return {
    node: row.node,
    agentVersion: row.agent_version,
    bootId: row.boot_id,
    reportIntervalSeconds: row.report_interval_s,
    connected: false,
    firstSeenMs: row.first_seen_ms,
    lastSeenMs: row.last_seen_ms,
    lastReportMs: row.last_report_ms,
    report: row.report === null ? undefined : decodeReport(row.report),
  };
}

function storedFinding(row: FindingRow): StoredFinding {
  const { id, node, at_ms, kind, image, cause, registry, pod, body } = row;
  return { id, node, atMs: at_ms, kind, image, cause, registry, pod, finding: decodeFinding(body) };
}

export function commandOf(row: CommandRow): StoredCommand {
  return { id: row.id, createdMs: row.created_ms, images: JSON.parse(row.images) as string[], plan: JSON.parse(row.plan) as StoredCommand["plan"] };
}

function commandUpdateOf(row: CommandUpdateRow): StoredCommandUpdate {
  const { command_id, node, image, state, cause, summary, duration_ms, at_ms } = row;
  return { commandId: command_id, node, image, state, cause, summary, durationMs: duration_ms, atMs: at_ms };
}

export function commandWithUpdates(row: CommandRow, updates: CommandUpdateRow[]): StoredCommand & { updates: StoredCommandUpdate[] } {
  return { ...commandOf(row), updates: updates.map(commandUpdateOf) };
}

/**
 * The findings query's filter as a WHERE list and its parameters, in column order; `mark` writes
 * the engine's placeholder for the parameter at that 1-based position (`?` or `$n`).
 */
export function findingsFilter(q: FindingsQuery, mark: (position: number) => string): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (column: string, op: string, value: unknown) => {
    params.push(value);
    where.push(`${column} ${op} ${mark(params.length)}`);
  };
  if (q.kind !== undefined) add("kind", "=", q.kind);
  if (q.node !== undefined) add("node", "=", q.node);
  if (q.sinceMs !== undefined) add("at_ms", ">=", q.sinceMs);
  return { where, params };
}

/** A limit asked for as a whole count: not a number or below 0 is 0. */
export function wholeLimit(limit: number): number {
  return Math.max(0, Math.floor(Number.isFinite(limit) ? limit : 0));
}

/** A findings page's limit: at most MAX_FINDINGS_QUERY whatever is asked. */
export function findingsLimit(limit: number): number {
  return Math.min(MAX_FINDINGS_QUERY, wholeLimit(limit));
}

/** The page of findings rows read with one more than `limit`: that one says whether a page follows. */
export function findingsPageOf(rows: FindingRow[], limit: number, total: number): FindingsPage {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  const findings = kept.map(storedFinding);
  return more && last ? { findings, next: { atMs: last.at_ms, seq: last.seq }, total } : { findings, total };
}
