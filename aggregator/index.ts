// The aggregator's door: startAggregator() opens the database, brings the cluster view back from
// it, serves gRPC (agents) and HTTP (API, metrics, dashboard), and hourly prunes old findings and
// forgets nodes gone from the cluster.

import { join } from "node:path";
import type { Logger } from "../core/log/index.js";
import { findPackageRoot } from "../core/process/index.js";
import type { Command } from "../core/protocol/index.js";
import { ClusterState } from "./cluster-state.js";
import type { AggregatorConfig } from "./config.js";
import { loadSecurity } from "./credentials.js";
import { startHousekeeping } from "./housekeeping.js";
import { startAggregatorHttp } from "./http/index.js";
import { type Ingest, startIngest } from "./ingest/index.js";
import { type AggregatorMetrics, createAggregatorMetrics } from "./metrics.js";
import { type DispatchResult, dispatchPrepull } from "./prepull-commands.js";
import { UnfinishedCommands } from "./resend.js";
import { Store } from "./store.js";

export type { AggregatorConfig } from "./config.js";
export { AggregatorConfigError, isLoopbackListen, loadAggregatorConfig } from "./config.js";
export type { DispatchResult } from "./prepull-commands.js";

export interface RunningAggregator {
  /** host:port the gRPC server is bound to (the real port when 0 was asked). */
  grpcAddress: string;
  /** http://host:port of the API and dashboard, without a trailing slash. */
  httpUrl: string;
  state: ClusterState;
  store: Store;
  metrics: AggregatorMetrics;
  /** Writes a command to the node's open stream; false when the node has none. */
  sendCommand(node: string, cmd: Command): boolean;
  /** What POST /api/v1/prepull does: plan, record and send. */
  prepull(images: string[]): DispatchResult;
  /** Commits the writes queued now (normally done at the end of each event-loop turn). */
  flush(): void;
  /** Ends every stream, closes both servers and the database. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  now?: () => number;
  /** Where KUBECONFIG is read from when the API is needed. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** How often the token file is re-read. Default 30 s. */
  tokenReloadMs?: number;
  /** How often TLS files are re-read, or the TLS Secret's certificate checked. */
  tlsRefreshMs?: number;
  /** The dashboard folder. Default aggregator/web in the package. */
  webDir?: string;
  /** Messages of one stream in flight before it stops being read. Default 64. */
  maxInFlightPerStream?: number;
}

/** Planned starts still to come of this many recent pre-pulls take their share of each source's quota. */
const PLANNED_COMMANDS = 50;

export async function startAggregator(config: AggregatorConfig, log: Logger, opts: StartOptions = {}): Promise<RunningAggregator> {
  const now = opts.now ?? Date.now;
  const security = await loadSecurity(config, log, {
    env: opts.env ?? process.env,
    ...(opts.tokenReloadMs !== undefined ? { tokenReloadMs: opts.tokenReloadMs } : {}),
    ...(opts.tlsRefreshMs !== undefined ? { tlsRefreshMs: opts.tlsRefreshMs } : {}),
    now,
  });
  const cleanups: (() => Promise<void> | void)[] = [() => security.stop()];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const { store, state } = openState(config, log);
    cleanups.push(() => store.close());
    const metrics = await createAggregatorMetrics({ nodes: () => state.nodes(), isStale: (r, t) => state.isStale(r, t), now });
    const unfinished = new UnfinishedCommands(store, now, log);
    const ingest: Ingest = await startIngest({
      listen: config.grpcListen,
      store,
      state,
      metrics,
      log,
      agents: security.agents,
      maxMessageBytes: config.maxMessageBytes,
      tls: security.grpcCredentials,
      now,
      ...(opts.maxInFlightPerStream !== undefined ? { maxInFlightPerStream: opts.maxInFlightPerStream } : {}),
      onHello: (node) => unfinished.resendTo(node, (n, cmd) => ingest.sendCommand(n, cmd)),
    });
    cleanups.push(() => ingest.stop());

    const prepull = (images: string[]) => {
      unfinished.invalidate();
      const sendCommand = (node: string, cmd: Command) => ingest.sendCommand(node, cmd);
      const recentCommands = () => store.latestCommands(PLANNED_COMMANDS);
      return dispatchPrepull(images, { nodes: () => state.nodes(), store, sendCommand, now, staleAfterIntervals: config.staleAfterIntervals, recentCommands });
    };
    let open = true;
    const webDir = opts.webDir ?? join(findPackageRoot(), "aggregator", "web");
    const http = await startAggregatorHttp(config.httpListen, {
      state,
      store,
      metrics,
      access: security.http,
      now,
      log,
      webDir,
      prepull,
      ready: () => readiness(open, store),
    });
    cleanups.push(() => http.close());
    cleanups.push(startHousekeeping({ store, state, log, now, retention: config.retention, forgetNodesAfter: config.forgetNodesAfter }));

    let stopping: Promise<void> | undefined;
    return {
      grpcAddress: ingest.address,
      httpUrl: http.url,
      state,
      store,
      metrics,
      sendCommand: (node, cmd) => ingest.sendCommand(node, cmd),
      prepull,
      flush: () => ingest.flush(),
      stop: () => {
        open = false;
        // Stops in reverse order of start: timers, HTTP, gRPC (committing what is queued), database.
        stopping ??= cleanup();
        return stopping;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The database, and the cluster view brought back from it. */
function openState(config: AggregatorConfig, log: Logger): { store: Store; state: ClusterState } {
  const store = Store.open(config.database);
  const state = new ClusterState({ staleAfterIntervals: config.staleAfterIntervals });
  try {
    const restored = store.loadNodes();
    for (const rec of restored) state.restore(rec);
    log.info(`database ${store.path}: ${restored.length} node(s) known from before`);
  } catch (err) {
    store.close();
    throw err;
  }
  return { store, state };
}

/** Ready while not stopping and the database answers. */
function readiness(open: boolean, store: Store): { ready: boolean; reasons: string[] } {
  if (!open) return { ready: false, reasons: ["the aggregator is stopping"] };
  try {
    store.latestCommands(1);
    return { ready: true, reasons: [] };
  } catch (err) {
    return { ready: false, reasons: [`database: ${err instanceof Error ? err.message : String(err)}`] };
  }
}
