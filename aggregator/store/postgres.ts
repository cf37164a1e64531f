// The Store on PostgreSQL (the `pg` client): what several aggregator replicas share. One write()
// is one transaction on one pooled connection, each of its writes a savepoint that a failure
// undoes alone, as on SQLite. TLS to the server is what the DSN says (sslmode and friends). The
// DSN's password is remembered as a secret before the first connection, so no log line, error or
// /readyz answer carries it, and `where` names the server without it.
//
// pg is loaded on the first open, so a SQLite aggregator never loads it.

import type { Pool, PoolClient, QueryResultRow } from "pg";
import { rememberUrlCredentials } from "../../core/log/index.js";
import type { CommandUpdate } from "../../core/protocol/index.js";
import type { NodeRecord } from "../cluster-state.js";
import { encodeReport, FINDING_ROW_SQL, findingRow } from "./codec.js";
import { FindingsTally } from "./findings-tally.js";
import { checkout } from "./postgres-checkout.js";
import { migrate } from "./postgres-migrate.js";
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
import type { FindingsPage, Store, StoreWrite, WriteResult } from "./store.js";
import {
  DEFAULT_MAX_COMMANDS,
  type FindingsBudget,
  type FindingsCursor,
  type FindingsQuery,
  type StoredCommand,
  type StoredCommandUpdate,
  type StoredFinding,
  type StoreOptions,
  type StoreStats,
} from "./types.js";

/** Nodes read per query at start: memory holds one page, not the whole table. */
const NODE_PAGE = 500;

type Query = <R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]) => Promise<{ rows: R[]; rowCount: number | null }>;

/** A postgres:// or postgresql:// URL is a PostgreSQL DSN; anything else is a SQLite path. */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database.trim());
}

/** The DSN as it may be shown: without its password. */
export function shownUrl(dsn: string): string {
  try {
    const u = new URL(dsn);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(a DSN that is not a URL)";
  }
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
const n = (v: unknown): number => Number(v);

export interface PostgresOptions extends StoreOptions {
  /** Connections kept at most. Default 10. */
  maxConnections?: number;
}

export class PostgresStore implements Store {
  readonly engine = "postgres" as const;
  private readonly maxCommands: number;
  private readonly tally: FindingsTally;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    readonly where: string,
    opts: StoreOptions,
  ) {
    this.maxCommands = opts.maxCommands ?? DEFAULT_MAX_COMMANDS;
    this.tally = new FindingsTally(opts);
  }

  /** Connects, migrates (or refuses a newer schema) and counts the findings; errors name the server, never the password. */
  static async open(dsn: string, opts: PostgresOptions = {}): Promise<PostgresStore> {
    rememberUrlCredentials(dsn);
    const where = shownUrl(dsn);
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: dsn, max: opts.maxConnections ?? 10, types: { getTypeParser: bigintAsNumber(pg.types.getTypeParser) } });
    // An idle connection the server dropped must not crash the process; the next query reconnects.
    pool.on("error", () => {
      // nothing to do: the pool has dropped the connection already
    });
    try {
      await migrate(pool, where);
      const store = new PostgresStore(pool, where, opts);
      await store.countFindings();
      return store;
    } catch (err) {
      await pool.end().catch(() => {
        // the error that stopped the open says more
      });
      throw new Error(`cannot open the pullmedic database ${where}: ${asError(err).message}`, { cause: err });
    }
  }

  async write(batch: StoreWrite[]): Promise<WriteResult[]> {
    return this.transaction(async (q) => {
      const results: WriteResult[] = [];
      for (const w of batch) {
        const restore = this.tally.saved();
        await q("SAVEPOINT w");
        try {
          const added = await this.applyWrite(q, w);
          await q("RELEASE SAVEPOINT w");
          results.push({ added });
        } catch (err) {
          await q("ROLLBACK TO SAVEPOINT w");
          restore();
          results.push({ error: asError(err), added: 0 });
        }
      }
      await this.keepFindingsInBudget(q);
      return results;
    });
  }

  private async applyWrite(q: Query, w: StoreWrite): Promise<number> {
    switch (w.kind) {
      case "hello":
        await q(
          `INSERT INTO nodes (node, agent_version, boot_id, report_interval_s, first_seen_ms, last_seen_ms) VALUES ($1, $2, $3, $4, $5, $5)
           ON CONFLICT (node) DO UPDATE SET agent_version = excluded.agent_version, boot_id = excluded.boot_id,
             report_interval_s = excluded.report_interval_s, last_seen_ms = greatest(nodes.last_seen_ms, excluded.last_seen_ms)`,
          [w.hello.node, w.hello.agentVersion, w.hello.bootId, w.hello.reportIntervalSeconds, w.atMs],
        );
        return 0;
      case "report":
        await q(
          `INSERT INTO nodes (node, first_seen_ms, last_seen_ms, last_report_ms, report) VALUES ($1, $2, $2, $2, $3)
           ON CONFLICT (node) DO UPDATE SET report = excluded.report, last_report_ms = excluded.last_report_ms,
             last_seen_ms = greatest(nodes.last_seen_ms, excluded.last_seen_ms)`,
          [w.node, w.atMs, encodeReport(w.report)],
        );
        return 0;
      case "findings": {
        const added = await this.insertFindings(q, w.node, w.findings);
        await this.seen(q, w.node, w.atMs);
        return added;
      }
      case "commandUpdate":
        await this.upsertCommandUpdate(q, w.node, w.update);
        await this.seen(q, w.node, w.atMs);
        return 0;
      case "seen":
        await this.seen(q, w.node, w.atMs);
        return 0;
    }
  }

  private async seen(q: Query, node: string, atMs: number): Promise<void> {
    await q(`UPDATE nodes SET last_seen_ms = $1 WHERE node = $2 AND last_seen_ms < $1`, [atMs, node]);
  }

  /** Inserts by id, ignoring ids already kept; an empty id throws (it would collide with every other). */
  private async insertFindings(q: Query, node: string, findings: StoredFinding["finding"][]): Promise<number> {
    let added = 0;
    for (const f of findings) {
      const row = findingRow(node, f);
      const r = await q(
        `INSERT INTO findings (id, node, at_ms, kind, image, cause, registry, pod, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
        row.values,
      );
      if (r.rowCount === 0) continue;
      added++;
      this.tally.added(row.bytes);
    }
    return added;
  }

  private async upsertCommandUpdate(q: Query, node: string, u: CommandUpdate): Promise<void> {
    await q(
      `INSERT INTO command_updates (command_id, node, image, state, cause, summary, duration_ms, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (command_id, node, image) DO UPDATE SET state = excluded.state, cause = excluded.cause, summary = excluded.summary,
         duration_ms = excluded.duration_ms, at_ms = excluded.at_ms
       WHERE excluded.at_ms >= command_updates.at_ms`,
      [u.commandId, node, u.image, u.state, u.cause, u.summary, u.durationMs, u.atMs],
    );
  }

  /** Beyond maxFindings or maxFindingsBytes, the oldest findings go (FindingsTally.toEvict). */
  private async keepFindingsInBudget(q: Query): Promise<void> {
    if (!this.tally.overBudget()) return;
    for (let want = this.tally.toEvict(); want > 0; want = this.tally.toEvict()) {
      const { rows } = await q<{ bytes: number }>(
        `DELETE FROM findings WHERE seq IN (SELECT seq FROM findings ORDER BY seq LIMIT $1) RETURNING ${FINDING_ROW_SQL} AS bytes`,
        [want],
      );
      if (rows.length === 0) break;
      this.tally.evicted(rows.map((r) => n(r.bytes)));
    }
  }

  /** Runs fn in one transaction on one connection; the findings counts go back with a rollback. */
  private async transaction<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    const restore = this.tally.saved();
    const { client, release } = await checkout(this.pool);
    const q = queryOn(client);
    let broken: Error | undefined;
    try {
      await q("BEGIN");
      const result = await fn(q);
      await q("COMMIT");
      return result;
    } catch (err) {
      restore();
      await q("ROLLBACK").catch((e: unknown) => {
        broken = asError(e);
      });
      throw err;
    } finally {
      // A connection whose rollback failed is not put back for the next transaction.
      release(broken);
    }
  }

  private async countFindings(): Promise<void> {
    const { rows } = await this.pool.query(`SELECT count(*) AS rows, coalesce(sum(${FINDING_ROW_SQL}), 0) AS bytes FROM findings`);
    this.tally.recount(n(rows[0]?.rows), n(rows[0]?.bytes));
  }

  async saveCommand(c: StoredCommand): Promise<void> {
    await this.transaction(async (q) => {
      await q(
        `INSERT INTO commands (id, created_ms, images, plan) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET created_ms = excluded.created_ms, images = excluded.images, plan = excluded.plan`,
        [c.id, c.createdMs, JSON.stringify(c.images), JSON.stringify(c.plan)],
      );
      const { rows } = await q<{ id: string }>(`SELECT id FROM commands ORDER BY created_ms DESC, seq DESC OFFSET $1`, [this.maxCommands]);
      for (const r of rows) await deleteCommand(q, r.id);
    });
  }

  async saveCommandUpdate(node: string, u: CommandUpdate): Promise<void> {
    await this.upsertCommandUpdate(this.poolQuery, node, u);
  }

  async prune(olderThanMs: number): Promise<number> {
    const removed = await this.transaction(async (q) => {
      const findings = (await q(`DELETE FROM findings WHERE at_ms < $1`, [olderThanMs])).rowCount ?? 0;
      let removed = findings + ((await q(`DELETE FROM command_updates WHERE at_ms < $1`, [olderThanMs])).rowCount ?? 0);
      const { rows } = await q<{ id: string }>(
        `SELECT id FROM commands WHERE created_ms < $1 AND NOT EXISTS (SELECT 1 FROM command_updates WHERE command_id = commands.id)`,
        [olderThanMs],
      );
      for (const r of rows) removed += await deleteCommand(q, r.id);
      return removed;
    });
    await this.countFindings();
    return removed;
  }

  async pruneNodes(lastSeenBeforeMs: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ node: string }>(`DELETE FROM nodes WHERE last_seen_ms < $1 RETURNING node`, [lastSeenBeforeMs]);
    return rows.map((r) => r.node).sort();
  }

  async deleteNodes(names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.pool.query(`DELETE FROM nodes WHERE node = ANY($1::text[])`, [names]);
  }

  async eachNode(take: (rec: NodeRecord) => void): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const { rows } = await this.pool.query<NodeRow>(
        after === undefined ? `SELECT * FROM nodes ORDER BY node LIMIT $1` : `SELECT * FROM nodes WHERE node > $2 ORDER BY node LIMIT $1`,
        after === undefined ? [NODE_PAGE] : [NODE_PAGE, after],
      );
      for (const row of rows) take(nodeRecord(row));
      if (rows.length < NODE_PAGE) return;
      after = rows[rows.length - 1]!.node;
    }
  }

  async loadNodes(): Promise<NodeRecord[]> {
    const out: NodeRecord[] = [];
    await this.eachNode((rec) => out.push(rec));
    return out;
  }

  async findings(q: FindingsQuery): Promise<StoredFinding[]> {
    return (await this.findingsPage(q)).findings;
  }

  async findingsPage(q: FindingsQuery & { after?: FindingsCursor }): Promise<FindingsPage> {
    const { where, params } = findingsFilter(q, (position) => `$${position}`);
    const filter = where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`;
    const total = where.length === 0 ? this.tally.rows : n((await this.pool.query(`SELECT count(*) AS c FROM findings ${filter}`, params)).rows[0]?.c);
    if (q.after !== undefined) {
      params.push(q.after.atMs, q.after.seq);
      where.push(`(at_ms < $${params.length - 1} OR (at_ms = $${params.length - 1} AND seq < $${params.length}))`);
    }
    const limit = findingsLimit(q.limit);
    if (limit === 0) return { findings: [], total };
    params.push(limit + 1);
    const sql = `SELECT * FROM findings ${where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`} ORDER BY at_ms DESC, seq DESC LIMIT $${params.length}`;
    const { rows } = await this.pool.query<FindingRow>(sql, params);
    return findingsPageOf(rows, limit, total);
  }

  async command(id: string): Promise<(StoredCommand & { updates: StoredCommandUpdate[] }) | undefined> {
    const { rows } = await this.pool.query<CommandRow>(`SELECT * FROM commands WHERE id = $1`, [id]);
    const row = rows[0];
    if (row === undefined) return undefined;
    const updates = await this.pool.query<CommandUpdateRow>(`SELECT * FROM command_updates WHERE command_id = $1 ORDER BY node, image`, [id]);
    return commandWithUpdates(row, updates.rows);
  }

  async commandStates(id: string, node: string): Promise<{ image: string; state: string }[]> {
    const { rows } = await this.pool.query<{ image: string; state: string }>(`SELECT image, state FROM command_updates WHERE command_id = $1 AND node = $2`, [
      id,
      node,
    ]);
    return rows;
  }

  async latestCommands(limit: number): Promise<StoredCommand[]> {
    const want = wholeLimit(limit);
    if (want === 0) return [];
    const { rows } = await this.pool.query<CommandRow>(`SELECT * FROM commands ORDER BY created_ms DESC, seq DESC LIMIT $1`, [want]);
    return rows.map(commandOf);
  }

  findingsBudget(): FindingsBudget {
    return this.tally.budget();
  }

  async stats(): Promise<StoreStats> {
    const { rows } = await this.pool.query(
      `SELECT (SELECT count(*) FROM nodes) AS nodes, (SELECT count(*) FROM findings) AS findings,
              (SELECT count(*) FROM commands) AS commands, (SELECT count(*) FROM command_updates) AS updates`,
    );
    const r = rows[0] ?? {};
    return { nodes: n(r.nodes), findings: n(r.findings), commands: n(r.commands), commandUpdates: n(r.updates) };
  }

  /** Rewrites the newest schema_version row as it is: one real write, which a read-only server refuses. */
  async probeWrite(): Promise<void> {
    await this.pool.query(`UPDATE schema_version SET applied_ms = applied_ms WHERE version = (SELECT max(version) FROM schema_version)`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private readonly poolQuery: Query = (sql, params) => this.pool.query(sql, params);
}

function queryOn(client: PoolClient): Query {
  return (sql, params) => client.query(sql, params);
}

async function deleteCommand(q: Query, id: string): Promise<number> {
  const updates = (await q(`DELETE FROM command_updates WHERE command_id = $1`, [id])).rowCount ?? 0;
  return updates + ((await q(`DELETE FROM commands WHERE id = $1`, [id])).rowCount ?? 0);
}

/** int8 (counts, milliseconds) as a number: pg gives text by default, for values past 2^53 we never store. */
function bigintAsNumber(fallback: (oid: number, format?: "text" | "binary") => unknown) {
  // biome-ignore lint/suspicious/noExplicitAny: pg's parser type is generic over formats.
  return ((oid: number, format?: "text" | "binary") => (oid === 20 ? (v: string) => Number(v) : fallback(oid, format))) as any;
}
