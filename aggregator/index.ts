// The aggregator's door: startAggregator() opens the database, brings the cluster view back from
// it, serves gRPC (agents) and HTTP (API, metrics, dashboard), and hourly prunes old findings and
// forgets nodes gone from the cluster.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../core/log/index.js";
import { isFinalCommandState, type Command } from "../core/protocol/index.js";
import { findPackageRoot } from "../core/process/index.js";
import { ClusterState } from "./cluster-state.js";
import { dispatchPrepull, type DispatchResult } from "./prepull-commands.js";
import type { AggregatorConfig } from "./config.js";
import { startAggregatorHttp, type AggregatorHttp } from "./http/index.js";
import { BearerTokens, startIngest, type Ingest } from "./ingest/index.js";
import { createAggregatorMetrics, type AggregatorMetrics } from "./metrics.js";
import { Store } from "./store.js";

export { loadAggregatorConfig, aggregatorConfigSchema, AggregatorConfigError, AGGREGATOR_ENV_KEYS, isLoopbackListen } from "./config.js";
export type { AggregatorConfig, AggregatorConfigInput, AggregatorConfigSources } from "./config.js";
export { planPrepull, dispatchPrepull, commandStatus } from "./prepull-commands.js";
export type { PlanEntry, DispatchResult, CommandStatus } from "./prepull-commands.js";
export { BearerTokens } from "./ingest/index.js";

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
  /** How often the token file is re-read. Default 30 s. */
  tokenReloadMs?: number;
  /** The dashboard folder. Default aggregator/web in the package. */
  webDir?: string;
  /** Messages of one stream in flight before it stops being read. Default 64. */
  maxInFlightPerStream?: number;
}

const PRUNE_EVERY_MS = 3_600_000;
/** Unfinished pre-pulls are sent again to a node that reconnects while they are this recent (or still to start). */
const RESEND_WITHIN_MS = 86_400_000;
const RESEND_COMMANDS = 50;

export async function startAggregator(config: AggregatorConfig, log: Logger, opts: StartOptions = {}): Promise<RunningAggregator> {
  const now = opts.now ?? Date.now;
  let tokens: BearerTokens | undefined;
  if (config.allowUnauthenticated) {
    log.warn("allowUnauthenticated: the aggregator accepts agents and pre-pull commands without a token; for a one-machine trial only, never in a cluster");
  } else {
    if (config.tokenFile === undefined) throw new Error("tokenFile: required unless allowUnauthenticated is true");
    tokens = await BearerTokens.load(config.tokenFile, log, opts.tokenReloadMs);
  }
  let tls: { cert: Buffer; key: Buffer } | undefined;
  const cleanups: (() => Promise<void> | void)[] = [() => tokens?.stop()];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    if (config.tls) {
      const [cert, key] = await Promise.all([
        readFile(config.tls.certFile).catch((err: Error) => Promise.reject(new Error(`tls.certFile: cannot read ${config.tls?.certFile}: ${err.message}`))),
        readFile(config.tls.keyFile).catch((err: Error) => Promise.reject(new Error(`tls.keyFile: cannot read ${config.tls?.keyFile}: ${err.message}`))),
      ]);
      tls = { cert, key };
    }
    const store = Store.open(config.database);
    cleanups.push(() => store.close());
    const state = new ClusterState({ staleAfterIntervals: config.staleAfterIntervals });
    const restored = store.loadNodes();
    for (const rec of restored) state.restore(rec);
    log.info(`database ${store.path}: ${restored.length} node(s) known from before`);

    const metrics = await createAggregatorMetrics({ nodes: () => state.nodes(), isStale: (r, t) => state.isStale(r, t), now });
    // A command lives only in the agent process that received it (waiting for its start time, or
    // pulling): when that process restarts, or the stream died before the command arrived, the
    // node would never finish it and the command would never be done. So a node that says hello
    // gets again every recent command it has not finished (an agent still running it ignores it).
    let recent: { at: number; commands: { id: string; images: string[]; starts: Map<string, number> }[] } | undefined;
    const recentCommands = () => {
      const t = now();
      // Cached briefly: after a restart of the aggregator every node says hello at once.
      if (!recent || t - recent.at > 5000 || t < recent.at) {
        const commands = store
          .latestCommands(RESEND_COMMANDS)
          .filter((c) => c.createdMs >= t - RESEND_WITHIN_MS || c.plan.some((p) => p.notBeforeMs > t))
          .map((c) => ({ id: c.id, images: c.images, starts: new Map(c.plan.map((p) => [p.node, p.notBeforeMs])) }));
        recent = { at: t, commands };
      }
      return recent.commands;
    };
    const resendUnfinished = (node: string) => {
      for (const c of recentCommands()) {
        const notBeforeMs = c.starts.get(node);
        if (notBeforeMs === undefined) continue;
        const states = new Map(store.commandStates(c.id, node).map((u) => [u.image, u.state]));
        if (c.images.every((image) => isFinalCommandState(states.get(image)))) continue;
        if (ingest.sendCommand(node, { id: c.id, kind: "prepull", prepull: { images: c.images, notBeforeMs } })) {
          log.info(`node ${node}: pre-pull ${c.id} sent again (the node has not finished it)`);
        }
      }
    };
    const ingest: Ingest = await startIngest({
      listen: config.grpcListen,
      store,
      state,
      metrics,
      log,
      tokens,
      maxMessageBytes: config.maxMessageBytes,
      tls,
      now,
      ...(opts.maxInFlightPerStream !== undefined ? { maxInFlightPerStream: opts.maxInFlightPerStream } : {}),
      onHello: (node) => resendUnfinished(node),
    });
    cleanups.push(() => ingest.stop());

    const prepull = (images: string[]) => {
      recent = undefined;
      return dispatchPrepull(images, {
        nodes: () => state.nodes(),
        store,
        sendCommand: (node, cmd) => ingest.sendCommand(node, cmd),
        now,
        staleAfterIntervals: config.staleAfterIntervals,
        // Their planned starts still to come take their share of each source's quota.
        recentCommands: () => store.latestCommands(50),
      });
    };
    let open = true;
    const http: AggregatorHttp = await startAggregatorHttp(config.httpListen, {
      state,
      store,
      metrics,
      tokens,
      now,
      log,
      webDir: opts.webDir ?? join(findPackageRoot(), "aggregator", "web"),
      prepull,
      ready: () => {
        if (!open) return { ready: false, reasons: ["the aggregator is stopping"] };
        try {
          store.latestCommands(1);
          return { ready: true, reasons: [] };
        } catch (err) {
          return { ready: false, reasons: [`database: ${err instanceof Error ? err.message : String(err)}`] };
        }
      },
    });
    cleanups.push(() => http.close());

    const prune = () => {
      try {
        const removed = store.prune(now() - config.retention);
        if (removed > 0) log.info(`retention: removed ${removed} finding(s) and command record(s) older than ${Math.round(config.retention / 3_600_000)} h`);
      } catch (err) {
        log.warn(`retention prune failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      // Nodes that left the cluster: without this they stay in every view (their failures as
      // ghosts) and in memory forever, and an autoscaled cluster ends up at maxNodes, refusing
      // every new node. Only disconnected nodes go; one that comes back says hello again.
      try {
        const before = now() - config.forgetNodesAfter;
        const gone = state
          .nodes()
          .filter((rec) => !rec.connected && rec.lastSeenMs < before)
          .map((rec) => rec.node)
          .filter((name) => state.forget(name));
        store.deleteNodes(gone);
        if (gone.length > 0) {
          const names = `${gone.slice(0, 10).join(", ")}${gone.length > 10 ? `, and ${gone.length - 10} more` : ""}`;
          log.info(`forgot ${gone.length} node(s) not heard from for ${Math.round(config.forgetNodesAfter / 3_600_000)} h: ${names}`);
        }
      } catch (err) {
        log.warn(`forgetting old nodes failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    prune();
    const pruneTimer = setInterval(prune, PRUNE_EVERY_MS);
    pruneTimer.unref();
    cleanups.push(() => clearInterval(pruneTimer));

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
