import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDuration, formatDurationMs, parseDuration } from "../../core/text/index.js";

test("formatDuration: the largest unit and the next when it is not zero, rounded down", () => {
  const cases: [number, string][] = [
    [45_000, "45 s"],
    [133_000, "2 min 13 s"],
    [3_600_000, "1 h"],
    [5_400_000, "1 h 30 min"],
    [3_905_000, "1 h 5 min"],
    [21_600_000, "6 h"],
    [86_400_000, "1 d"],
    [36 * 3_600_000, "1 d 12 h"],
    [2 * 86_400_000 + 4 * 3_600_000 + 99_000, "2 d 4 h"],
    [12 * 60_000 + 5, "12 min"],
    [400, "400 ms"],
    [0, "0 s"],
    [-5, "0 s"],
    [Number.NaN, "0 s"],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, String(ms));
});

test("formatDurationMs writes a configuration value back in the spelling parseDuration reads", () => {
  for (const ms of [0, 1000, 90_000, 3_600_000, 86_400_000, 90_061_000, 1500]) assert.equal(parseDuration(formatDurationMs(ms)), ms, String(ms));
  assert.equal(formatDurationMs(90_000), "1m30s");
});
