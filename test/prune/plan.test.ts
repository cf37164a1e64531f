import assert from "node:assert/strict";
import { test } from "node:test";
import { type KeepRule, PolicyError, type PruneImage, planPrune } from "../../agent/prune/index.js";
import { DAY, disk, HOUR, image, input, NOW, unusedFor, user } from "./fixtures.js";

const OLD = unusedFor(10 * DAY);

interface KeepCase {
  name: string;
  image: PruneImage;
  usage?: "old" | "none" | { firstSeen: number; lastUsed: number | undefined };
  protect?: string[];
  prepull?: string[];
  rule: KeepRule;
  reason: string;
}

const keepCases: KeepCase[] = [
  { name: "pinned", image: image("pinned", "registry.k8s.io/etcd:3.5", { pinned: true }), rule: "pinned", reason: "pinned" },
  {
    name: "in use by a running container",
    image: image("running", "docker.io/library/nginx:1.27", { usedBy: [user("CONTAINER_RUNNING")] }),
    rule: "in-use",
    reason: "in use by shop/web-7d9f/nginx (running)",
  },
  {
    name: "in use by an exited container only",
    image: image("exited", "docker.io/library/busybox:1.36", { usedBy: [user("CONTAINER_EXITED", "job-28f1", "batch", "run")] }),
    rule: "in-use",
    reason: "in use by batch/job-28f1/run (exited)",
  },
  {
    name: "in use by a created container only",
    image: image("created", "ghcr.io/org/app:2", { usedBy: [user("CONTAINER_CREATED", "app-0", "prod", "app")] }),
    rule: "in-use",
    reason: "in use by prod/app-0/app (created)",
  },
  {
    name: "in use by several: the running one is named",
    image: image("several", "ghcr.io/org/app:3", {
      usedBy: [user("CONTAINER_EXITED", "old-1"), user("CONTAINER_RUNNING", "new-2"), user("CONTAINER_CREATED", "new-3")],
    }),
    rule: "in-use",
    reason: "in use by shop/new-2/nginx (running) and 2 more",
  },
  {
    name: "the sandbox image, even unpinned",
    image: image("pause", "registry.k8s.io/pause:3.10", { sandbox: true }),
    rule: "sandbox",
    reason: "sandbox image",
  },
  {
    name: "protected by an exact reference",
    image: image("exact", "registry.example.com/team/app:1.2"),
    protect: ["registry.example.com/team/app:1.2"],
    rule: "protected",
    reason: "protected by registry.example.com/team/app:1.2",
  },
  {
    name: "protected by repo:* given as a short name",
    image: image("repo", "docker.io/library/nginx:1.25"),
    protect: ["nginx:*"],
    rule: "protected",
    reason: "protected by nginx:*",
  },
  {
    name: "protected by registry/*",
    image: image("registry", "ghcr.io/org/tool:3"),
    protect: ["ghcr.io/*"],
    rule: "protected",
    reason: "protected by ghcr.io/*",
  },
  {
    name: "protected by repo:* when only a digest names it",
    image: image("digest-only", undefined, { repoDigests: [`quay.io/team/db@sha256:${"b".repeat(64)}`] }),
    protect: ["quay.io/team/db:*"],
    rule: "protected",
    reason: "protected by quay.io/team/db:*",
  },
  {
    name: "on the pre-pull list (short name, normalized)",
    image: image("prepull", "docker.io/library/redis:7"),
    prepull: ["redis:7"],
    rule: "pre-pull",
    reason: "pre-pull list",
  },
  {
    name: "too young: used 3 h ago",
    image: image("young", "docker.io/library/alpine:3.20"),
    usage: { firstSeen: NOW - 40 * DAY, lastUsed: NOW - 3 * HOUR },
    rule: "too-young",
    reason: "unused for 3 h, under the 1 d minimum age",
  },
  {
    name: "too young: never used, first seen 5 h ago",
    image: image("new", "docker.io/library/alpine:3.21"),
    usage: { firstSeen: NOW - 5 * HOUR, lastUsed: undefined },
    rule: "too-young",
    reason: "unused for 5 h, under the 1 d minimum age",
  },
  {
    name: "unknown usage counts as first seen now",
    image: image("unknown", "docker.io/library/alpine:3.19"),
    usage: "none",
    rule: "too-young",
    reason: "no usage record yet (counted as first seen now), under the 1 d minimum age",
  },
];

for (const c of keepCases) {
  test(`kept: ${c.name}`, () => {
    const filler = image("filler", "docker.io/library/filler:1");
    const usage = { filler: OLD, ...(c.usage === "none" ? {} : { [c.image.id]: c.usage === undefined || c.usage === "old" ? OLD : c.usage }) };
    // The disk is far past the high watermark and the filler is removable, so only the rule keeps the image.
    const plan = planPrune(input([c.image, filler], usage, { prepull: c.prepull ?? [], policy: { protected: c.protect ?? [] } }));
    assert.deepEqual(
      plan.candidates.map((x) => x.id),
      ["filler"],
    );
    const kept = plan.kept.find((k) => k.id === c.image.id);
    assert.deepEqual(kept && { rule: kept.rule, reason: kept.reason }, { rule: c.rule, reason: c.reason });
  });
}

test("least recently used goes first: lastUsed when known, else firstSeen", () => {
  const images = ["d5", "d3", "d10", "seen7"].map((id) => image(id, `docker.io/library/${id}:1`));
  const usage = {
    d5: unusedFor(5 * DAY),
    d3: unusedFor(3 * DAY),
    d10: unusedFor(10 * DAY),
    seen7: { firstSeen: NOW - 7 * DAY, lastUsed: undefined },
  };
  const plan = planPrune(input(images, usage, { disk: disk(99) }));
  assert.deepEqual(
    plan.candidates.map((c) => c.id),
    ["d10", "seen7", "d5", "d3"],
  );
  assert.equal(plan.candidates[0]?.reason, "unused for 10 d");
});

test("on equal age the larger image goes first", () => {
  const images = [100, 300, 200].map((size) => image(`s${size}`, `docker.io/library/s${size}:1`, { sizeBytes: size }));
  const usage = Object.fromEntries(images.map((i) => [i.id, unusedFor(2 * DAY)]));
  const plan = planPrune(input(images, usage, { disk: disk(99) }));
  assert.deepEqual(
    plan.candidates.map((c) => c.id),
    ["s300", "s200", "s100"],
  );
});

test("stops as soon as the planned bytes reach the low watermark, as kubelet computes it", () => {
  const images = [1, 2, 3, 4, 5].map((n) => image(`i${n}`, `docker.io/library/i${n}:1`, { sizeBytes: 60_000 }));
  const usage = Object.fromEntries(images.map((i, n) => [i.id, unusedFor((10 - n) * DAY)]));
  const plan = planPrune(input(images, usage, { disk: disk(85) }));
  // capacity * (100 - 70) / 100 - available = 300,000 - 150,000
  assert.equal(plan.targetBytes, 150_000);
  assert.equal(plan.trigger, "high-watermark");
  assert.deepEqual(
    plan.candidates.map((c) => c.id),
    ["i1", "i2", "i3"],
  );
  assert.equal(plan.bytesPlanned, 180_000);
  assert.equal(plan.reachesLowWatermark, true);
  assert.equal(plan.usedPercentBefore, 85);
  assert.equal(plan.usedPercentAfter, 67);
  assert.deepEqual(
    plan.kept.map((k) => [k.id, k.reason]),
    [
      ["i4", "not needed: low watermark reached"],
      ["i5", "not needed: low watermark reached"],
    ],
  );
});

test("says when every removable image together does not reach the low watermark", () => {
  const plan = planPrune(input([image("only", "docker.io/library/only:1", { sizeBytes: 1000 })], { only: OLD }, { disk: disk(95) }));
  assert.deepEqual(
    plan.candidates.map((c) => c.id),
    ["only"],
  );
  assert.equal(plan.targetBytes, 250_000);
  assert.equal(plan.reachesLowWatermark, false);
});

test("below the high watermark nothing is planned, and each image says why", () => {
  const images = [image("a", "docker.io/library/a:1"), image("b", "docker.io/library/b:1", { pinned: true })];
  const plan = planPrune(input(images, { a: OLD, b: OLD }, { disk: disk(79.9) }));
  assert.equal(plan.trigger, "none");
  assert.deepEqual(plan.candidates, []);
  assert.deepEqual(
    plan.kept.map((k) => [k.id, k.reason]),
    [
      ["b", "pinned"],
      ["a", "not needed: disk 79.9 % used, under the 80 % high watermark"],
    ],
  );
});

test("exactly at the high watermark counts as crossed (kubelet: usage >= high)", () => {
  const plan = planPrune(input([image("a", "docker.io/library/a:1")], { a: OLD }, { disk: disk(80) }));
  assert.equal(plan.trigger, "high-watermark");
  assert.deepEqual(
    plan.candidates.map((c) => c.id),
    ["a"],
  );
});

test("max age: images unused for longer go even below the watermark; protections still hold", () => {
  const images = [
    image("old", "docker.io/library/old:1"),
    image("old-protected", "docker.io/library/keep:1"),
    image("old-in-use", "docker.io/library/used:1", { usedBy: [user("CONTAINER_EXITED")] }),
    image("recent", "docker.io/library/recent:1"),
  ];
  const usage = { old: unusedFor(40 * DAY), "old-protected": unusedFor(40 * DAY), "old-in-use": unusedFor(40 * DAY), recent: unusedFor(10 * DAY) };
  const plan = planPrune(input(images, usage, { disk: disk(30), policy: { maxUnusedAgeMs: 30 * DAY, protected: ["keep:*"] } }));
  assert.equal(plan.trigger, "max-age");
  assert.deepEqual(
    plan.candidates.map((c) => [c.id, c.rule, c.reason]),
    [["old", "max-age", "unused for 40 d, over the 30 d maximum age"]],
  );
  assert.deepEqual(
    plan.kept.map((k) => [k.id, k.rule]),
    [
      ["old-protected", "protected"],
      ["old-in-use", "in-use"],
      ["recent", "not-needed"],
    ],
  );
});

test("max age past the watermark: every over-age image goes even after the target is reached", () => {
  const images = [1, 2, 3].map((n) => image(`old${n}`, `docker.io/library/old${n}:1`, { sizeBytes: 200_000 }));
  const usage = Object.fromEntries(images.map((i) => [i.id, unusedFor(60 * DAY)]));
  const plan = planPrune(input(images, usage, { disk: disk(85), policy: { maxUnusedAgeMs: 30 * DAY } }));
  assert.equal(plan.trigger, "high-watermark");
  assert.deepEqual(
    plan.candidates.map((c) => c.rule),
    ["max-age", "max-age", "max-age"],
  );
});

test("force: as if the watermark were crossed — to the low watermark when above it, else every removable image", () => {
  const images = [1, 2, 3].map((n) => image(`i${n}`, `docker.io/library/i${n}:1`, { sizeBytes: 40_000 }));
  const usage = Object.fromEntries(images.map((i, n) => [i.id, unusedFor((5 - n) * DAY)]));
  const between = planPrune(input(images, usage, { disk: disk(75), force: "watermark" }));
  assert.equal(between.trigger, "forced");
  assert.equal(between.targetBytes, 50_000);
  assert.deepEqual(
    between.candidates.map((c) => [c.id, c.rule]),
    [
      ["i1", "forced"],
      ["i2", "forced"],
    ],
  );
  const under = planPrune(input(images, usage, { disk: disk(10), force: "watermark" }));
  assert.deepEqual(
    under.candidates.map((c) => c.id),
    ["i1", "i2", "i3"],
  );
  const unknown = planPrune(input(images, usage, { disk: undefined, force: "watermark" }));
  assert.deepEqual(
    unknown.candidates.map((c) => c.id),
    ["i1", "i2", "i3"],
  );
  assert.equal(unknown.usedPercentBefore, undefined);
  // Force never overrides a protection.
  const guarded = planPrune(input(images, usage, { disk: disk(10), force: "watermark", policy: { protected: ["i2:*"] } }));
  assert.deepEqual(
    guarded.candidates.map((c) => c.id),
    ["i1", "i3"],
  );
});

test("force max-age-only ignores a crossed watermark", () => {
  const images = [image("a", "docker.io/library/a:1"), image("b", "docker.io/library/b:1")];
  const plan = planPrune(
    input(images, { a: unusedFor(40 * DAY), b: unusedFor(2 * DAY) }, { disk: disk(99), force: "max-age-only", policy: { maxUnusedAgeMs: 30 * DAY } }),
  );
  assert.equal(plan.trigger, "max-age");
  assert.deepEqual(
    plan.candidates.map((c) => c.id),
    ["a"],
  );
});

test("an unknown disk plans nothing without force, and says so", () => {
  const plan = planPrune(input([image("a", "docker.io/library/a:1")], { a: OLD }, { disk: undefined }));
  assert.equal(plan.trigger, "none");
  assert.equal(plan.kept[0]?.reason, "not needed: image filesystem usage unknown");
  assert.equal(plan.reachesLowWatermark, false);
});

test("a minimum age of 0 makes even an image with no record removable", () => {
  const plan = planPrune(input([image("a", "docker.io/library/a:1")], {}, { policy: { minUnusedAgeMs: 0 } }));
  assert.deepEqual(
    plan.candidates.map((c) => [c.id, c.firstSeen, c.lastUsed]),
    [["a", NOW, undefined]],
  );
});

test("a usage record named like an Object.prototype key is not inherited", () => {
  const plan = planPrune(input([image("constructor", "docker.io/library/a:1")], {}));
  assert.equal(plan.kept[0]?.rule, "too-young");
});

test("an unusable policy is refused with the field named, never half-applied", () => {
  assert.throws(
    () => planPrune(input([], {}, { policy: { lowWatermarkPercent: 85 } })),
    (e: unknown) => e instanceof PolicyError && /lowWatermarkPercent 85 must be below highWatermarkPercent 80/.test(e.message),
  );
  assert.throws(() => planPrune(input([], {}, { policy: { protected: ["nginx:1.*"] } })), /protected pattern "nginx:1\.\*"/);
  assert.throws(() => planPrune(input([], {}, { policy: { maxUnusedAgeMs: HOUR } })), /maxUnusedAgeMs .* must be longer than minUnusedAgeMs \(1 d\)/);
});

test("every image is either planned or kept, once", () => {
  const images = [image("a", "docker.io/library/a:1"), image("b", "docker.io/library/b:1", { pinned: true }), image("c", undefined)];
  const plan = planPrune(input(images, { a: OLD, c: OLD }));
  const ids = [...plan.candidates.map((c) => c.id), ...plan.kept.map((k) => k.id)].sort();
  assert.deepEqual(ids, ["a", "b", "c"]);
  assert.equal(plan.candidates.find((c) => c.id === "c")?.name, "<none>@c");
});
