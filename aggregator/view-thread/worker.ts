// The view thread: computes the views from its copy of the nodes, away from the main thread,
// where the agents' messages are read and acknowledged. Its own heap, so a view's garbage is
// collected here; and the lowest scheduling priority the kernel has for it (below).

import { spawnSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import { DEFAULT_STALE_AFTER_INTERVALS } from "../cluster-state.js";
import { QueryProblem } from "../query.js";
import type { Store } from "../store/index.js";
import { VIEWS } from "../views/index.js";
import type { FromViewThread, ToViewThread } from "./messages.js";
import { NodeCopy } from "./node-copy.js";

const port = parentPort;
if (port === null) throw new Error("aggregator/view-thread/worker.ts runs as a worker thread only");

/**
 * This thread alone (Linux keeps a nice value and a policy per thread) to nice 19, then to
 * SCHED_IDLE with util-linux's chrt: a thread of that policy runs only on what the others leave,
 * and a waking normal thread takes the core from it at once, where one at nice 19 could keep it
 * for the rest of its time slice (EEVDF, Linux 6.6+) while an ack waits. Lowering one's own
 * priority needs no privilege. Where either is refused, the views run at the priority they got.
 */
function lowestPriority(): void {
  try {
    setPriority(0, 19);
    // "<pid>/task/<tid>"
    const tid = readlinkSync("/proc/thread-self").split("/").pop() ?? "";
    if (/^\d+$/.test(tid)) spawnSync("chrt", ["--idle", "--pid", "0", tid], { stdio: "ignore", timeout: 5000 });
  } catch {
    // Not permitted, no /proc, no chrt: as above.
  }
}

lowestPriority();
// Each request says the cluster state's setting; this is the default until the first.
const copy = new NodeCopy(DEFAULT_STALE_AFTER_INTERVALS);
const byName = new Map(VIEWS.map((v) => [v.name, v]));

async function compute(m: Extract<ToViewThread, { kind: "compute" }>): Promise<FromViewThread> {
  const view = byName.get(m.view);
  if (view === undefined) return { kind: "failed", id: m.id, message: `no view ${JSON.stringify(m.view)}` };
  copy.staleAfterIntervals = m.staleAfterIntervals;
  const store = {
    latestCommands: async () => m.commands,
    findingsPage: () => Promise.reject(new Error(`view ${m.view} reads the store, which the view thread has not`)),
  } as Pick<Store, "latestCommands" | "findingsPage">;
  try {
    const options = { staleAfterIntervals: m.staleAfterIntervals };
    const body = await view.compute({ state: copy, store, now: m.now, options }, new URLSearchParams(m.search));
    // As the HTTP side's json() writes a body: one line.
    return { kind: "answer", id: m.id, body: `${JSON.stringify({ generatedAt: m.now, ...body })}\n` };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return err instanceof QueryProblem ? { kind: "problem", id: m.id, message } : { kind: "failed", id: m.id, message };
  }
}

port.on("message", (m: ToViewThread) => {
  if (m.kind === "changes") copy.apply(m.changed, m.dropped);
  else void compute(m).then((answer) => port.postMessage(answer));
});
