import assert from "node:assert/strict";
import { test } from "node:test";
import { WriteBatcher } from "../../aggregator/ingest/batcher.js";
import type { StoreWrite, WriteResult } from "../../aggregator/store/index.js";
import { createLogger } from "../../core/log/log.js";

// Write batching on its own: the jobs of one event-loop turn share one transaction, in arrival
// order; a write that throws fails alone; a commit that fails fails every write in it.

const log = createLogger("cli", "error");

/** A store that records each commit's writes by node name; a write for node "throws" fails alone. */
function fakeStore(commit: () => void = () => undefined) {
  const transactions: string[][] = [];
  return {
    transactions,
    async write(batch: StoreWrite[]): Promise<WriteResult[]> {
      const names = batch.map((w) => (w.kind === "seen" ? w.node : w.kind));
      commit();
      const kept = batch.map((w): WriteResult => (w.kind === "seen" && w.node === "throws" ? { error: new Error("constraint"), added: 0 } : { added: 0 }));
      transactions.push(names.filter((n) => n !== "throws"));
      return kept;
    },
  };
}

/** The write of a message, named. */
const named = (node: string): StoreWrite => ({ kind: "seen", node, atMs: 0 });

const turn = () => new Promise((r) => setImmediate(r));

test("the jobs of one turn share one commit, in order; each is told after it", async () => {
  const store = fakeStore();
  const batcher = new WriteBatcher(store, log);
  const done: [string, Error | undefined][] = [];
  for (const name of ["a", "b", "c"]) batcher.push({ write: named(name), done: (err) => done.push([name, err]) });
  assert.deepEqual(done, [], "nothing is done before the turn ends");
  await turn();
  assert.deepEqual(store.transactions, [["a", "b", "c"]]);
  assert.deepEqual(done, [
    ["a", undefined],
    ["b", undefined],
    ["c", undefined],
  ]);
  batcher.push({ write: named("d"), done: () => undefined });
  await turn();
  assert.deepEqual(store.transactions, [["a", "b", "c"], ["d"]], "the next turn is the next commit");
});

test("a write that throws fails alone; a failed commit fails every write of it, not an ordering-only job", async () => {
  const store = fakeStore();
  const batcher = new WriteBatcher(store, log);
  const done: [string, string | undefined][] = [];
  batcher.push({ write: named("ok"), done: (err) => done.push(["ok", err?.message]) });
  batcher.push({
    write: named("throws"),
    done: (err) => done.push(["bad", err?.message]),
  });
  await batcher.flush();
  assert.deepEqual(done, [
    ["ok", undefined],
    ["bad", "constraint"],
  ]);

  let failing = true;
  const broken = fakeStore(() => {
    if (failing) throw new Error("disk I/O error");
  });
  const b2 = new WriteBatcher(broken, log);
  const after: [string, string | undefined][] = [];
  b2.push({ write: named("x"), done: (err) => after.push(["x", err?.message]) });
  b2.push({ done: (err) => after.push(["end", err?.message]) });
  await b2.flush();
  assert.deepEqual(after, [
    ["x", "disk I/O error"],
    ["end", undefined],
  ]);
  failing = false;
});

test("close commits what is queued and refuses later jobs", async () => {
  const store = fakeStore();
  const batcher = new WriteBatcher(store, log);
  const done: (string | undefined)[] = [];
  batcher.push({ write: named("last"), done: (err) => done.push(err?.message) });
  await batcher.close();
  batcher.push({ write: named("late"), done: (err) => done.push(err?.message) });
  assert.deepEqual(store.transactions, [["last"]]);
  assert.deepEqual(done, [undefined, "the aggregator is shutting down"]);
});
