import assert from "node:assert/strict";
import { test } from "node:test";
import { hostAndPort, joinHostPort, splitHostPort } from "../../core/net/index.js";

test("splitHostPort splits what Go's net.SplitHostPort splits", () => {
  const ok: [string, string, string][] = [
    ["reg.io:5000", "reg.io", "5000"],
    ["127.0.0.1:80", "127.0.0.1", "80"],
    ["[::1]:5000", "::1", "5000"],
    ["[fe80::1%lo0]:443", "fe80::1%lo0", "443"],
    ["reg.io:", "reg.io", ""],
    [":80", "", "80"],
    ["[]:80", "", "80"],
    ["localhost:http", "localhost", "http"],
  ];
  for (const [input, host, port] of ok) assert.deepEqual(splitHostPort(input), { host, port }, input);
});

test("splitHostPort refuses what Go refuses: no port, too many colons, stray brackets", () => {
  for (const bad of ["reg.io", "[::1]", "::1:5000", "[::1]:5:0", "[::1", "reg]io:80", "[reg.io]]:80", "re[g.io:80", "[::1]x:80", ""]) {
    assert.equal(splitHostPort(bad), undefined, bad);
  }
});

test("joinHostPort brackets IPv6 hosts and round-trips with splitHostPort", () => {
  assert.equal(joinHostPort("::1", 5000), "[::1]:5000");
  assert.equal(joinHostPort("reg.io", "443"), "reg.io:443");
  for (const [h, p] of [
    ["::1", "1"],
    ["reg.io", "5000"],
    ["10.0.0.1", "80"],
  ] as const)
    assert.deepEqual(splitHostPort(joinHostPort(h, p)), { host: h, port: p });
});

test("hostAndPort gives a numeric port, the default when none is written or it is not a port", () => {
  assert.deepEqual(hostAndPort("reg.io", 443), { host: "reg.io", port: 443 });
  assert.deepEqual(hostAndPort("reg.io:5000", 443), { host: "reg.io", port: 5000 });
  assert.deepEqual(hostAndPort("[::1]", 443), { host: "::1", port: 443 });
  assert.deepEqual(hostAndPort("[::1]:8443", 443), { host: "::1", port: 8443 });
  assert.deepEqual(hostAndPort("reg.io:http", 80), { host: "reg.io", port: 80 });
});
