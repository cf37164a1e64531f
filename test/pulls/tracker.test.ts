import assert from "node:assert/strict";
import { test } from "node:test";
import { PullTracker, progressText } from "../../agent/pulls/index.js";
import { FakeContentStore } from "./fake-store.js";

// The model over ingest statuses, with the clock stepped by the test: no wall clock anywhere.

const MiB = 1024 * 1024;

function setup(stallAfterMs = 60_000) {
  const store = new FakeContentStore();
  let now = 1_000_000;
  const tracker = new PullTracker({ store, now: () => now, stallAfterMs });
  return { store, tracker, step: (ms: number) => (now += ms), at: () => now };
}

test("bytes and layers done, total, smoothed rate and ETA follow the ingests", async () => {
  const { store, tracker, step, at } = setup();
  const img = store.addImage("app", "registry.example.com", "team/app", [10 * MiB, 20 * MiB]);
  store.commit(img.config.digest, img.config.size);
  const [a, b] = img.layers;
  store.write(a!.digest, 0, a!.size, at());
  store.write(b!.digest, 0, b!.size, at());
  let poll = await tracker.poll();
  assert.equal(poll.pulls.length, 1);
  const first = poll.pulls[0]!;
  assert.equal(first.bytesTotal, 30 * MiB + 1000, "config and layers, from the manifest");
  assert.equal(first.layersTotal, 2);
  assert.equal(first.etaSeconds, undefined, "no rate yet: no ETA");
  assert.deepEqual(first.sources, [{ host: "registry.example.com", repository: "team/app" }]);

  // 1 MiB/s for 10 s, 2 s a poll.
  const seen: number[] = [];
  for (let s = 2; s <= 10; s += 2) {
    step(2000);
    store.write(a!.digest, (s / 2) * MiB, a!.size, at());
    store.write(b!.digest, (s / 2) * MiB, b!.size, at());
    poll = await tracker.poll();
    seen.push(poll.pulls[0]!.bytesDone);
  }
  assert.deepEqual(
    seen,
    [...seen].sort((x, y) => x - y),
    "monotone",
  );
  const p = poll.pulls[0]!;
  assert.equal(p.bytesDone, 10 * MiB + 1000);
  assert.ok(Math.abs(p.bytesPerSecond - MiB) < 1, `1 MiB/s, got ${p.bytesPerSecond}`);
  assert.equal(p.etaSeconds, 20, "20 MiB left at 1 MiB/s");
  assert.equal(p.percent, 33);
  assert.equal(p.stalled, false);
  assert.match(progressText(p), /^33 % \(10\.0 MiB of 30\.0 MiB, 0 of 2 layers\) at 1\.0 MiB\/s, about 20 s left$/);

  // The first layer lands: a layer done, its bytes stay counted.
  step(2000);
  store.commit(a!.digest, a!.size);
  store.write(b!.digest, 6 * MiB, b!.size, at());
  poll = await tracker.poll();
  assert.equal(poll.pulls[0]!.layersDone, 1);
  assert.equal(poll.pulls[0]!.bytesDone, 16 * MiB + 1000);

  // The last one lands: the pull is finished, complete, and no longer in flight.
  step(2000);
  store.commit(b!.digest, b!.size);
  poll = await tracker.poll();
  assert.deepEqual(poll.pulls, []);
  assert.equal(poll.finished.length, 1);
  assert.equal(poll.finished[0]!.complete, true);
  assert.equal(poll.finished[0]!.bytesTotal, 30 * MiB + 1000);
  assert.deepEqual((await tracker.poll()).finished, [], "finished is said once");
});

test("a pull is stalled once nothing moved for the configured time, and moves on when bytes come again", async () => {
  const { store, tracker, step, at } = setup(60_000);
  const img = store.addImage("big", "docker.io", "library/big", [50 * MiB]);
  const [l] = img.layers;
  store.write(l!.digest, 5 * MiB, l!.size, at(), at() - 5000);
  let p = (await tracker.poll()).pulls[0]!;
  assert.ok(p.bytesPerSecond > 0, "the bytes already written give a first rate");
  assert.ok(p.etaSeconds !== undefined);
  step(59_000);
  p = (await tracker.poll()).pulls[0]!;
  assert.equal(p.stalled, false, "59 s without a byte is not yet 60 s");
  step(1000);
  p = (await tracker.poll()).pulls[0]!;
  assert.equal(p.stalled, true);
  assert.equal(p.idleMs, 60_000);
  assert.equal(p.bytesPerSecond, 0);
  assert.equal(p.etaSeconds, undefined);
  assert.match(progressText(p), /^stalled: no bytes for 1 min at 9 % \(5\.0 MiB of 50\.0 MiB, 0 of 1 layers\)$/);
  step(5000);
  store.write(l!.digest, 6 * MiB, l!.size, at());
  p = (await tracker.poll()).pulls[0]!;
  assert.equal(p.stalled, false);
  assert.equal(p.idleMs, 0);
});

test("a pull first seen long after its last write is stalled at once (an agent restarted during a stall)", async () => {
  const { store, tracker, at } = setup(60_000);
  const img = store.addImage("old", "ghcr.io", "o/old", [10 * MiB]);
  store.write(img.layers[0]!.digest, MiB, 10 * MiB, at() - 120_000, at() - 130_000);
  const p = (await tracker.poll()).pulls[0]!;
  assert.equal(p.stalled, true);
  assert.equal(p.idleMs, 120_000);
});

test("a pull whose writes stop short ends incomplete after a grace, not between two layers", async () => {
  const { store, tracker, step, at } = setup();
  const img = store.addImage("gone", "quay.io", "o/gone", [MiB, MiB]);
  store.write(img.layers[0]!.digest, 100, MiB, at());
  await tracker.poll();
  store.ingests.clear();
  step(5000);
  let poll = await tracker.poll();
  assert.equal(poll.pulls.length, 1, "a moment without ingests: still in flight");
  step(9000);
  assert.equal((await tracker.poll()).pulls.length, 1, "9 s without ingests: still in flight");
  step(1000);
  poll = await tracker.poll();
  assert.deepEqual(poll.pulls, []);
  assert.equal(poll.finished[0]?.complete, false);
});

test("ingests no manifest claims are counted, and looked up again only after a while", async () => {
  const { store, tracker, step } = setup();
  store.write(`sha256:${"a".repeat(64)}`, 10, 100, 1);
  assert.equal((await tracker.poll()).unclaimed, 1);
  const calls = store.calls;
  await tracker.poll();
  assert.equal(store.calls - calls, 1, "only ListStatuses: the unknown digest is not looked up again at once");
  step(10_000);
  await tracker.poll();
  assert.equal(store.calls - calls, 3);
});
