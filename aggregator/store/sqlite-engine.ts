// The Store interface over the SQLite file (sqlite.ts): better-sqlite3 answers synchronously, so
// each call is done when its promise is made; one write() is one transaction, each of its writes a
// savepoint that a failure undoes alone.

import type { CommandUpdate } from "../../core/protocol/index.js";
import type { NodeRecord } from "../cluster-state.js";
import { SqliteStore } from "./sqlite.js";
import type { FindingsPage, Store, StoreWrite, WriteResult } from "./store.js";
import type { FindingsBudget, FindingsCursor, FindingsQuery, StoredCommand, StoredCommandUpdate, StoredFinding, StoreOptions, StoreStats } from "./types.js";

export class SqliteEngine implements Store {
  readonly engine = "sqlite" as const;

  constructor(readonly sqlite: SqliteStore) {}

  static open(path: string, opts: StoreOptions = {}): SqliteEngine {
    return new SqliteEngine(SqliteStore.open(path, opts));
  }

  get where(): string {
    return this.sqlite.path;
  }

  async write(batch: StoreWrite[]): Promise<WriteResult[]> {
    const s = this.sqlite;
    return s.transaction(() =>
      batch.map((w) => {
        try {
          return { added: s.transaction(() => applyWrite(s, w)) };
        } catch (err) {
          return { error: asError(err), added: 0 };
        }
      }),
    );
  }

  async saveCommand(c: StoredCommand): Promise<void> {
    this.sqlite.saveCommand(c);
  }

  async saveCommandUpdate(node: string, u: CommandUpdate): Promise<void> {
    this.sqlite.saveCommandUpdate(node, u);
  }

  async prune(olderThanMs: number): Promise<number> {
    return this.sqlite.prune(olderThanMs);
  }

  async pruneNodes(lastSeenBeforeMs: number): Promise<string[]> {
    return this.sqlite.pruneNodes(lastSeenBeforeMs);
  }

  async deleteNodes(names: string[]): Promise<void> {
    this.sqlite.deleteNodes(names);
  }

  async eachNode(take: (rec: NodeRecord) => void): Promise<void> {
    this.sqlite.eachNode(take);
  }

  async loadNodes(): Promise<NodeRecord[]> {
    return this.sqlite.loadNodes();
  }

  async findings(q: FindingsQuery): Promise<StoredFinding[]> {
    return this.sqlite.findings(q);
  }

  async findingsPage(q: FindingsQuery & { after?: FindingsCursor }): Promise<FindingsPage> {
    return this.sqlite.findingsPage(q);
  }

  async command(id: string): Promise<(StoredCommand & { updates: StoredCommandUpdate[] }) | undefined> {
    return this.sqlite.command(id);
  }

  async commandStates(id: string, node: string): Promise<{ image: string; state: string }[]> {
    return this.sqlite.commandStates(id, node);
  }

  async latestCommands(limit: number): Promise<StoredCommand[]> {
    return this.sqlite.latestCommands(limit);
  }

  findingsBudget(): FindingsBudget {
    return this.sqlite.findingsBudget();
  }

  async stats(): Promise<StoreStats> {
    return this.sqlite.stats();
  }

  async probeWrite(): Promise<void> {
    this.sqlite.probeWrite();
  }

  async close(): Promise<void> {
    this.sqlite.close();
  }
}

/** Carries out one write; returns how many findings were new. */
function applyWrite(s: SqliteStore, w: StoreWrite): number {
  switch (w.kind) {
    case "hello":
      s.saveHello(w.hello, w.atMs);
      return 0;
    case "report":
      s.saveReport(w.node, w.report, w.atMs);
      return 0;
    case "findings": {
      const added = s.saveFindings(w.node, w.findings);
      s.saveSeen(w.node, w.atMs);
      return added;
    }
    case "commandUpdate":
      s.saveCommandUpdate(w.node, w.update);
      s.saveSeen(w.node, w.atMs);
      return 0;
    case "seen":
      s.saveSeen(w.node, w.atMs);
      return 0;
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
