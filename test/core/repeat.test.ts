import assert from "node:assert/strict";
import { test } from "node:test";
import { type Logger, LogRepeats } from "../../core/log/index.js";

function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { log: { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") }, lines };
}

test("a line repeated 5,000 times in a window is written once, then once with the count", () => {
  const { log, lines } = recorder();
  let now = 1_000_000;
  const repeats = new LogRepeats(log, { now: () => now });
  for (let i = 0; i < 5000; i++) repeats.warn("refused:unauthenticated", `agent stream from 10.0.0.${i % 250}:5000 refused: wrong token`);
  assert.deepEqual(lines, ["warn: agent stream from 10.0.0.0:5000 refused: wrong token"]);
  now += 10_000;
  repeats.flush();
  assert.deepEqual(lines.slice(1), ["warn: agent stream from 10.0.0.249:5000 refused: wrong token (… 4,999 more in the last 10 s)"]);
  repeats.flush();
  assert.equal(lines.length, 2, "a count is written once");
  repeats.stop();
});

test("kinds are counted apart; a kind that comes back after its window is written again", () => {
  const { log, lines } = recorder();
  let now = 0;
  const repeats = new LogRepeats(log, { now: () => now, windowMs: 1000 });
  repeats.warn("a", "a 1");
  repeats.error("b", "b 1");
  repeats.warn("a", "a 2");
  now = 1500;
  repeats.warn("a", "a 3");
  assert.deepEqual(lines, ["warn: a 1", "error: b 1", "warn: a 2 (… 1 more in the last 1 s)", "warn: a 3"]);
  repeats.stop();
});

test("a line alone is never followed by a count; stop() writes what is held", () => {
  const { log, lines } = recorder();
  let now = 0;
  const repeats = new LogRepeats(log, { now: () => now });
  repeats.info("connected", "node a connected");
  now = 60_000;
  repeats.flush();
  assert.deepEqual(lines, ["info: node a connected"]);
  repeats.info("connected", "node b connected");
  repeats.info("connected", "node c connected");
  repeats.stop();
  assert.deepEqual(lines, ["info: node a connected", "info: node b connected", "info: node c connected (… 1 more in the last 10 s)"]);
});

test("the kinds followed are bounded: beyond maxKinds lines share the kind 'other'", () => {
  const { log, lines } = recorder();
  const repeats = new LogRepeats(log, { now: () => 0, maxKinds: 2 });
  for (let i = 0; i < 100; i++) repeats.warn(`kind-${i}`, `line ${i}`);
  assert.deepEqual(lines, ["warn: line 0", "warn: line 1", "warn: line 2"]);
  repeats.stop();
  assert.deepEqual(lines.slice(3), ["warn: line 99 (… 97 more in the last 10 s)"]);
});

test("the count is written by a timer when the flood stops", async () => {
  const { log, lines } = recorder();
  const repeats = new LogRepeats(log, { windowMs: 40 });
  repeats.warn("x", "x");
  repeats.warn("x", "x");
  const deadline = Date.now() + 2000;
  while (lines.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(lines, ["warn: x", "warn: x (… 1 more in the last 40 ms)"]);
  repeats.stop();
});
