import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffDelayMs, PREPULL_DEFAULTS } from "../../agent/prepull/index.js";
import { mapBounded, Slots } from "../../agent/prepull/pool.js";
import { QuotaGate } from "../../agent/prepull/quota-gate.js";
import type { RateLimit } from "../../agent/registry/index.js";
import { isDockerHub, parseReference } from "../../core/image/index.js";

// The pure parts of a round: back-off, the quota gate, the worker pool.

test("back-off: full jitter under a cap that doubles per attempt and stops at the maximum", () => {
  const policy = { attempts: 6, baseDelayMs: 1000, maxDelayMs: 5000 };
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, policy, () => 0.5)),
    [500, 1000, 2000, 2500, 2500],
  );
  assert.equal(
    backoffDelayMs(3, policy, () => 0),
    0,
    "full jitter may retry at once",
  );
  assert.ok(backoffDelayMs(3, policy, () => 0.999_999) < 4000);
  assert.equal(
    backoffDelayMs(2, { ...policy, baseDelayMs: 0 }, () => 0.7),
    0,
  );
  assert.deepEqual(PREPULL_DEFAULTS.retries, { attempts: 3, baseDelayMs: 2000, maxDelayMs: 60_000 });
});

test("Docker Hub is docker.io unless told otherwise", () => {
  assert.ok(isDockerHub(parseReference("nginx:1.27")));
  assert.ok(isDockerHub(parseReference("index.docker.io/library/nginx")));
  assert.ok(!isDockerHub(parseReference("ghcr.io/org/app:1")));
  assert.ok(isDockerHub(parseReference("127.0.0.1:5000/library/nginx:1"), ["127.0.0.1:5000"]));
});

const reading = (remaining: number, observedAt: number): RateLimit => ({ limit: 100, remaining, windowSeconds: 21_600, source: "198.51.100.4", observedAt });

test("quota gate: pulls go while the quota is at or above the reserve, then wait", () => {
  let now = 1000;
  const gate = new QuotaGate(
    () => undefined,
    10,
    () => now,
  );
  const first = gate.claim(reading(11, 1000));
  assert.equal(first.go, true);
  const second = gate.claim(reading(11, 1000));
  assert.equal(second.go, true, "11 - 1 in flight = 10, not under 10");
  const third = gate.claim(reading(11, 1000));
  assert.deepEqual(third, { go: false, reading: { remaining: 9, source: "198.51.100.4", windowSeconds: 21_600 } });
  // A pull that finished before a newer reading is in that reading already.
  if (first.go) first.finished();
  if (second.go) second.finished();
  now = 2000;
  assert.equal(gate.claim(reading(10, 2000)).go, true);
});

test("quota gate: the freshest reading wins, and none or unlimited never holds a pull back", () => {
  const stale = { remaining: 2, source: "a", windowSeconds: 60, observedAt: 0 };
  const gate = new QuotaGate(
    () => stale,
    10,
    () => 100,
  );
  assert.equal(gate.claim(reading(90, 50)).go, true, "this image's HEAD is newer than the tracker");
  assert.equal(
    new QuotaGate(
      () => stale,
      10,
      () => 100,
    ).claim(undefined).go,
    false,
    "the tracker alone",
  );
  assert.equal(
    new QuotaGate(
      () => ({ remaining: 2, source: undefined, windowSeconds: undefined }),
      10,
      () => 0,
    ).claim(undefined).go,
    false,
    "a reading without a time still counts",
  );
  assert.equal(
    new QuotaGate(
      () => undefined,
      10,
      () => 0,
    ).claim(undefined).go,
    true,
  );
  assert.equal(
    new QuotaGate(
      () => ({ remaining: undefined, source: "x", windowSeconds: undefined }),
      10,
      () => 0,
    ).claim(undefined).go,
    true,
  );
  const seen = new QuotaGate(
    () => undefined,
    10,
    () => 0,
  );
  seen.observe(reading(4, 10));
  assert.equal(seen.claim(undefined).go, false, "a reading another image's HEAD saw this round");
  assert.equal(
    new QuotaGate(
      () => stale,
      0,
      () => 0,
    ).claim(undefined).go,
    true,
    "reserve 0 spends the quota to the end",
  );
});

test("worker pool: order kept, never more than the limit at once", async () => {
  let inFlight = 0;
  let most = 0;
  const out = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (n) => {
    inFlight++;
    most = Math.max(most, inFlight);
    for (let i = 0; i < n; i++) await Promise.resolve();
    inFlight--;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30, 0]);
  assert.equal(most, 2);
  assert.deepEqual(await mapBounded([], 3, async () => 1), []);
});

test("pull slots: never more holders than slots, waiters served in order, a double release gives back one slot", async () => {
  const slots = new Slots(2);
  const a = await slots.acquire();
  const b = await slots.acquire();
  const order: string[] = [];
  const c = slots.acquire().then((release) => {
    order.push("c");
    return release;
  });
  const d = slots.acquire().then((release) => {
    order.push("d");
    return release;
  });
  await Promise.resolve();
  assert.deepEqual(order, [], "both slots are held");
  a();
  a();
  const releaseC = await c;
  await Promise.resolve();
  assert.deepEqual(order, ["c"], "the second release of the same slot frees nothing");
  b();
  const releaseD = await d;
  assert.deepEqual(order, ["c", "d"]);
  releaseC();
  releaseD();
  const e = await slots.acquire();
  const f = await slots.acquire();
  e();
  f();
});
