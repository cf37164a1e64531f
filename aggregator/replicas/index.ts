// Replicas: several aggregators behind one Service, sharing one PostgreSQL database. SQLite stays
// one aggregator, without any of this.
//
// The design, the simplest we found correct:
// - Ingest needs no leader: any replica accepts any agent and writes what it acks to the shared
//   database before acking (as a lone aggregator does), so a replica lost mid-stream loses
//   nothing acked; its agents reconnect (with back-off and jitter) to another one.
// - The views must not depend on which replica answers, but each replica holds in memory only the
//   streams of its own agents. So every `replicaRefresh` each replica (1) heartbeats: it writes
//   its heartbeat and the names of the nodes whose streams it holds (replicas, node_streams), and
//   removes replicas whose heartbeat is older than the lease, with their streams; (2) refreshes
//   its ClusterState from the database: every node as stored (reports read only when newer than
//   the one it has), connected when a replica within its lease holds a stream of it. Nodes whose
//   streams it holds itself it knows better and keeps. All replicas thus serve the same nodes,
//   at most about two refreshes apart; times compared across replicas are the server's clock.
// - A pre-pull command for a node whose stream another replica holds is recorded, then NOTIFYd;
//   the holder sends it (commands.ts). A hello sends unfinished commands again (resend.ts).
// - Housekeeping (retention, forgetting gone nodes) runs on one replica per period: an advisory
//   lock held for the pass, and the time of the last pass in the database.

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Pool } from "pg";
import type { Logger } from "../../core/log/index.js";
import type { Command } from "../../core/protocol/index.js";
import type { ClusterState } from "../cluster-state.js";
import type { Store } from "../store/index.js";
import { listenForCommands } from "./commands.js";
import { ReplicaDatabase } from "./database.js";
import { NodeMirror } from "./mirror.js";

/** A replica silent for this many refreshes is gone (its streams with it). */
const LEASE_REFRESHES = 5;

export interface ReplicasDeps {
  /** The postgres:// URL of the shared database. */
  dsn: string;
  state: ClusterState;
  store: Pick<Store, "command">;
  /** Writes the command to the node's stream in this process; false when none is here. */
  sendLocal: (node: string, cmd: Command) => boolean;
  log: Logger;
  refreshMs: number;
}

export interface Replicas {
  readonly replica: string;
  /** The node's stream here gets the command, else the replica holding it is told; false when none holds one. */
  send(node: string, cmd: Command): Promise<boolean>;
  /** Runs `pass` unless another replica runs it now or ran it within `everyMs`; true when it ran here. */
  runOnce(name: string, everyMs: number, pass: () => Promise<void>): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startReplicas(deps: ReplicasDeps): Promise<Replicas> {
  const { default: pg } = await import("pg");
  const pool: Pool = new pg.Pool({ connectionString: deps.dsn, max: 3 });
  pool.on("error", () => undefined);
  const replica = `${hostname()}-${randomBytes(4).toString("hex")}`;
  const db = new ReplicaDatabase(pool, replica, LEASE_REFRESHES * deps.refreshMs);
  const mirror = new NodeMirror(db, deps.state);
  let failing = false;
  const tick = async () => {
    try {
      await db.heartbeat(heldNodes(deps.state));
      await mirror.refresh();
      if (failing) deps.log.info("replicas: the shared database answers again");
      failing = false;
    } catch (err) {
      if (!failing) deps.log.warn(`replicas: heartbeat or refresh failed (${err instanceof Error ? err.message : String(err)}); trying again`);
      failing = true;
    }
  };
  await tick();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const loop = () => {
    timer = setTimeout(() => void tick().finally(() => stopped || loop()), deps.refreshMs);
  };
  loop();
  const stopListening = await listenForCommands({
    connect: async () => {
      const c = new pg.Client({ connectionString: deps.dsn });
      // Before connecting: a connection lost at any moment must not end the process.
      c.on("error", () => undefined);
      await c.connect();
      return c;
    },
    store: deps.store,
    holds: (node) => deps.state.hasStream(node),
    sendLocal: deps.sendLocal,
    log: deps.log,
  });
  deps.log.info(`replicas: this is replica ${replica}; nodes refreshed from the shared database every ${deps.refreshMs} ms`);
  return {
    replica,
    send: async (node, cmd) => {
      if (deps.sendLocal(node, cmd)) return true;
      if (!deps.state.node(node)?.connected) return false;
      await db.notifyCommand(node, cmd.id);
      return true;
    },
    runOnce: (name, everyMs, pass) => db.runOnce(name, everyMs, pass),
    stop: async () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await stopListening();
      await db.leave().catch(() => undefined);
      await pool.end();
    },
  };
}

function heldNodes(state: ClusterState): string[] {
  return state
    .nodes()
    .filter((r) => state.hasStream(r.node))
    .map((r) => r.node);
}
