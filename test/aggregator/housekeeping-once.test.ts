import assert from "node:assert/strict";
import { test } from "node:test";
import { ClusterState } from "../../aggregator/cluster-state.js";
import { startHousekeeping } from "../../aggregator/housekeeping.js";
import type { Store } from "../../aggregator/store/index.js";
import type { Logger } from "../../core/log/index.js";

// Housekeeping among replicas: the pass runs here only when `once` lets it (no other replica runs
// it now or ran it within the period), and the log says which happened.

function fakes() {
  const calls: string[] = [];
  const lines: string[] = [];
  const store = {
    prune: async () => {
      calls.push("prune");
      return 0;
    },
    deleteNodes: async () => {
      calls.push("deleteNodes");
    },
  } as unknown as Store;
  const note = (m: string) => void lines.push(m);
  const log: Logger = { error: note, warn: note, info: note, debug: note };
  return { calls, lines, deps: { store, state: new ClusterState(), log, now: () => 10_000_000, retention: 3_600_000, forgetNodesAfter: 3_600_000 } };
}

test("without replicas every pass runs here", async () => {
  const { calls, deps } = fakes();
  const results: string[] = [];
  (await startHousekeeping({ ...deps, counted: (r) => void results.push(r) }))();
  assert.deepEqual(calls, ["prune", "deleteNodes"]);
  assert.deepEqual(results, ["ran"]);
});

test("with replicas the pass runs here only when no other replica runs it", async () => {
  for (const lets of [true, false]) {
    const { calls, lines, deps } = fakes();
    const asked: [string, number][] = [];
    const results: string[] = [];
    const stop = await startHousekeeping({
      ...deps,
      counted: (r) => void results.push(r),
      once: async (name, everyMs, pass) => {
        asked.push([name, everyMs]);
        if (lets) await pass();
        return lets;
      },
    });
    stop();
    assert.deepEqual(asked, [["housekeeping", 3_600_000]]);
    assert.deepEqual(calls, lets ? ["prune", "deleteNodes"] : []);
    assert.match(lines.join("\n"), lets ? /this replica ran the pass/ : /skipped here, another replica/);
    assert.deepEqual(results, [lets ? "ran" : "skipped"]);
  }
});

test("a pass the replicas could not agree on is counted as failed and reported to the store's health", async () => {
  const { deps } = fakes();
  const results: string[] = [];
  const failures: string[] = [];
  const stop = await startHousekeeping({
    ...deps,
    counted: (r) => void results.push(r),
    writeFailed: (_err, what) => void failures.push(what),
    once: async () => {
      throw new Error("connection terminated");
    },
  });
  stop();
  assert.deepEqual(results, ["failed"]);
  assert.deepEqual(failures, ["housekeeping across replicas"]);
});
