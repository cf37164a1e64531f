// The aggregator's door: startAggregator() opens the database, brings the cluster view back from
// it, serves gRPC (agents) and HTTP (API, metrics, dashboard), and hourly prunes old findings and
// forgets nodes gone from the cluster. On PostgreSQL it is one of possibly several replicas
// (replicas/index.ts says how they share the view, the commands and the housekeeping).

import { statfsSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Logger, LogRepeats } from "../core/log/index.js";
import { findPackageRoot } from "../core/process/index.js";
import { type Command, measureReport } from "../core/protocol/index.js";
import { ClusterState } from "./cluster-state.js";
import type { AggregatorConfig } from "./config.js";
import { loadSecurity } from "./credentials.js";
import { type HousekeepingDeps, type HousekeepingResult, startHousekeeping } from "./housekeeping.js";
import { startAggregatorHttp } from "./http/index.js";
import { type Ingest, startIngest } from "./ingest/index.js";
import { type AggregatorMetrics, createAggregatorMetrics } from "./metrics.js";
import { type DispatchResult, dispatchPrepull } from "./prepull-commands.js";
import { type Replicas, type ReplicasDeps, startReplicas } from "./replicas/index.js";
import { UnfinishedCommands } from "./resend.js";
import { databaseOf, openStore, type Store, StoreHealth } from "./store/index.js";
import { ViewThread } from "./view-thread/index.js";

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
  prepull(images: string[]): Promise<DispatchResult>;
  /** Commits the writes queued now (normally done at the end of each event-loop turn); resolves once they were acked. */
  flush(): Promise<void>;
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
  // Lines that repeat (refusals, failed writes, connections) are folded; stopped last, so the
  // counts still held are written.
  const repeats = new LogRepeats(log, { now });
  const security = await loadSecurity(config, log, {
    env: opts.env ?? process.env,
    ...(opts.tokenReloadMs !== undefined ? { tokenReloadMs: opts.tokenReloadMs } : {}),
    ...(opts.tlsRefreshMs !== undefined ? { tlsRefreshMs: opts.tlsRefreshMs } : {}),
    now,
  });
  const cleanups: (() => Promise<void> | void)[] = [() => repeats.stop(), () => security.stop()];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const { store, state } = await openState(config, log);
    cleanups.push(() => store.close());
    const { metrics, health: storeHealth } = await instruments(store, state, repeats, now);
    const unfinished = new UnfinishedCommands(store, now, log);
    const ingest: Ingest = await startIngest({
      listen: config.grpcListen,
      store,
      state,
      metrics,
      log,
      repeats,
      writes: { committed: () => storeHealth.succeeded(), failed: (err, what) => storeHealth.failed(err, what) },
      findingRate: config.findingRate,
      agents: security.agents,
      maxMessageBytes: config.maxMessageBytes,
      tls: security.grpcCredentials,
      now,
      ...(opts.maxInFlightPerStream !== undefined ? { maxInFlightPerStream: opts.maxInFlightPerStream } : {}),
      onHello: (node) => unfinished.resendTo(node, (n, cmd) => ingest.sendCommand(n, cmd)),
    });
    cleanups.push(() => ingest.stop());

    const sendLocal = (node: string, cmd: Command) => ingest.sendCommand(node, cmd);
    const replicas = await replicasOf(config, { store, state, sendLocal, log: repeats.as("replicas") });
    if (replicas !== undefined) cleanups.push(() => replicas.stop());
    const prepull = prepullCommand({ config, state, store, now, health: storeHealth, unfinished, send: replicas?.send ?? sendLocal });
    let open = true;
    const viewThread = config.viewThread ? new ViewThread({ state, store, log: repeats.as("http") }) : undefined;
    if (viewThread) cleanups.push(() => viewThread.close());
    const http = await startAggregatorHttp(config.httpListen, {
      state,
      store,
      metrics,
      access: security.http,
      now,
      log: repeats.as("http"),
      webDir: opts.webDir ?? join(findPackageRoot(), "aggregator", "web"),
      prepull,
      ready: async () => readiness(open, storeHealth),
      viewCacheWindowMs: config.viewCacheWindow,
      ...(viewThread ? { viewThread } : {}),
    });
    cleanups.push(() => http.close());
    const counted = (result: HousekeepingResult) => metrics.housekeepingPass(result);
    cleanups.push(await startHousekeeping(housekeepingDeps(config, { store, state, log, now, counted }, storeHealth, replicas)));

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

/** On PostgreSQL, this aggregator as one of the replicas sharing the database; SQLite has none. */
async function replicasOf(config: AggregatorConfig, deps: Omit<ReplicasDeps, "dsn" | "store" | "refreshMs"> & { store: Store }): Promise<Replicas | undefined> {
  if (deps.store.engine !== "postgres") return undefined;
  const dsn = await databaseOf({ database: config.database, databaseFile: config.databaseFile });
  return startReplicas({ ...deps, dsn, refreshMs: config.replicaRefresh });
}

/** What the housekeeping works with: with replicas, one of them runs each pass. */
function housekeepingDeps(
  config: AggregatorConfig,
  base: Pick<HousekeepingDeps, "store" | "state" | "log" | "now" | "counted">,
  health: StoreHealth,
  replicas: Replicas | undefined,
): HousekeepingDeps {
  const writeFailed = (err: unknown, what: string) => health.failed(err, what);
  const deps = { ...base, retention: config.retention, forgetNodesAfter: config.forgetNodesAfter, writeFailed };
  return replicas === undefined ? deps : { ...deps, once: replicas.runOnce };
}

/** The metrics and the database's health, which report to each other. */
async function instruments(
  store: Store,
  state: ClusterState,
  repeats: LogRepeats,
  now: () => number,
): Promise<{ metrics: AggregatorMetrics; health: StoreHealth }> {
  let health: StoreHealth | undefined;
  const metrics = await createAggregatorMetrics({
    nodes: () => state.nodes(),
    isStale: (r, t) => state.isStale(r, t),
    now,
    reportMemory: () => state.memory,
    findings: () => store.findingsBudget(),
    storeFailing: () => health?.failing ?? false,
  });
  health = new StoreHealth({
    probe: () => store.probeWrite(),
    freeBytes: () => (store.engine === "sqlite" ? freeBytesBeside(store.where) : undefined),
    log: repeats.as("store"),
    count: (r) => metrics.storeWriteFailed(r),
    now,
  });
  return { metrics, health };
}

interface PrepullDeps {
  config: AggregatorConfig;
  state: ClusterState;
  store: Store;
  now: () => number;
  health: StoreHealth;
  unfinished: UnfinishedCommands;
  send: (node: string, cmd: Command) => boolean | Promise<boolean>;
}

/** What POST /api/v1/prepull does: plan, record and send. */
function prepullCommand({ config, state, store, now, health, unfinished, send }: PrepullDeps): (images: string[]) => Promise<DispatchResult> {
  return async (images) => {
    unfinished.invalidate();
    const recentCommands = () => store.latestCommands(PLANNED_COMMANDS);
    try {
      return await dispatchPrepull(images, {
        nodes: () => state.nodes(),
        store,
        sendCommand: send,
        now,
        staleAfterIntervals: config.staleAfterIntervals,
        recentCommands,
      });
    } catch (err) {
      // The command could not be recorded: the database's health hears of it, the caller gets a 500.
      if (isDatabaseError(err)) health.failed(err, "pre-pull command");
      throw err;
    }
  };
}

/**
 * The database, and the cluster view brought back from it: one node at a time, each report kept
 * only if it fits the report memory, so a restart never needs more memory than the budget.
 */
async function openState(config: AggregatorConfig, log: Logger): Promise<{ store: Store; state: ClusterState }> {
  const store = await openStore(
    { database: config.database, databaseFile: config.databaseFile },
    { maxFindings: config.maxFindings, maxFindingsBytes: config.maxFindingsBytes },
  );
  const state = new ClusterState({ staleAfterIntervals: config.staleAfterIntervals, maxNodes: config.maxNodes, reportMemoryBytes: config.reportMemoryBytes });
  try {
    let nodes = 0;
    let left = 0;
    await store.eachNode((rec) => {
      nodes++;
      if (!state.restore(rec, rec.report ? measureReport(rec.report).bytes : 0)) left++;
    });
    log.info(`database ${store.where}: ${nodes} node(s) known from before`);
    if (left > 0) {
      log.warn(
        `${left} node report(s) left out of memory at start: they do not fit reportMemoryBytes (${Math.round(config.reportMemoryBytes / 1024 / 1024)} MiB); each comes back with its node's next report`,
      );
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  return { store, state };
}

/** An error of the database (SQLite's result codes, PostgreSQL's five-character SQLSTATE), not of the request. */
function isDatabaseError(err: unknown): boolean {
  const code = String((err as { code?: unknown } | null)?.code ?? "");
  return code.startsWith("SQLITE_") || /^[0-9A-Z]{5}$/.test(code) || /^E(CONNREFUSED|CONNRESET|TIMEDOUT|PIPE)$/.test(code);
}

/** Ready while not stopping and the database takes writes. */
async function readiness(open: boolean, health: StoreHealth): Promise<{ ready: boolean; reasons: string[] }> {
  if (!open) return { ready: false, reasons: ["the aggregator is stopping"] };
  const problem = await health.problem();
  return problem === undefined ? { ready: true, reasons: [] } : { ready: false, reasons: [problem] };
}

/** Bytes free for an unprivileged writer on the volume of `file`; undefined in memory or when unknown. */
function freeBytesBeside(file: string): number | undefined {
  if (file === ":memory:") return undefined;
  try {
    const s = statfsSync(dirname(file));
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}
