// The aggregator's persistence: one SQLite file (better-sqlite3) holding the latest state of every
// node, the findings history and the pre-pull commands with their progress. The ingest writes here
// before it acks, so a restart of the aggregator loses nothing an agent was told is kept.
//
// Durability. The database runs in WAL mode with synchronous=NORMAL by default. A commit then
// appends the transaction to the WAL file with write(2) before it returns, and fsync happens only
// at checkpoints. Once write(2) returned, the bytes are in the kernel's page cache, which outlives
// the process: a crash, an OOM kill or `kill -9` of the aggregator (the restarts it has to survive)
// loses no committed transaction, and the database is never corrupted. Only an OS crash or a power
// loss can lose the last transactions before a checkpoint, never damage the file. synchronous=FULL
// (option `synchronous: "full"`) also survives those, at one fsync per commit: on the event loop
// thread that is 1–10 ms per transaction on common disks, the whole p99 ack budget at 500 writes/s
// unless the ingest batches many messages per transaction(). NORMAL is the default because an
// agent pod's aggregator dies by process far more often than by power, and an acked report that is
// lost to a power cut is replaced by the next one anyway.
//
// better-sqlite3 is loaded on the first open(), so importing this module costs nothing, and the
// agent never imports it at all.

import { accessSync, constants, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { CommandUpdate, Finding, Hello, NodeReport } from "../../core/protocol/index.js";
import type { NodeRecord } from "../cluster-state.js";
import { encodeReport, FINDING_ROW_SQL, findingRow } from "./codec.js";
import { FindingsTally } from "./findings-tally.js";
import {
  type CommandRow,
  type CommandUpdateRow,
  commandOf,
  commandWithUpdates,
  type FindingRow,
  findingsFilter,
  findingsLimit,
  findingsPageOf,
  type NodeRow,
  nodeRecord,
  wholeLimit,
} from "./rows.js";
import type { FindingsPage } from "./store.js";
import {
  DEFAULT_MAX_COMMANDS,
  type FindingsBudget,
  type FindingsCursor,
  type FindingsQuery,
  newerSchemaProblem,
  type StoredCommand,
  type StoredCommandUpdate,
  type StoredFinding,
  type StoreOptions,
  type StoreStats,
} from "./types.js";

/** "pmdc": marks the file as pullmedic's (PRAGMA application_id). */
export const APPLICATION_ID = 0x706d6463;
/** The schema this code writes (PRAGMA user_version: SQLite's own place for it, where files written before kept it). */
export const SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
CREATE TABLE nodes (
  node TEXT PRIMARY KEY,
  agent_version TEXT NOT NULL DEFAULT '',
  boot_id TEXT NOT NULL DEFAULT '',
  report_interval_s INTEGER NOT NULL DEFAULT 0,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  last_report_ms INTEGER NOT NULL DEFAULT 0,
  report TEXT
);
CREATE TABLE findings (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  node TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  image TEXT NOT NULL,
  cause TEXT NOT NULL,
  registry TEXT NOT NULL,
  pod TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX findings_at ON findings (at_ms);
CREATE INDEX findings_kind_at ON findings (kind, at_ms);
CREATE INDEX findings_node_at ON findings (node, at_ms);
CREATE TABLE commands (
  id TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  images TEXT NOT NULL,
  plan TEXT NOT NULL
);
CREATE INDEX commands_created ON commands (created_ms);
CREATE TABLE command_updates (
  command_id TEXT NOT NULL,
  node TEXT NOT NULL,
  image TEXT NOT NULL,
  state TEXT NOT NULL,
  cause TEXT NOT NULL,
  summary TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (command_id, node, image)
) WITHOUT ROWID;
CREATE INDEX command_updates_at ON command_updates (at_ms);
`;

const EXPECTED_TABLES = ["command_updates", "commands", "findings", "nodes"];

type SqliteDatabase = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement<unknown[], unknown>;

const requireHere = createRequire(import.meta.url);
let sqlite: typeof BetterSqlite3 | undefined;

function loadSqlite(): typeof BetterSqlite3 {
  sqlite ??= requireHere("better-sqlite3") as typeof BetterSqlite3;
  return sqlite;
}

function errorCode(err: unknown): string {
  return typeof err === "object" && err !== null && typeof (err as { code?: unknown }).code === "string" ? (err as { code: string }).code : "";
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** SQLite says only "unable to open database file"; a directory it cannot write is the usual reason, named here. */
function openFailure(where: string, err: unknown): string {
  const dir = dirname(where);
  const fix = "SQLite creates the database and its -wal and -shm files there: give the aggregator a writable volume, or another database path";
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EROFS") return `${message(err)}: ${dir} is on a read-only filesystem; ${fix}`;
    if (code === "EACCES" || code === "EPERM") return `${message(err)}: ${dir} is not writable by this process (uid ${process.getuid?.() ?? "?"}); ${fix}`;
  }
  return message(err);
}

export class SqliteStore {
  private readonly stmts: {
    hello: Statement;
    report: Statement;
    seen: Statement;
    finding: Statement;
    command: Statement;
    commandUpdate: Statement;
    loadNodes: Statement;
    getCommand: Statement;
    getCommandUpdates: Statement;
    getNodeCommandStates: Statement;
    latestCommands: Statement;
    excessCommands: Statement;
    deleteCommand: Statement;
    deleteCommandUpdates: Statement;
    pruneFindings: Statement;
    pruneCommandUpdates: Statement;
    oldCommands: Statement;
    oldNodes: Statement;
    deleteNode: Statement;
    findingTotals: Statement;
    evictFindings: Statement;
    probe: Statement;
  };
  private readonly findingQueries = new Map<string, Statement>();
  private readonly txn: BetterSqlite3.Transaction<(fn: () => unknown) => unknown>;
  private readonly maxCommands: number;
  private readonly tally: FindingsTally;
  private closed = false;

  private constructor(
    private readonly db: SqliteDatabase,
    readonly path: string,
    opts: StoreOptions,
  ) {
    this.maxCommands = opts.maxCommands ?? DEFAULT_MAX_COMMANDS;
    this.tally = new FindingsTally(opts);
    const p = (sql: string): Statement => db.prepare(sql);
    this.stmts = {
      hello: p(
        `INSERT INTO nodes (node, agent_version, boot_id, report_interval_s, first_seen_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (node) DO UPDATE SET agent_version = excluded.agent_version, boot_id = excluded.boot_id,
           report_interval_s = excluded.report_interval_s, last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`,
      ),
      report: p(
        `INSERT INTO nodes (node, first_seen_ms, last_seen_ms, last_report_ms, report) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (node) DO UPDATE SET report = excluded.report, last_report_ms = excluded.last_report_ms,
           last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`,
      ),
      seen: p(`UPDATE nodes SET last_seen_ms = ? WHERE node = ? AND last_seen_ms < ?`),
      finding: p(`INSERT OR IGNORE INTO findings (id, node, at_ms, kind, image, cause, registry, pod, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      command: p(
        `INSERT INTO commands (id, created_ms, images, plan) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET created_ms = excluded.created_ms, images = excluded.images, plan = excluded.plan`,
      ),
      commandUpdate: p(
        `INSERT INTO command_updates (command_id, node, image, state, cause, summary, duration_ms, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (command_id, node, image) DO UPDATE SET state = excluded.state, cause = excluded.cause, summary = excluded.summary,
           duration_ms = excluded.duration_ms, at_ms = excluded.at_ms
         WHERE excluded.at_ms >= command_updates.at_ms`,
      ),
      loadNodes: p(`SELECT * FROM nodes ORDER BY node`),
      getCommand: p(`SELECT * FROM commands WHERE id = ?`),
      getCommandUpdates: p(`SELECT * FROM command_updates WHERE command_id = ? ORDER BY node, image`),
      getNodeCommandStates: p(`SELECT image, state FROM command_updates WHERE command_id = ? AND node = ?`),
      latestCommands: p(`SELECT * FROM commands ORDER BY created_ms DESC, rowid DESC LIMIT ?`),
      excessCommands: p(`SELECT id FROM commands ORDER BY created_ms DESC, rowid DESC LIMIT -1 OFFSET ?`).pluck(),
      deleteCommand: p(`DELETE FROM commands WHERE id = ?`),
      deleteCommandUpdates: p(`DELETE FROM command_updates WHERE command_id = ?`),
      pruneFindings: p(`DELETE FROM findings WHERE at_ms < ?`),
      pruneCommandUpdates: p(`DELETE FROM command_updates WHERE at_ms < ?`),
      oldCommands: p(`SELECT id FROM commands WHERE created_ms < ? AND NOT EXISTS (SELECT 1 FROM command_updates WHERE command_id = commands.id)`).pluck(),
      oldNodes: p(`SELECT node FROM nodes WHERE last_seen_ms < ? ORDER BY node`).pluck(),
      deleteNode: p(`DELETE FROM nodes WHERE node = ?`),
      findingTotals: p(`SELECT count(*) AS rows, coalesce(sum(${FINDING_ROW_SQL}), 0) AS bytes FROM findings`),
      evictFindings: p(`DELETE FROM findings WHERE seq IN (SELECT seq FROM findings ORDER BY seq LIMIT ?) RETURNING ${FINDING_ROW_SQL} AS bytes`).pluck(),
      // Rewrites the header page with what it holds: one real write, which a read-only or full disk refuses.
      probe: p(`PRAGMA user_version = ${SCHEMA_VERSION}`),
    };
    this.txn = db.transaction((fn: () => unknown) => {
      const result = fn();
      if (typeof (result as { then?: unknown } | null)?.then === "function") {
        throw new Error("Store.transaction: the function returned a promise; a transaction must be synchronous (rolled back)");
      }
      return result;
    });
    this.countFindings();
  }

  /**
   * Opens (creating it and its directory when missing) the database at `path`; ":memory:" keeps
   * it in memory. Refuses, with an Error naming the path, a file that is not a pullmedic database,
   * one that is damaged, or one written by a newer schema.
   */
  static open(path: string, opts: StoreOptions = {}): SqliteStore {
    const memory = path === ":memory:" || path === "";
    const where = memory ? ":memory:" : resolve(path);
    if (!memory) {
      try {
        mkdirSync(dirname(where), { recursive: true });
      } catch (err) {
        throw new Error(`cannot create the directory of the pullmedic database ${where}: ${message(err)}`, { cause: err });
      }
    }
    const Database = loadSqlite();
    let db: SqliteDatabase;
    try {
      db = new Database(memory ? ":memory:" : where, { timeout: 5000 });
    } catch (err) {
      throw new Error(`cannot open the pullmedic database ${where}: ${memory ? message(err) : openFailure(where, err)}`, { cause: err });
    }
    try {
      SqliteStore.prepare(db, where, opts);
      return new SqliteStore(db, where, opts);
    } catch (err) {
      try {
        db.close();
      } catch {
        // the error at hand says more
      }
      if (err instanceof StoreOpenError) throw new Error(err.message, { cause: err.cause });
      const code = errorCode(err);
      if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) {
        throw new Error(`${where} is not a pullmedic database, or it is damaged (${message(err)}); move it away or point the aggregator at another file`, {
          cause: err,
        });
      }
      throw new Error(`cannot open the pullmedic database ${where}: ${memory ? message(err) : openFailure(where, err)}`, { cause: err });
    }
  }

  /** Settings, identity check and schema; throws StoreOpenError with the reason in words. */
  private static prepare(db: SqliteDatabase, where: string, opts: StoreOptions): void {
    // The first read of the header: a file that is not SQLite fails here with SQLITE_NOTADB.
    const appId = db.pragma("application_id", { simple: true }) as number;
    const version = db.pragma("user_version", { simple: true }) as number;
    const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
    if (appId !== APPLICATION_ID && (appId !== 0 || version !== 0 || tables.length > 0)) {
      throw new StoreOpenError(
        `${where} is a SQLite database of something else (application_id ${appId}, tables: ${tables.slice(0, 5).join(", ") || "none"}), not a pullmedic database; point the aggregator at another file`,
      );
    }
    const newer = newerSchemaProblem(where, version, SCHEMA_VERSION);
    if (newer !== undefined) throw new StoreOpenError(newer);
    if (opts.check !== false && tables.length > 0) {
      const problems = db.prepare("PRAGMA quick_check(5)").pluck().all() as string[];
      if (problems.length !== 1 || problems[0] !== "ok") {
        throw new StoreOpenError(
          `${where} is a damaged pullmedic database (${problems
            .join("\n")
            .split(/\s*\n\s*/)
            .join("; ")}); move it away or restore a copy`,
        );
      }
    }
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${opts.synchronous === "full" ? "FULL" : "NORMAL"}`);
    db.pragma("temp_store = MEMORY");
    db.pragma("cache_size = -16384");
    // The WAL file is truncated back to this after a checkpoint, so it does not stay at its peak.
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    if (version === 0) {
      db.transaction(() => {
        db.exec(SCHEMA_V1);
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }).immediate();
    } else {
      const missing = EXPECTED_TABLES.filter((t) => !tables.includes(t));
      if (missing.length > 0) throw new StoreOpenError(`${where} is a pullmedic database without its tables ${missing.join(", ")}; it is damaged`);
    }
  }

  // ---- writes --------------------------------------------------------------------------------

  saveHello(h: Hello, now: number): void {
    this.stmts.hello.run(h.node, h.agentVersion, h.bootId, h.reportIntervalSeconds, now, now);
  }

  /** Upserts the node's latest report (compact JSON) and its last-seen time. */
  saveReport(node: string, r: NodeReport, now: number): void {
    this.stmts.report.run(node, now, now, now, encodeReport(r));
  }

  /** Any message is a sign of life; keeps last_seen for nodes already known. */
  saveSeen(node: string, now: number): void {
    this.stmts.seen.run(now, node, now);
  }

  /**
   * Inserts findings by id; ids already stored are ignored (an agent resends until acked).
   * Returns how many were new. An empty id throws (it would collide with every other empty id).
   */
  saveFindings(node: string, findings: Finding[]): number {
    if (findings.length === 0) return 0;
    return this.transaction(() => {
      let added = 0;
      for (const f of findings) {
        const row = findingRow(node, f);
        if (this.stmts.finding.run(...row.values).changes === 0) continue;
        added++;
        this.tally.added(row.bytes);
      }
      this.keepFindingsInBudget();
      return added;
    });
  }

  /** Beyond maxFindings or maxFindingsBytes, the oldest findings go (FindingsTally.toEvict). */
  private keepFindingsInBudget(): void {
    if (!this.tally.overBudget()) return;
    for (let want = this.tally.toEvict(); want > 0; want = this.tally.toEvict()) {
      const sizes = this.stmts.evictFindings.all(want) as number[];
      if (sizes.length === 0) break;
      this.tally.evicted(sizes);
    }
  }

  /** The findings table against its budget. */
  findingsBudget(): FindingsBudget {
    return this.tally.budget();
  }

  /** One small real write (the header page rewritten as it is): throws what a write would throw now. */
  probeWrite(): void {
    this.stmts.probe.run();
  }

  private countFindings(): void {
    const t = this.stmts.findingTotals.get() as { rows: number; bytes: number };
    this.tally.recount(t.rows, t.bytes);
  }

  /** Saves (or replaces) a command; beyond maxCommands the oldest go with their updates. */
  saveCommand(c: StoredCommand): void {
    this.transaction(() => {
      this.stmts.command.run(c.id, c.createdMs, JSON.stringify(c.images), JSON.stringify(c.plan));
      for (const id of this.stmts.excessCommands.all(this.maxCommands) as string[]) this.deleteCommand(id);
    });
  }

  /**
   * Keeps the latest update per (command, node, image): an older update arriving late (a resend)
   * does not overwrite a newer one. The table grows with commands × nodes × images, not with time.
   */
  saveCommandUpdate(node: string, u: CommandUpdate): void {
    this.stmts.commandUpdate.run(u.commandId, node, u.image, u.state, u.cause, u.summary, u.durationMs, u.atMs);
  }

  /** Runs fn in one transaction (one commit for many messages); nested calls become savepoints. */
  transaction<T>(fn: () => T): T {
    // What the findings table holds is counted here as rows go in and out: a rollback takes the count back too.
    const restore = this.tally.saved();
    try {
      return this.txn(fn) as T;
    } catch (err) {
      restore();
      throw err;
    }
  }

  /**
   * Deletes findings and command updates older than `olderThanMs`, then commands created before
   * it that have no update left. Returns the number of rows deleted. Nodes are not touched
   * (pruneNodes).
   */
  prune(olderThanMs: number): number {
    return this.transaction(() => {
      const findings = this.stmts.pruneFindings.run(olderThanMs).changes;
      if (findings > 0) this.countFindings();
      let removed = findings + this.stmts.pruneCommandUpdates.run(olderThanMs).changes;
      for (const id of this.stmts.oldCommands.all(olderThanMs) as string[]) removed += this.deleteCommand(id);
      return removed;
    });
  }

  /**
   * Forgets nodes not seen since `lastSeenBeforeMs` (nodes gone from an autoscaled cluster) and
   * returns their names, for ClusterState.forget(). Their findings stay until prune().
   */
  pruneNodes(lastSeenBeforeMs: number): string[] {
    return this.transaction(() => {
      const names = this.stmts.oldNodes.all(lastSeenBeforeMs) as string[];
      for (const name of names) this.stmts.deleteNode.run(name);
      return names;
    });
  }

  /** Deletes these nodes' records (ClusterState.forget() dropped them); their findings stay until prune(). */
  deleteNodes(names: string[]): void {
    if (names.length === 0) return;
    this.transaction(() => {
      for (const name of names) this.stmts.deleteNode.run(name);
    });
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** Every node as it was last saved, disconnected; what ClusterState.restore() takes at start. */
  loadNodes(): NodeRecord[] {
    const out: NodeRecord[] = [];
    this.eachNode((rec) => out.push(rec));
    return out;
  }

  /**
   * Every node as it was last saved, one at a time by name: only the row at hand is in memory, so
   * a restart holds no more than what `take` keeps.
   */
  eachNode(take: (rec: NodeRecord) => void): void {
    for (const row of this.stmts.loadNodes.iterate() as IterableIterator<NodeRow>) take(nodeRecord(row));
  }

  /** Findings newest first (by atMs, then by arrival), filtered; limit is capped at MAX_FINDINGS_QUERY. */
  findings(q: FindingsQuery): StoredFinding[] {
    return this.findingsPage(q).findings;
  }

  /**
   * A page of findings newest first, filtered, starting after `after` (the previous page's `next`),
   * with how many match the filter in all.
   */
  findingsPage(q: FindingsQuery & { after?: FindingsCursor }): FindingsPage {
    const { where, params } = findingsFilter(q, () => "?");
    const total = where.length === 0 ? this.tally.rows : (this.findingsCount(where, params) ?? 0);
    if (q.after !== undefined) {
      where.push("(at_ms < ? OR (at_ms = ? AND seq < ?))");
      params.push(q.after.atMs, q.after.atMs, q.after.seq);
    }
    const limit = findingsLimit(q.limit);
    if (limit === 0) return { findings: [], total };
    const rows = this.findingsStatement(where.join(" AND ")).all(...params, limit + 1) as FindingRow[];
    return findingsPageOf(rows, limit, total);
  }

  private findingsCount(where: string[], params: unknown[]): number | undefined {
    const key = `count:${where.join(" AND ")}`;
    let stmt = this.findingQueries.get(key);
    if (stmt === undefined) {
      stmt = this.db.prepare(`SELECT count(*) FROM findings WHERE ${where.join(" AND ")}`).pluck();
      this.findingQueries.set(key, stmt);
    }
    return stmt.get(...params) as number | undefined;
  }

  private findingsStatement(key: string): Statement {
    let stmt = this.findingQueries.get(key);
    if (stmt === undefined) {
      stmt = this.db.prepare(`SELECT * FROM findings ${key === "" ? "" : `WHERE ${key}`} ORDER BY at_ms DESC, seq DESC LIMIT ?`);
      this.findingQueries.set(key, stmt);
    }
    return stmt;
  }

  /** A command with the latest update per (node, image), sorted by node then image. */
  command(id: string): (StoredCommand & { updates: StoredCommandUpdate[] }) | undefined {
    const row = this.stmts.getCommand.get(id) as CommandRow | undefined;
    if (row === undefined) return undefined;
    return commandWithUpdates(row, this.stmts.getCommandUpdates.all(id) as CommandUpdateRow[]);
  }

  /** The latest state per image of one command on one node (its primary key: an index lookup). */
  commandStates(id: string, node: string): { image: string; state: string }[] {
    return this.stmts.getNodeCommandStates.all(id, node) as { image: string; state: string }[];
  }

  /** The newest commands first. */
  latestCommands(limit: number): StoredCommand[] {
    const n = wholeLimit(limit);
    if (n === 0) return [];
    return (this.stmts.latestCommands.all(n) as CommandRow[]).map(commandOf);
  }

  /** Row counts, for metrics (counting findings reads their index: call it seldom). */
  stats(): StoreStats {
    const count = (table: string): number => this.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    return { nodes: count("nodes"), findings: count("findings"), commands: count("commands"), commandUpdates: count("command_updates") };
  }

  /** Closes the database (checkpointing the WAL); later calls do nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private deleteCommand(id: string): number {
    return this.stmts.deleteCommandUpdates.run(id).changes + this.stmts.deleteCommand.run(id).changes;
  }
}

class StoreOpenError extends Error {}
