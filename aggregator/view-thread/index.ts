// Views computed on a thread of their own (worker.ts), so open dashboards do not hold up the
// agents' acknowledgements. Measured (npm run bench aggregator, dashboards part: 5,000 nodes every
// 10 s, ten dashboards refreshing every 5 s, the aggregator on one core, median of 5 paired
// rounds): with the views on the main thread, ten dashboards raised the ack p99 1.93× (the views,
// their garbage and the collections it brought all ran between two acks); on this thread, 1.06×,
// within the machine's noise.
//
// The thread keeps a copy of the nodes. It starts with the first view asked: the cluster state
// notes every change from then on (ClusterState.trackChanges) and, before each request, the changes
// are handed over, a hundred nodes per message with a turn of the event loop between two (a
// node's report only when it changed). Copying costs the main thread ~6 µs per changed node (v8's
// serializer, measured with the bench's reports); a node reporting every 30 s is copied at most once
// per report. The copy doubles what the reports take in memory while it lives: the thread stops
// after idleMs without a view asked, and its copy goes with it; its heap is capped (heapLimitMiB).
// Should the thread fail (it cannot start, it reaches that cap), the views are computed on the main
// thread from then on, as before.

import { Worker } from "node:worker_threads";
import type { Logger } from "../../core/log/index.js";
import type { ClusterState } from "../cluster-state.js";
import { QueryProblem } from "../query.js";
import type { Store } from "../store/index.js";
import type { View } from "../views/index.js";
import type { ChangedNode, FromViewThread, ToViewThread } from "./messages.js";

/** Nodes handed over per message; the event loop turns between two. */
const NODES_PER_MESSAGE = 100;
/** How long the thread and its copy are kept without a view asked (a dashboard asks every few seconds). */
const DEFAULT_VIEW_THREAD_IDLE_MS = 120_000;

/** The view thread cannot answer (it failed, or was stopped with requests in flight): compute on the main thread. */
export class ViewThreadUnavailable extends Error {
  constructor(reason: string) {
    super(`the view thread is not available: ${reason}`);
    this.name = "ViewThreadUnavailable";
  }
}

export interface ViewThreadOptions {
  state: ClusterState;
  store: Pick<Store, "latestCommands">;
  log: Logger;
  idleMs?: number;
  /** The thread's entry (tests: one that fails); default worker.ts, or its bundled file. */
  file?: URL;
}

interface Pending {
  resolve(body: string): void;
  reject(err: Error): void;
}

export class ViewThread {
  private worker: Worker | undefined;
  private failed: string | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Handovers and requests in the order asked: the thread sees every change before the request after it. */
  private queue: Promise<void> = Promise.resolve();
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ViewThreadOptions) {}

  /** False once the thread failed: views are computed on the main thread from then on. */
  get available(): boolean {
    return this.failed === undefined;
  }

  /** Whether the thread runs now (it stops when idle). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /**
   * The view's JSON body (generatedAt `now`) as the thread computes it from the nodes as they are
   * now. Rejects with a QueryProblem for a bad parameter, ViewThreadUnavailable when the thread
   * cannot answer.
   */
  async compute(view: View, params: URLSearchParams, now: number): Promise<string> {
    const worker = this.started();
    this.keepAlive();
    const commands = view.reads.commands ? await this.opts.store.latestCommands(view.reads.commands) : [];
    // The thread may have stopped while the store answered.
    if (this.worker !== worker) throw new ViewThreadUnavailable(this.failed ?? "stopped");
    const id = this.nextId++;
    const body = new Promise<string>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    worker.ref();
    const request: ToViewThread = {
      kind: "compute",
      id,
      view: view.name,
      search: params.toString(),
      now,
      staleAfterIntervals: this.opts.state.staleAfterIntervals,
      commands,
    };
    // A handover that throws leaves the copy behind for good: the thread is stopped (the requests
    // waiting are computed on the main thread) and the next one starts with a whole copy.
    this.queue = this.queue
      .then(() => this.handOver(worker))
      .then(() => worker.postMessage(request))
      .catch((err: unknown) => {
        this.forget(worker, new ViewThreadUnavailable(`handing the nodes over failed: ${err instanceof Error ? err.message : String(err)}`));
        void worker.terminate();
      });
    return body;
  }

  /** Stops the thread (the aggregator's shutdown); a later compute() starts it again. */
  async close(): Promise<void> {
    clearTimeout(this.idle);
    const worker = this.worker;
    if (worker === undefined) return;
    this.forget(worker, new ViewThreadUnavailable("stopped"));
    await worker.terminate();
  }

  private started(): Worker {
    if (this.failed !== undefined) throw new ViewThreadUnavailable(this.failed);
    if (this.worker !== undefined) return this.worker;
    const worker = startWorker(this.opts.file ?? workerFile(), heapLimitMiB(this.opts.state.memory.budgetBytes));
    // Held by the event loop only while a request waits for it (settle()): idle, it keeps no
    // process alive.
    worker.unref();
    worker.on("message", (m: FromViewThread) => this.settle(m));
    worker.on("error", (err) => this.fail(worker, err.message));
    worker.on("exit", (code) => this.fail(worker, `it exited (code ${code})`));
    this.opts.state.trackChanges();
    this.worker = worker;
    return worker;
  }

  /** The nodes changed since the last handover, to the thread. */
  private async handOver(worker: Worker): Promise<void> {
    if (this.worker !== worker) return;
    const { changed, dropped } = this.opts.state.takeChanges();
    for (let i = 0; i < changed.length; i += NODES_PER_MESSAGE) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      const batch: ChangedNode[] = changed
        .slice(i, i + NODES_PER_MESSAGE)
        .map(({ rec, report }) => ({ report, rec: report ? rec : { ...rec, report: undefined } }));
      worker.postMessage({ kind: "changes", changed: batch, dropped: [] } satisfies ToViewThread);
    }
    if (dropped.length > 0) worker.postMessage({ kind: "changes", changed: [], dropped } satisfies ToViewThread);
  }

  private settle(m: FromViewThread): void {
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (m.kind === "answer") p.resolve(m.body);
    else p.reject(m.kind === "problem" ? new QueryProblem(m.message) : new Error(m.message));
  }

  private keepAlive(): void {
    clearTimeout(this.idle);
    // Idle means no request in flight either (the first, at start, may outlast a short idleMs).
    this.idle = setTimeout(() => (this.pending.size > 0 ? this.keepAlive() : void this.close()), this.opts.idleMs ?? DEFAULT_VIEW_THREAD_IDLE_MS);
    this.idle.unref();
  }

  /** The thread stopped on its own: from now on the views are computed on the main thread. */
  private fail(worker: Worker, reason: string): void {
    if (this.worker !== worker) return;
    this.failed = reason;
    this.opts.log.warn(`the view thread stopped (${reason}): views are computed on the main thread from now on`);
    this.forget(worker, new ViewThreadUnavailable(reason));
  }

  private forget(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.opts.state.untrackChanges();
    this.queue = Promise.resolve();
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/**
 * The thread, running `file`. From the sources (tests, the lab) it is TypeScript: tsx is registered
 * in the thread first (Node 20 does not run the hooks of `--import tsx` in a worker).
 */
function startWorker(file: URL, heapMiB: number): Worker {
  // A young generation of 8 MiB whatever the process's flags: the views' short-lived garbage is
  // collected more often, on this thread's idle time, and ~25 MiB stay free (V8's default grows it
  // to 48 MiB; measured with 5,000 nodes, thread started and 30 refreshes: +108 MiB, 8 MiB: +83).
  const options = { name: "pullmedic views", resourceLimits: { maxOldGenerationSizeMb: heapMiB, maxYoungGenerationSizeMb: 8 } };
  if (!file.pathname.endsWith(".ts")) return new Worker(file, options);
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

/**
 * The thread's heap at most, MiB: its copy of the reports (which the main thread holds within
 * reportMemoryBytes, by their estimate) with half again for what the estimate misses and the
 * views' own work, and 64 MiB for the rest. Beyond it the thread stops and the views are computed
 * on the main thread: the install's memory limit never has to hold more than this for it.
 */
function heapLimitMiB(reportBudgetBytes: number): number {
  return Math.ceil((reportBudgetBytes * 1.5) / (1024 * 1024)) + 64;
}

/**
 * worker.ts next to this file when running from the sources; in the bundle (scripts/build.mjs) this
 * module is in dist/chunks/ and the thread's entry is dist/aggregator/view-thread.js.
 */
function workerFile(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts") ? new URL("./worker.ts", here) : new URL("../aggregator/view-thread.js", here);
}
