// What the replicas say to each other through the shared PostgreSQL database: each one's
// heartbeat and the nodes whose streams it holds (node_streams), the nodes as the store keeps
// them, the housekeeping pass's advisory lock, and pre-pull commands on a NOTIFY channel. Times
// that replicas compare are the server's clock, so replicas' clocks may disagree.

import type { Pool } from "pg";
import type { NodeRecord } from "../cluster-state.js";
import { checkout, type NodeRow } from "../store/index.js";

/** Ours among the advisory locks other applications may take on a shared server ("pmdc" + 2). */
const HOUSEKEEPING_LOCK = 0x706d6463_02;
/** The channel a replica NOTIFYs when a command is for a node whose stream another replica may hold. */
export const COMMANDS_CHANNEL = "pullmedic_commands";
const SERVER_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** A node's row without its report, and whether a live replica holds a stream of it. */
export interface NodeSummary extends Omit<NodeRecord, "report"> {
  hasReport: boolean;
}

/** The store's node row, its report left out (this pool reads BIGINT as text: mapped with Number). */
interface SummaryRow extends Omit<NodeRow, "report"> {
  has_report: boolean;
  connected: boolean;
}

export class ReplicaDatabase {
  constructor(
    private readonly pool: Pool,
    readonly replica: string,
    /** A replica whose heartbeat is older than this is gone, with its streams. */
    private readonly leaseMs: number,
  ) {}

  /** This replica is alive and holds streams of exactly `nodes`; replicas past their lease are removed. */
  async heartbeat(nodes: string[]): Promise<void> {
    const { client, release } = await checkout(this.pool);
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO replicas (replica, heartbeat_ms) VALUES ($1, ${SERVER_MS}) ON CONFLICT (replica) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms`,
        [this.replica],
      );
      await client.query(`DELETE FROM node_streams WHERE replica = $1 AND node <> ALL($2::text[])`, [this.replica, nodes]);
      await client.query(`INSERT INTO node_streams (node, replica) SELECT unnest($2::text[]), $1 ON CONFLICT DO NOTHING`, [this.replica, nodes]);
      await client.query(`DELETE FROM replicas WHERE heartbeat_ms < ${SERVER_MS} - $1`, [this.leaseMs]);
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw err;
    } finally {
      release(broken);
    }
  }

  /** Every node without its report; connected when a replica within its lease holds a stream of it. */
  async summaries(): Promise<NodeSummary[]> {
    const { rows } = await this.pool.query<SummaryRow>(
      `SELECT n.node, n.agent_version, n.boot_id, n.report_interval_s, n.first_seen_ms, n.last_seen_ms, n.last_report_ms,
              n.report IS NOT NULL AS has_report,
              EXISTS (SELECT 1 FROM node_streams s JOIN replicas r ON r.replica = s.replica
                      WHERE s.node = n.node AND r.heartbeat_ms >= ${SERVER_MS} - $1) AS connected
         FROM nodes n`,
      [this.leaseMs],
    );
    return rows.map((r) => ({
      node: r.node,
      agentVersion: r.agent_version,
      bootId: r.boot_id,
      reportIntervalSeconds: Number(r.report_interval_s),
      connected: r.connected,
      firstSeenMs: Number(r.first_seen_ms),
      lastSeenMs: Number(r.last_seen_ms),
      lastReportMs: Number(r.last_report_ms),
      hasReport: r.has_report,
    }));
  }

  /** The stored (encoded) reports of these nodes. */
  async reports(nodes: string[]): Promise<Map<string, string>> {
    if (nodes.length === 0) return new Map();
    const { rows } = await this.pool.query<{ node: string; report: string }>(
      `SELECT node, report FROM nodes WHERE node = ANY($1::text[]) AND report IS NOT NULL`,
      [nodes],
    );
    return new Map(rows.map((r) => [r.node, r.report]));
  }

  /** Tells every replica that command `id` is for `node` (the one holding its stream sends it). */
  async notifyCommand(node: string, id: string): Promise<void> {
    await this.pool.query(`SELECT pg_notify($1, $2)`, [COMMANDS_CHANNEL, JSON.stringify({ node, id })]);
  }

  /**
   * Runs `pass` when no other replica is running it (an advisory lock, freed with the session if
   * this replica dies) and none ran it in the last `everyMs` (server time); true when it ran.
   */
  async runOnce(name: string, everyMs: number, pass: () => Promise<void>): Promise<boolean> {
    const { client, release } = await checkout(this.pool);
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [HOUSEKEEPING_LOCK]);
      if (!rows[0]?.locked) return false;
      try {
        const last = await client.query<{ due: boolean }>(`SELECT last_ms < ${SERVER_MS} - $2 AS due FROM housekeeping_runs WHERE name = $1`, [
          name,
          // A little early counts as due: replicas' timers drift against each other.
          Math.floor(everyMs * 0.9),
        ]);
        if (last.rows[0] !== undefined && !last.rows[0].due) return false;
        await pass();
        await client.query(
          `INSERT INTO housekeeping_runs (name, last_ms) VALUES ($1, ${SERVER_MS}) ON CONFLICT (name) DO UPDATE SET last_ms = excluded.last_ms`,
          [name],
        );
        return true;
      } finally {
        // A session whose unlock failed is closed, which frees the lock, rather than reused.
        await client.query("SELECT pg_advisory_unlock($1)", [HOUSEKEEPING_LOCK]).catch((e: unknown) => {
          broken = e instanceof Error ? e : new Error(String(e));
        });
      }
    } finally {
      release(broken);
    }
  }

  /** This replica leaves: its streams are no longer counted anywhere. */
  async leave(): Promise<void> {
    await this.pool.query(`DELETE FROM replicas WHERE replica = $1`, [this.replica]);
  }
}
