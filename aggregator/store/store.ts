// The one interface the aggregator keeps its data through, whichever engine is behind it: SQLite
// in a file (one aggregator, the embedded default) or PostgreSQL (a server people already run,
// shared by replicas). Every call is asynchronous because a server answers over the network; the
// SQLite engine answers at once.

import type { CommandUpdate, Finding, Hello, NodeReport } from "../../core/protocol/index.js";
import type { NodeRecord } from "../cluster-state.js";
import type { FindingsBudget, FindingsCursor, FindingsQuery, StoredCommand, StoredCommandUpdate, StoredFinding, StoreStats } from "./types.js";

/** One write an ingested message asks for; write() commits many of them at once. */
export type StoreWrite =
  | { kind: "hello"; hello: Hello; atMs: number }
  | { kind: "report"; node: string; report: NodeReport; atMs: number }
  /** Inserted by id (ids already kept are ignored), and the node seen. */
  | { kind: "findings"; node: string; findings: Finding[]; atMs: number }
  /** The latest update per (command, node, image) kept, and the node seen. */
  | { kind: "commandUpdate"; node: string; update: CommandUpdate; atMs: number }
  | { kind: "seen"; node: string; atMs: number };

/** What became of one write of a batch: an error for it alone, or how many findings were new. */
export interface WriteResult {
  error?: Error;
  added: number;
}

export interface FindingsPage {
  findings: StoredFinding[];
  next?: FindingsCursor;
  total: number;
}

export interface Store {
  readonly engine: "sqlite" | "postgres";
  /** Where the data is, for logs and errors: a file path, or the server's URL without its password. */
  readonly where: string;
  /**
   * Commits the writes in one transaction, in order. A write that fails is undone alone and named
   * in its result; a commit that fails rejects (then none of them is kept).
   */
  write(batch: StoreWrite[]): Promise<WriteResult[]>;
  /** Saves (or replaces) a command; beyond the maximum the oldest go with their updates. */
  saveCommand(c: StoredCommand): Promise<void>;
  saveCommandUpdate(node: string, u: CommandUpdate): Promise<void>;
  /** Deletes findings and command updates older than the cut, then old commands left without updates; returns rows deleted. */
  prune(olderThanMs: number): Promise<number>;
  /** Forgets nodes not seen since the cut and returns their names; their findings stay until prune(). */
  pruneNodes(lastSeenBeforeMs: number): Promise<string[]>;
  deleteNodes(names: string[]): Promise<void>;
  /** Every node as last saved, disconnected, one at a time by name. */
  eachNode(take: (rec: NodeRecord) => void): Promise<void>;
  /** Every node at once (eachNode holds one at a time). */
  loadNodes(): Promise<NodeRecord[]>;
  /** Findings newest first (by atMs, then arrival), filtered, after a cursor, with the count matching the filter. */
  findingsPage(q: FindingsQuery & { after?: FindingsCursor }): Promise<FindingsPage>;
  /** The first page's findings. */
  findings(q: FindingsQuery): Promise<StoredFinding[]>;
  /** A command with the latest update per (node, image), sorted by node then image. */
  command(id: string): Promise<(StoredCommand & { updates: StoredCommandUpdate[] }) | undefined>;
  commandStates(id: string, node: string): Promise<{ image: string; state: string }[]>;
  /** The newest commands first. */
  latestCommands(limit: number): Promise<StoredCommand[]>;
  /** The findings table against its budget, as this process counts it. */
  findingsBudget(): FindingsBudget;
  stats(): Promise<StoreStats>;
  /** One small real write: rejects with what a write would meet now. */
  probeWrite(): Promise<void>;
  /** Closes the database or the connections; later calls do nothing. */
  close(): Promise<void>;
}
