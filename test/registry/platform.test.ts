import assert from "node:assert/strict";
import { test } from "node:test";
import { formatPlatform, nodePlatform, type Platform, PlatformError, parsePlatform, platformMatches } from "../../core/image/index.js";

test("--platform values parse, with uname's architecture names accepted", () => {
  assert.deepEqual(parsePlatform("linux/amd64"), { os: "linux", architecture: "amd64" });
  assert.deepEqual(parsePlatform("linux/arm64/v8"), { os: "linux", architecture: "arm64", variant: "v8" });
  assert.deepEqual(parsePlatform("Linux/x86_64"), { os: "linux", architecture: "amd64" });
  assert.deepEqual(parsePlatform("linux/aarch64"), { os: "linux", architecture: "arm64" });
});

test("bad --platform values are named", () => {
  for (const [input, message] of [
    ["linux", /must look like os\/arch/],
    ["linux/", /must look like/],
    ["a/b/c/d", /must look like/],
    ["linux/am d64", /"am d64" has characters/],
  ] as const) {
    assert.throws(
      () => parsePlatform(input),
      (e: unknown) => e instanceof PlatformError && message.test(e.message),
      input,
    );
  }
});

const p = (s: string): Platform => parsePlatform(s);
const table: [string, string, boolean][] = [
  ["linux/amd64", "linux/amd64", true],
  ["linux/amd64", "linux/arm64", false],
  ["linux/amd64", "windows/amd64", false],
  ["linux/arm64/v8", "linux/arm64", true],
  ["linux/arm64", "linux/arm64/v8", true],
  ["linux/arm/v7", "linux/arm/v6", true],
  ["linux/arm/v6", "linux/arm/v7", false],
  ["linux/amd64", "linux/amd64/v3", false],
  ["linux/amd64/v3", "linux/amd64/v2", true],
  ["linux/s390x", "linux/s390x", true],
];
for (const [node, image, expected] of table) {
  test(`a ${node} node ${expected ? "runs" : "does not run"} ${image} images`, () => assert.equal(platformMatches(p(node), p(image)), expected));
}

test("this node's platform is in OCI terms", () => {
  const me = nodePlatform();
  assert.equal(me.os, "linux");
  assert.ok(["amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"].includes(me.architecture), me.architecture);
  assert.match(formatPlatform(me), /^linux\/[a-z0-9]+(\/v\d)?$/);
});
