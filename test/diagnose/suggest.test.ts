import assert from "node:assert/strict";
import { test } from "node:test";
import { closestTags, parseVersionTag } from "../../agent/diagnose/suggest.js";
import { editDistance } from "../../core/text/index.js";

const NGINX = ["1.25.5", "1.26.0", "1.26.2", "1.27.0", "1.27.3", "1.27.3-alpine", "1.27.4-alpine", "1.27", "1.28.0", "stable", "latest", "mainline", "alpine"];

const cases: [string, string[], string[]][] = [
  ["1.27.9", NGINX, ["1.27.3", "1.27.0", "1.27"]],
  ["1.27.3-alpne", NGINX, ["1.27.3-alpine", "1.27.4-alpine"]],
  ["1.27.5-alpine", NGINX, ["1.27.4-alpine", "1.27.3-alpine"]],
  ["1.29", NGINX, ["1.28.0", "1.27", "1.27.0"]],
  ["lastest", NGINX, ["latest"]],
  ["Latest", NGINX, ["latest"]],
  ["v2.1.0", ["v2.0.9", "v2.1.1", "2.1.0", "v3.0.0"], ["2.1.0", "v2.1.1", "v2.0.9"]],
  ["stabel", NGINX, ["stable"]],
  ["prod", ["1.0", "2.0"], []],
  ["1.0.0", [], []],
];

for (const [wanted, tags, expected] of cases) {
  test(`closest to "${wanted}": ${expected.join(", ") || "(none)"}`, () => {
    assert.deepEqual(closestTags(wanted, tags), expected);
  });
}

test("versions keep their flavour instead of being read as pre-releases", () => {
  assert.deepEqual(parseVersionTag("1.27.3-alpine"), { prefix: "", numbers: [1, 27, 3], flavour: "-alpine" });
  assert.deepEqual(parseVersionTag("v2"), { prefix: "v", numbers: [2], flavour: "" });
  assert.equal(parseVersionTag("latest"), undefined);
});

test("edit distance stops early past its limit", () => {
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("kitten", "sitting", 1), 2);
  assert.equal(editDistance("", "abc"), 3);
});

test("ten thousand tags are ranked without trouble", () => {
  const tags = Array.from({ length: 10_000 }, (_, i) => `${Math.floor(i / 100)}.${i % 100}.0`);
  assert.deepEqual(closestTags("42.7.1", tags), ["42.7.0", "42.8.0", "42.6.0"]);
});
