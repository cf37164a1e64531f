// What the aggregator keeps, in the words both database engines share: the rows callers read and
// write, the bounds, and the findings query. No engine is imported here.

import type { CommandUpdate, Finding } from "../../core/protocol/index.js";

export interface StoredFinding {
  id: string;
  node: string;
  atMs: number;
  kind: string;
  /** The image the finding is about ("" for prune records and Secret checks). */
  image: string;
  /** The cause label (a Secret check's state for secretBroken; "" when none). */
  cause: string;
  registry: string;
  pod: string;
  finding: Finding;
}

export interface StoredCommand {
  id: string;
  createdMs: number;
  images: string[];
  plan: { node: string; notBeforeMs: number }[];
}

export interface StoredCommandUpdate extends CommandUpdate {
  node: string;
}

export interface StoreOptions {
  /** "normal" (default; survives process crashes, see the top of store.ts) or "full" (also power loss). */
  synchronous?: "normal" | "full";
  /** Commands kept at most; saving one more deletes the oldest with its updates. Default 500. */
  maxCommands?: number;
  /** Run PRAGMA quick_check at open so a damaged file is refused at start. Default true. */
  check?: boolean;
  /** Findings kept at most; beyond, the oldest (by arrival) are deleted first. Default 1,000,000. */
  maxFindings?: number;
  /** Estimated bytes of findings (rows and index entries) kept at most; beyond, the oldest go first. Default 384 MiB. */
  maxFindingsBytes?: number;
}

export interface StoreStats {
  nodes: number;
  findings: number;
  commands: number;
  commandUpdates: number;
}

/** The findings table against its budget. */
export interface FindingsBudget {
  rows: number;
  /** Estimated bytes on disk (FINDING_ROW_BYTES). */
  bytes: number;
  maxRows: number;
  maxBytes: number;
  /** Deleted to stay within the budget since the store was opened. */
  dropped: number;
}

/** findings() returns at most this many rows whatever limit is asked. */
export const MAX_FINDINGS_QUERY = 10_000;
export const DEFAULT_MAX_FINDINGS = 1_000_000;
/** Of the install's 1 GiB volume: the rest holds the nodes' reports, the write-ahead log and the commands. */
export const DEFAULT_MAX_FINDINGS_BYTES = 384 * 1024 * 1024;
/** Commands kept when no maximum is given. */
export const DEFAULT_MAX_COMMANDS = 500;

export interface FindingsQuery {
  kind?: string;
  node?: string;
  sinceMs?: number;
  limit: number;
}

/** Where a page of findings ended: the next page starts after it. */
export interface FindingsCursor {
  atMs: number;
  seq: number;
}

/** The refusal when a database is ahead of this binary, naming both versions (either engine). */
export function newerSchemaProblem(where: string, found: number, known: number): string | undefined {
  if (found <= known) return undefined;
  return `${where} has pullmedic database schema ${found}, written by a newer aggregator; this one knows up to ${known}: run the newer aggregator, or point this one at another database`;
}
