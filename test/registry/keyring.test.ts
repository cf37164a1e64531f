import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { credentialKeyMismatch, type DockerConfig, matchCredentials, normalizeRegistryAuthKey, parseDockerConfigJson } from "../../agent/registry/index.js";
import { parseReference } from "../../core/image/index.js";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

function config(keys: string[], source = "test"): DockerConfig {
  const auths: Record<string, { auth: string }> = {};
  for (const [i, k] of keys.entries()) auths[k] = { auth: b64(`user${i}:pw`) };
  return parseDockerConfigJson(JSON.stringify({ auths }), source);
}

function matchedKeys(cfg: DockerConfig | DockerConfig[], image: string): string[] {
  return matchCredentials(cfg, parseReference(image)).map((e) => e.rawKey);
}

// The table of docs/facts/kubelet.md, plus the edges of the same rules (keyring.go urlsMatch, isDefaultRegistryMatch).
const TABLE: { key: string; image: string; match: boolean; why?: RegExp }[] = [
  { key: "*.kubernetes.io", image: "abc.kubernetes.io/x", match: true },
  { key: "*.kubernetes.io", image: "kubernetes.io/x", match: false, why: /2 dot-separated parts.*has 3|has 3 .*has 2/ },
  { key: "*.*.kubernetes.io", image: "abc.kubernetes.io/x", match: false, why: /never spans a dot/ },
  { key: "prefix.*.io", image: "prefix.kubernetes.io/x", match: true },
  { key: "*-good.kubernetes.io", image: "prefix-good.kubernetes.io/x", match: true },
  { key: "my-registry.io/images", image: "my-registry.io/images/app", match: true },
  { key: "*.my-registry.io/images", image: "sub.my-registry.io/images/app", match: true },
  { key: "*.my-registry.io/images", image: "a.sub.my-registry.io/images/app", match: false },
  { key: "registry.io:5000", image: "registry.io/app", match: false, why: /port differs/ },
  { key: "https://index.docker.io/v1/", image: "docker.io/library/nginx", match: true },
  // Path is a plain string prefix, not a path-segment prefix.
  { key: "reg.io/team", image: "reg.io/team-b/x", match: true },
  { key: "reg.io/team", image: "reg.io/other/x", match: false, why: /does not start with the key's path "\/team"/ },
  { key: "reg.io/team/", image: "reg.io/team/x", match: true },
  // Ports match exactly: no port is not 443, and no wildcard ports.
  { key: "reg.io:5000", image: "reg.io:5000/app", match: true },
  { key: "reg.io", image: "reg.io:5000/app", match: false, why: /port differs/ },
  { key: "reg.io:443", image: "reg.io/app", match: false },
  { key: "reg.io:*", image: "reg.io:5000/app", match: false },
  // The scheme and /v2/ are dropped from keys.
  { key: "http://reg.io:5000/v2/", image: "reg.io:5000/app", match: true },
  { key: "https://reg.io/v2/team", image: "reg.io/team/app", match: true },
  // filepath.Match classes and "?" within one label.
  { key: "reg[0-9].io", image: "reg7.io/app", match: true },
  { key: "reg[^0-9].io", image: "reg7.io/app", match: false },
  // "?" starts a URL query for Go's url.Parse, so kubelet cuts the key to "reg": it never works.
  { key: "reg?.io", image: "regx.io/app", match: false, why: /1 dot-separated part/ },
  { key: "reg?.io", image: "reg.io/app", match: false },
  { key: "reg[.io", image: "reg.io/app", match: false, why: /not a valid pattern/ },
  // Host names are compared case-sensitively, as Go does.
  { key: "Reg.io", image: "reg.io/app", match: false },
  // Docker Hub: "docker.io" matches by name; index.docker.io by the fallback; registry-1 never.
  { key: "docker.io", image: "nginx", match: true },
  { key: "index.docker.io", image: "bitnami/redis", match: true },
  { key: "registry-1.docker.io", image: "nginx", match: false },
  { key: "index.docker.io", image: "ghcr.io/org/app", match: false },
  // kubelet's Hub test only looks for "." or ":", so "localhost/app" falls back to Hub credentials.
  { key: "https://index.docker.io/v1/", image: "localhost/app", match: true },
  { key: "https://index.docker.io/v1/", image: "localhost:5000/app", match: false },
  { key: "127.0.0.1:5000", image: "127.0.0.1:5000/app", match: true },
  { key: "[::1]:5000", image: "[::1]:5000/app", match: true },
  // A key kubelet cannot parse never matches.
  { key: "reg.io:abc", image: "reg.io/app", match: false },
];

describe("keyring matching table", () => {
  for (const row of TABLE) {
    test(`${row.key} ${row.match ? "matches" : "does not match"} ${row.image}`, () => {
      const cfg = config([row.key]);
      assert.deepEqual(matchedKeys(cfg, row.image), row.match ? [row.key] : []);
      const normalized = cfg.entries[0]?.key ?? "";
      const why = credentialKeyMismatch(normalized, parseReference(row.image));
      if (row.match) assert.equal(why, undefined);
      else if (cfg.entries[0]?.keyProblem === undefined) assert.ok(why !== undefined, "a mismatch has a reason");
      if (row.why) assert.match(why ?? "", row.why);
    });
  }
});

describe("order and fallback", () => {
  test("all matching entries come back, most specific (reverse-sorted) first", () => {
    const cfg = config(["reg.io", "*.io", "reg.io/team", "reg.io/team/app", "other.io"]);
    assert.deepEqual(matchedKeys(cfg, "reg.io/team/app/x:1"), ["reg.io/team/app", "reg.io/team", "reg.io", "*.io"]);
  });

  test("the order is by normalized key, not by file order or scheme", () => {
    const cfg = config(["https://reg.io", "http://reg.io/v2/team"]);
    assert.deepEqual(matchedKeys(cfg, "reg.io/team/app"), ["http://reg.io/v2/team", "https://reg.io"]);
  });

  test("several configs form one keyring; entries under the same key keep the configs' order", () => {
    const a = config(["reg.io"], "Secret ns/a");
    const b = config(["https://reg.io/v1/", "reg.io/team"], "Secret ns/b");
    const found = matchCredentials([a, b], parseReference("reg.io/team/app"));
    assert.deepEqual(
      found.map((e) => `${e.source} ${e.rawKey}`),
      ["Secret ns/b reg.io/team", "Secret ns/a reg.io", "Secret ns/b https://reg.io/v1/"],
    );
  });

  test("the Docker Hub fallback applies only when nothing else matched", () => {
    const cfg = config(["https://index.docker.io/v1/", "docker.io/bitnami"]);
    assert.deepEqual(matchedKeys(cfg, "bitnami/redis"), ["docker.io/bitnami"]);
    assert.deepEqual(matchedKeys(cfg, "nginx"), ["https://index.docker.io/v1/"]);
    assert.deepEqual(matchedKeys(cfg, "docker.io/library/nginx:1.27"), ["https://index.docker.io/v1/"]);
    assert.deepEqual(matchedKeys(cfg, "index.docker.io/library/nginx"), ["https://index.docker.io/v1/"]);
  });

  test("both docker.io and index.docker.io: docker.io matches directly, so the fallback is not used", () => {
    const cfg = config(["https://index.docker.io/v1/", "docker.io"]);
    assert.deepEqual(matchedKeys(cfg, "nginx"), ["docker.io"]);
  });

  test("no match is an empty list (kubelet then pulls anonymously)", () => {
    assert.deepEqual(matchedKeys(config(["reg.io"]), "ghcr.io/org/app"), []);
    assert.deepEqual(matchedKeys([], "nginx"), []);
  });

  test("entries without credentials still match (kubelet passes them as empty)", () => {
    const cfg = parseDockerConfigJson('{"auths": {"reg.io": {"identitytoken": "t"}}}', "s");
    assert.equal(matchCredentials(cfg, parseReference("reg.io/app")).length, 1);
  });
});

test("key normalization reports what Go's url.Parse would reject", () => {
  assert.deepEqual(normalizeRegistryAuthKey("https://index.docker.io/v1/"), { key: "index.docker.io" });
  assert.deepEqual(normalizeRegistryAuthKey("reg.io/a%20b"), { key: "reg.io/a b" });
  assert.deepEqual(normalizeRegistryAuthKey("user@reg.io"), { key: "reg.io" });
  assert.match(normalizeRegistryAuthKey("reg.io:port").problem ?? "", /invalid port/);
  assert.match(normalizeRegistryAuthKey("reg io").problem ?? "", /invalid character " "/);
  assert.match(normalizeRegistryAuthKey("reg.io/%zz").problem ?? "", /invalid escape/);
  assert.match(normalizeRegistryAuthKey("reg.io\n").problem ?? "", /control character/);
});

test("globs with many stars are matched without backtracking (a Secret key must not stall the agent)", () => {
  // As one RegExp, "*a*a…*b" against a long run of "a" backtracks through every split: minutes.
  const key = `${"*a".repeat(24)}*b.io`;
  const cfg = config([key]);
  assert.deepEqual(matchedKeys(cfg, `${"a".repeat(60)}.io/x/y:1`), []);
  assert.match(credentialKeyMismatch(key, parseReference(`${"a".repeat(60)}.io/x/y:1`)) ?? "", /does not match/);
  assert.deepEqual(matchedKeys(cfg, `${"a".repeat(59)}b.io/x/y:1`), [key]);
  // The same semantics as before: "*" runs (empty ones too) and classes.
  const globs = config(["r*g.io", "x[a-c].io"]);
  assert.deepEqual(matchedKeys(globs, "rxyzg.io/app"), ["r*g.io"]);
  assert.deepEqual(matchedKeys(globs, "rg.io/app"), ["r*g.io"]);
  assert.deepEqual(matchedKeys(globs, "rxyzgh.io/app"), []);
  assert.deepEqual(matchedKeys(globs, "xb.io/app"), ["x[a-c].io"]);
  assert.deepEqual(matchedKeys(globs, "xd.io/app"), []);
  assert.deepEqual(matchedKeys(config(["*.io"]), "xz.io/app"), ["*.io"]);
});
