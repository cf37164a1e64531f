import assert from "node:assert/strict";
import { test } from "node:test";
import { humanBytes, humanCount, shortId, table } from "../core/text/format.js";

test("sizes read like ctr and df -h", () => {
  assert.equal(humanBytes(0), "0.0 B");
  assert.equal(humanBytes(834), "834.0 B");
  assert.equal(humanBytes(1024), "1.0 KiB");
  assert.equal(humanBytes(1536 * 1024), "1.5 MiB");
  assert.equal(humanBytes(252 * 1024 ** 3), "252.0 GiB");
  assert.equal(humanBytes(-1), "?");
  assert.equal(humanBytes(301_312), "294.2 KiB", "an exact half rounds to even, like Go's %.1f in ctr");
  assert.equal(humanBytes(302_336), "295.2 KiB");
  assert.equal(humanBytes(301_363), "294.3 KiB");
  assert.equal(humanCount(999), "999");
  assert.equal(humanCount(1200), "1.2k");
  assert.equal(humanCount(16_000_000), "16.0M");
});

test("tables align columns, numbers to the right, with no trailing spaces", () => {
  const out = table(
    ["NAME", "SIZE", "NOTE"],
    [
      ["a", "1.0 KiB", "x"],
      ["longer", "12.0 B", ""],
    ],
    new Set([1]),
  );
  assert.equal(out, ["NAME       SIZE  NOTE", "a       1.0 KiB  x", "longer   12.0 B"].join("\n"));
});

test("image IDs shorten to 12 hex characters", () => {
  assert.equal(shortId("sha256:0123456789abcdef0123"), "0123456789ab");
});
