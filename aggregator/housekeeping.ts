// Hourly housekeeping: findings and command records older than the retention are pruned, and nodes
// not heard from for forgetNodesAfter are forgotten. With replicas, one of them runs each pass
// (`once`), not every one.

import type { Logger } from "../core/log/index.js";
import type { ClusterState } from "./cluster-state.js";
import type { Store } from "./store/index.js";

const EVERY_MS = 3_600_000;
const HOUR_MS = 3_600_000;

export interface HousekeepingDeps {
  store: Store;
  state: ClusterState;
  log: Logger;
  now: () => number;
  /** How long findings and command records are kept, ms. */
  retention: number;
  /** How long a disconnected node is kept, ms. */
  forgetNodesAfter: number;
  /** A write failed: the database's health hears of it. */
  writeFailed?: (err: unknown, what: string) => void;
  /**
   * Replicas sharing the database: runs the pass unless another replica runs it now or ran it
   * within `everyMs`, resolving to whether it ran here. Absent: every pass runs here.
   */
  once?: (name: string, everyMs: number, pass: () => Promise<void>) => Promise<boolean>;
  /** Each hourly pass: ran here, skipped (another replica's), or failed to agree with the others. */
  counted?: (result: HousekeepingResult) => void;
}

/** What became of a pass here (the metric's result label). */
export const HOUSEKEEPING_RESULTS = ["ran", "skipped", "failed"] as const;
export type HousekeepingResult = (typeof HOUSEKEEPING_RESULTS)[number];

/** Runs now (resolving once that run is done), then every hour; resolves to what stops it. */
export async function startHousekeeping(deps: HousekeepingDeps): Promise<() => void> {
  // One run at a time: a slow database must not pile runs up.
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= onePass(deps).finally(() => {
      running = undefined;
    });
    return running;
  };
  await run();
  const timer = setInterval(run, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

async function onePass(deps: HousekeepingDeps): Promise<void> {
  const pass = async () => {
    await pruneHistory(deps);
    await forgetGoneNodes(deps);
  };
  if (deps.once === undefined) {
    await pass();
    return deps.counted?.("ran");
  }
  try {
    const ran = await deps.once("housekeeping", EVERY_MS, pass);
    deps.counted?.(ran ? "ran" : "skipped");
    deps.log.info(
      ran ? "housekeeping: this replica ran the pass for all replicas" : "housekeeping: skipped here, another replica runs it or ran it within the hour",
    );
  } catch (err) {
    deps.counted?.("failed");
    if (deps.writeFailed) deps.writeFailed(err, "housekeeping across replicas");
    else deps.log.warn(`housekeeping across replicas failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function pruneHistory({ store, log, now, retention, writeFailed }: HousekeepingDeps): Promise<void> {
  try {
    const removed = await store.prune(now() - retention);
    if (removed > 0) log.info(`retention: removed ${removed} finding(s) and command record(s) older than ${Math.round(retention / HOUR_MS)} h`);
  } catch (err) {
    if (writeFailed) writeFailed(err, "retention prune");
    else log.warn(`retention prune failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Nodes that left the cluster: without this they stay in every view (their failures as ghosts)
 * and in memory forever, and an autoscaled cluster ends up at maxNodes, refusing every new node.
 * Only disconnected nodes go; one that comes back says hello again.
 */
async function forgetGoneNodes({ store, state, log, now, forgetNodesAfter, writeFailed }: HousekeepingDeps): Promise<void> {
  try {
    const before = now() - forgetNodesAfter;
    const gone = state
      .nodes()
      .filter((rec) => !rec.connected && rec.lastSeenMs < before)
      .map((rec) => rec.node)
      .filter((name) => state.forget(name));
    await store.deleteNodes(gone);
    if (gone.length > 0) {
      const names = `${gone.slice(0, 10).join(", ")}${gone.length > 10 ? `, and ${gone.length - 10} more` : ""}`;
      log.info(`forgot ${gone.length} node(s) not heard from for ${Math.round(forgetNodesAfter / HOUR_MS)} h: ${names}`);
    }
  } catch (err) {
    if (writeFailed) writeFailed(err, "forgetting old nodes");
    else log.warn(`forgetting old nodes failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
