import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type QuotaReading, QuotaTracker } from "../../agent/quota/index.js";
import type { RateLimit } from "../../agent/registry/index.js";

function reading(source: string | undefined, observedAt: number, remaining = 50): QuotaReading {
  return { source, limit: 100, remaining, windowSeconds: 21600, unlimited: false, authenticated: false, observedAt, via: "check", problems: [] };
}

describe("QuotaTracker", () => {
  test("keeps the newest reading per source and drops the least recently updated beyond maxSources", () => {
    const tracker = new QuotaTracker({ maxSources: 3 });
    for (let i = 0; i < 5; i++) tracker.record(reading(`192.0.2.${i}`, 1000 + i));
    assert.deepEqual(
      tracker.bySource().map((r) => r.source),
      ["192.0.2.4", "192.0.2.3", "192.0.2.2"],
    );
    // Updating a source makes it recent again, so the next eviction takes another.
    tracker.record(reading("192.0.2.2", 2000, 10));
    tracker.record(reading("192.0.2.9", 2001));
    assert.deepEqual(
      tracker.bySource().map((r) => r.source),
      ["192.0.2.9", "192.0.2.2", "192.0.2.4"],
    );
    assert.equal(tracker.bySource().find((r) => r.source === "192.0.2.2")?.remaining, 10);
  });

  test("the default bound holds a node's worth of sources and no more", () => {
    const tracker = new QuotaTracker();
    for (let i = 0; i < 1000; i++) tracker.record(reading(`2001:db8:${i.toString(16)}::`, i));
    assert.equal(tracker.bySource().length, 64);
    assert.equal(tracker.latest()?.source, "2001:db8:3e7::");
  });

  test("an older reading arriving late does not replace a newer one", () => {
    const tracker = new QuotaTracker();
    tracker.record(reading("192.0.2.1", 2000, 20));
    tracker.record(reading("192.0.2.1", 1000, 90));
    assert.equal(tracker.latest()?.remaining, 20);
  });

  test("latest() is the newest of any source; none before anything is recorded", () => {
    const tracker = new QuotaTracker();
    assert.equal(tracker.latest(), undefined);
    assert.deepEqual(tracker.bySource(), []);
    tracker.record(reading("192.0.2.1", 3000));
    tracker.record(reading("192.0.2.2", 1000));
    assert.equal(tracker.latest()?.source, "192.0.2.1");
  });

  test("a reading without a source is kept under its own key", () => {
    const tracker = new QuotaTracker();
    tracker.record(reading(undefined, 1, 5));
    tracker.record(reading("192.0.2.1", 2, 6));
    tracker.record(reading(undefined, 3, 4));
    assert.deepEqual(
      tracker.bySource().map((r) => [r.source, r.remaining]),
      [
        [undefined, 4],
        ["192.0.2.1", 6],
      ],
    );
  });

  test("recordRateLimit turns a client's RateLimit into a pull reading and works unbound as onRateLimit", () => {
    const tracker = new QuotaTracker();
    const onRateLimit: (r: RateLimit) => void = tracker.recordRateLimit;
    onRateLimit({ limit: 100, remaining: 41, windowSeconds: 21600, source: "192.0.2.5", observedAt: 77 });
    assert.deepEqual(tracker.latest(), {
      source: "192.0.2.5",
      limit: 100,
      remaining: 41,
      windowSeconds: 21600,
      unlimited: false,
      authenticated: false,
      observedAt: 77,
      via: "pull",
      problems: [],
    });
    tracker.recordRateLimit({ limit: 200, remaining: 150, windowSeconds: 21600, source: "account-1", observedAt: 78 }, "pull", true);
    assert.equal(tracker.latest()?.authenticated, true);
  });

  test("callers get copies: changing a returned reading does not change the tracker", () => {
    const tracker = new QuotaTracker();
    tracker.record(reading("192.0.2.1", 1));
    const got = tracker.latest();
    assert.ok(got);
    got.remaining = 0;
    got.problems.push("x");
    assert.equal(tracker.latest()?.remaining, 50);
    assert.deepEqual(tracker.latest()?.problems, []);
  });

  test("refuses a bound that is not a positive whole number", () => {
    for (const maxSources of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new QuotaTracker({ maxSources }), /maxSources must be a whole number ≥ 1/);
    }
  });
});
