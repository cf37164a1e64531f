import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_PRUNE_POLICY, matchesProtected, PolicyError, policyProblems, protectionPatternProblem } from "../../agent/prune/index.js";
import { parseDuration } from "../../core/text/index.js";

const DIGEST = `sha256:${"c".repeat(64)}`;
const tagged = (...repoTags: string[]) => ({ repoTags, repoDigests: [] as string[] });

const matches: [pattern: string, image: { repoTags: string[]; repoDigests: string[] }, hit: boolean][] = [
  // exact references, normalized on both sides
  ["registry.example.com/team/app:1.2", tagged("registry.example.com/team/app:1.2"), true],
  ["registry.example.com/team/app:1.2", tagged("registry.example.com/team/app:1.3"), false],
  ["nginx:1.27", tagged("docker.io/library/nginx:1.27"), true],
  ["nginx", tagged("docker.io/library/nginx:latest"), true],
  ["nginx", tagged("docker.io/library/nginx:1.27"), false],
  ["index.docker.io/library/nginx:1.27", tagged("docker.io/library/nginx:1.27"), true],
  ["bitnami/redis:7", tagged("docker.io/bitnami/redis:7"), true],
  [`quay.io/team/db@${DIGEST}`, { repoTags: [], repoDigests: [`quay.io/team/db@${DIGEST}`] }, true],
  [`quay.io/team/db:9@${DIGEST}`, { repoTags: [], repoDigests: [`quay.io/team/db@${DIGEST}`] }, true],
  // repo:* — any tag or digest of that repository, and only that repository
  ["nginx:*", tagged("docker.io/library/nginx:1.25"), true],
  ["nginx:*", tagged("docker.io/library/nginx-exporter:1"), false],
  ["nginx:*", tagged("docker.io/bitnami/nginx:1"), false],
  ["localhost:5000/app:*", tagged("localhost:5000/app:dev"), true],
  ["quay.io/team/db:*", { repoTags: [], repoDigests: [`quay.io/team/db@${DIGEST}`] }, true],
  // registry/* and namespace/* — everything under it
  ["ghcr.io/*", tagged("ghcr.io/org/tool:3"), true],
  ["ghcr.io/*", tagged("ghcr.io.evil.example/org/tool:3"), false],
  ["ghcr.io/org/*", tagged("ghcr.io/org/sub/tool:3"), true],
  ["ghcr.io/org/*", tagged("ghcr.io/other/tool:3"), false],
  ["docker.io/*", tagged("docker.io/bitnami/redis:7"), true],
  ["docker.io/*", tagged("docker.io/library/nginx:1"), true],
  ["bitnami/*", tagged("docker.io/bitnami/redis:7"), true],
  ["bitnami/*", tagged("docker.io/library/redis:7"), false],
  ["127.0.0.1:5000/*", tagged("127.0.0.1:5000/shop/web:1.0"), true],
  ["127.0.0.1:5000/*", tagged("127.0.0.1:5001/shop/web:1.0"), false],
  ["*", tagged("anything.example/x:1"), true],
  // an image with several tags is protected by any of them
  ["keep:*", tagged("docker.io/library/old:1", "docker.io/library/keep:1"), true],
  // runtimes other than containerd may report short names
  ["nginx:*", tagged("nginx:1.25"), true],
];

for (const [pattern, image, hit] of matches) {
  test(`matchesProtected ${pattern} ${hit ? "matches" : "does not match"} ${[...image.repoTags, ...image.repoDigests].join(", ")}`, () => {
    assert.equal(matchesProtected(image, [pattern]), hit ? pattern : undefined);
  });
}

test("matchesProtected names the pattern that matched", () => {
  assert.equal(matchesProtected(tagged("ghcr.io/org/tool:3"), ["nginx:*", "ghcr.io/*"]), "ghcr.io/*");
  assert.equal(matchesProtected(tagged("ghcr.io/org/tool:3"), []), undefined);
});

test("bad protection patterns are refused with the reason", () => {
  assert.match(protectionPatternProblem("nginx:1.*") ?? "", /a "\*" may only end a pattern/);
  assert.match(protectionPatternProblem("*/app:*") ?? "", /a "\*" may only end a pattern/);
  assert.match(protectionPatternProblem("nginx:1:*") ?? "", /already has a tag or digest/);
  assert.match(protectionPatternProblem("Nginx:*") ?? "", /lowercase/);
  assert.match(protectionPatternProblem("  ") ?? "", /empty/);
  assert.equal(protectionPatternProblem("ghcr.io/*"), undefined);
  assert.throws(() => matchesProtected(tagged("a:1"), ["bad pattern"]), PolicyError);
});

test("the default policy is usable and every problem names its field", () => {
  assert.deepEqual(policyProblems({ ...DEFAULT_PRUNE_POLICY }), []);
  assert.deepEqual(DEFAULT_PRUNE_POLICY, {
    highWatermarkPercent: 80,
    lowWatermarkPercent: 70,
    minUnusedAgeMs: 86_400_000,
    maxUnusedAgeMs: undefined,
    protected: [],
  });
  const problems = policyProblems({ highWatermarkPercent: 120, lowWatermarkPercent: -1, minUnusedAgeMs: Number.NaN, maxUnusedAgeMs: 5, protected: ["x:1:2"] });
  assert.equal(problems.length, 5, problems.join("\n"));
  for (const field of ["highWatermarkPercent", "lowWatermarkPercent", "minUnusedAgeMs", "maxUnusedAgeMs", "protected pattern"]) {
    assert.ok(
      problems.some((p) => p.startsWith(field)),
      `${field} in ${problems.join("; ")}`,
    );
  }
});

test("durations: Go spelling plus days", () => {
  const cases: [string, number | undefined][] = [
    ["24h", 86_400_000],
    ["30m", 1_800_000],
    ["7d", 604_800_000],
    ["1h30m", 5_400_000],
    ["90s", 90_000],
    ["2w", 1_209_600_000],
    ["1.5h", 5_400_000],
    ["0", 0],
    ["500ms", 500],
    ["10min", 600_000],
    ["", undefined],
    ["3x", undefined],
    ["h", undefined],
    ["24", undefined],
    ["-1h", undefined],
    ["1h 30m", undefined],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});
