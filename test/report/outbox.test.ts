import assert from "node:assert/strict";
import { test } from "node:test";
import { Outbox } from "../../agent/report/outbox.js";

test("a full outbox drops its oldest items first and counts them", () => {
  const box = new Outbox<string>(3);
  assert.deepEqual(box.push("a"), []);
  box.push("b");
  box.push("c");
  assert.deepEqual(box.push("d"), ["a"]);
  assert.deepEqual(box.push("e"), ["b"]);
  assert.equal(box.size, 3);
  assert.equal(box.dropped, 2);
  assert.deepEqual(
    box.all().map((e) => e.item),
    ["c", "d", "e"],
  );
  assert.throws(() => new Outbox(0), /positive integer/);
});

test("items come out in the order they went in, and each stream sends each item once", () => {
  const box = new Outbox<number>(10);
  for (let i = 1; i <= 4; i++) box.push(i);
  const first = box.unsent(1);
  assert.deepEqual(
    first.map((e) => e.item),
    [1, 2, 3, 4],
  );
  let seq = 100;
  for (const e of first.slice(0, 2)) box.markSent(e, ++seq, 1);
  assert.deepEqual(
    box.unsent(1).map((e) => e.item),
    [3, 4],
    "sent on this stream: not again",
  );
  box.push(5);
  assert.deepEqual(
    box.unsent(1).map((e) => e.item),
    [3, 4, 5],
  );
  // A new stream (round 2) resends everything still unacknowledged, oldest first.
  assert.deepEqual(
    box.unsent(2).map((e) => e.item),
    [1, 2, 3, 4, 5],
  );
});

test("an ack removes the item its seq carried, in any order; unknown and stale seqs are ignored", () => {
  const box = new Outbox<string>(10);
  box.push("x");
  box.push("y");
  box.push("z");
  const [x, y, z] = box.unsent(1);
  assert.ok(x && y && z);
  box.markSent(x, 1, 1);
  box.markSent(y, 2, 1);
  box.markSent(z, 3, 1);
  assert.equal(box.ack(2), "y");
  assert.equal(box.ack(2), undefined, "a second ack of one seq");
  assert.equal(box.ack(99), undefined, "an ack for a seq nothing carried (a report)");
  assert.deepEqual(
    box.all().map((e) => e.item),
    ["x", "z"],
  );

  // Resent on a new stream with a new seq: the ack of that seq removes it; the old seq no longer does.
  box.markSent(x, 10, 2);
  assert.equal(x.seq, 10);
  assert.equal(box.ack(1), undefined);
  assert.equal(box.ack(10), "x");
  assert.equal(box.ack(3), "z");
  assert.equal(box.size, 0);
});

test("an item dropped before its ack arrives is not resurrected by the ack", () => {
  const box = new Outbox<string>(2);
  box.push("a");
  const [a] = box.unsent(1);
  assert.ok(a);
  box.markSent(a, 7, 1);
  box.push("b");
  box.push("c"); // drops "a"
  assert.equal(box.ack(7), undefined);
  assert.deepEqual(
    box.all().map((e) => e.item),
    ["b", "c"],
  );
  box.markSent(a, 8, 2); // a dropped entry cannot be re-registered
  assert.equal(box.ack(8), undefined);

  const [b] = box.all();
  assert.ok(b);
  box.drop(b);
  assert.equal(box.dropped, 2);
  assert.deepEqual(
    box.all().map((e) => e.item),
    ["c"],
  );
});

test("memory stays bounded: many items and acks leave no seq bookkeeping behind", () => {
  const box = new Outbox<number>(1000);
  let seq = 0;
  for (let round = 1; round <= 50; round++) {
    for (let i = 0; i < 500; i++) box.push(i);
    for (const e of box.unsent(round)) box.markSent(e, ++seq, round);
    // Half acked, the rest resent next round with new seqs.
    for (let s = seq - 499; s <= seq; s += 2) box.ack(s);
  }
  assert.ok(box.size <= 1000);
  const internals = box as unknown as { bySeq: Map<number, number>; entries: Map<number, unknown> };
  assert.ok(internals.bySeq.size <= internals.entries.size, `${internals.bySeq.size} seqs for ${internals.entries.size} entries`);
});
