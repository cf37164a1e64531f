import assert from "node:assert/strict";
import { test } from "node:test";
import { type ImageUsage, type PruneForce, type PruneImage, type PrunePolicy, planPrune } from "../../agent/prune/index.js";
import type { ImageUser } from "../../agent/runtime/index.js";
import { fuzzSeed, prng } from "../support/fuzz.js";
import { DAY, HOUR, NOW } from "./fixtures.js";

// Seeded random nodes: whatever the mix of images, containers, ages, patterns and disk, the
// plan never touches a protected image and removes no more than the target needs.

interface Repo {
  host: string;
  path: string;
  short: string | undefined;
}
interface Name {
  repo: Repo;
  tag: string | undefined;
}
type Pattern =
  | { text: string; kind: "exact"; repo: Repo; tag: string }
  | { text: string; kind: "repo"; repo: Repo }
  | { text: string; kind: "host"; host: string };

const REPOS: Repo[] = [
  { host: "docker.io", path: "library/nginx", short: "nginx" },
  { host: "docker.io", path: "library/redis", short: "redis" },
  { host: "docker.io", path: "bitnami/redis", short: "bitnami/redis" },
  { host: "ghcr.io", path: "org/tool", short: undefined },
  { host: "ghcr.io", path: "org/api", short: undefined },
  { host: "registry.example.com:5000", path: "team/app", short: undefined },
  { host: "quay.io", path: "team/db", short: undefined },
];
const TAGS = ["1", "2", "latest", "v3.1"];
const SIZES = [1_000, 50_000, 50_000, 200_000, 750_000];
const STATES: ImageUser["state"][] = ["CONTAINER_RUNNING", "CONTAINER_CREATED", "CONTAINER_EXITED"];

interface Scenario {
  images: PruneImage[];
  names: Map<string, Name[]>;
  usage: Record<string, ImageUsage>;
  patterns: Pattern[];
  prepull: Name[];
  disk: { capacityBytes: number; availableBytes: number } | undefined;
  policy: PrunePolicy;
  force: PruneForce | undefined;
}

function scenario(rand: () => number): Scenario {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const chance = (p: number) => rand() < p;
  const images: PruneImage[] = [];
  const names = new Map<string, Name[]>();
  const usage: Record<string, ImageUsage> = {};
  const count = Math.floor(rand() * 40);
  let sandboxGiven = false;
  for (let i = 0; i < count; i++) {
    const id = `sha256:${i.toString(16).padStart(64, "0")}`;
    const own: Name[] = chance(0.15)
      ? [{ repo: pick(REPOS), tag: undefined }]
      : Array.from({ length: 1 + Math.floor(rand() * 2) }, () => ({ repo: pick(REPOS), tag: pick(TAGS) }));
    names.set(id, own);
    const sandbox: boolean = !sandboxGiven && chance(0.1);
    sandboxGiven ||= sandbox;
    images.push({
      id,
      repoTags: own.filter((n) => n.tag !== undefined).map((n) => `${n.repo.host}/${n.repo.path}:${n.tag}`),
      repoDigests: own.map((n) => `${n.repo.host}/${n.repo.path}@sha256:${i.toString(16).padStart(64, "d")}`),
      sizeBytes: pick(SIZES),
      pinned: chance(0.1),
      sandbox,
      usedBy: chance(0.25)
        ? Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, c) => ({
            containerId: `c${i}-${c}`,
            container: "main",
            pod: `p${i}`,
            namespace: "ns",
            state: pick(STATES),
          }))
        : [],
    });
    if (chance(0.8)) {
      const firstSeen = NOW - Math.floor(rand() * 60 * DAY);
      usage[id] = { firstSeen, lastUsed: chance(0.5) ? firstSeen + Math.floor(rand() * (NOW - firstSeen)) : undefined };
    }
  }
  const patterns: Pattern[] = Array.from({ length: Math.floor(rand() * 3) }, (): Pattern => {
    const repo = pick(REPOS);
    const full = `${repo.host}/${repo.path}`;
    const written = repo.short !== undefined && chance(0.5) ? repo.short : full;
    const kind = pick(["exact", "repo", "host"] as const);
    if (kind === "exact") {
      const tag = pick(TAGS);
      return { text: `${written}:${tag}`, kind: "exact", repo, tag };
    }
    if (kind === "repo") return { text: `${written}:*`, kind: "repo", repo };
    return { text: `${repo.host}/*`, kind: "host", host: repo.host };
  });
  const prepull = Array.from({ length: Math.floor(rand() * 3) }, () => ({ repo: pick(REPOS), tag: pick(TAGS) }));
  const capacityBytes = 10_000_000;
  const disk = chance(0.05) ? undefined : { capacityBytes, availableBytes: Math.floor(rand() * capacityBytes) };
  const high = 50 + Math.floor(rand() * 46);
  const minUnusedAgeMs = pick([0, HOUR, 24 * HOUR, 3 * DAY]);
  const policy: PrunePolicy = {
    highWatermarkPercent: high,
    lowWatermarkPercent: 10 + Math.floor(rand() * (high - 10)),
    minUnusedAgeMs,
    maxUnusedAgeMs: chance(0.3) ? minUnusedAgeMs + 1 + Math.floor(rand() * 40 * DAY) : undefined,
    protected: patterns.map((p) => p.text),
  };
  const force = chance(0.15) ? "watermark" : chance(0.05) ? "max-age-only" : undefined;
  return { images, names, usage, patterns, prepull, disk, policy, force };
}

/** The protection rules restated on the generated model, independent of the matcher. */
function protectedByModel(s: Scenario, id: string): boolean {
  const own = s.names.get(id) ?? [];
  return own.some(
    (n) =>
      s.patterns.some((p) => (p.kind === "host" ? p.host === n.repo.host : p.kind === "repo" ? p.repo === n.repo : p.repo === n.repo && p.tag === n.tag)) ||
      s.prepull.some((r) => r.repo === n.repo && r.tag === n.tag),
  );
}

test("300 random nodes: no protected image is planned, the target is met without excess", () => {
  const seed = fuzzSeed(0x9e3779b9);
  const rand = prng(seed);
  for (let run = 0; run < 300; run++) {
    const s = scenario(rand);
    const at = `seed ${seed}, scenario ${run}`;
    const plan = planPrune({
      images: s.images,
      usage: s.usage,
      prepull: s.prepull.map((r) => `${r.repo.short ?? `${r.repo.host}/${r.repo.path}`}:${r.tag}`),
      disk: s.disk,
      policy: s.policy,
      now: NOW,
      ...(s.force ? { force: s.force } : {}),
    });
    const byId = new Map(s.images.map((i) => [i.id, i]));
    const since = (id: string) => s.usage[id]?.lastUsed ?? s.usage[id]?.firstSeen ?? NOW;

    for (const c of plan.candidates) {
      const img = byId.get(c.id);
      assert.ok(img, at);
      assert.ok(!img.pinned && !img.sandbox && img.usedBy.length === 0, `${at}: ${c.id} is pinned, sandbox or in use`);
      assert.ok(!protectedByModel(s, c.id), `${at}: ${c.name} is protected or pre-pulled`);
      assert.ok(NOW - since(c.id) >= s.policy.minUnusedAgeMs, `${at}: ${c.name} is under the minimum age`);
    }
    const all = [...plan.candidates.map((c) => c.id), ...plan.kept.map((k) => k.id)].sort();
    assert.deepEqual(all, s.images.map((i) => i.id).sort(), `${at}: every image once`);

    for (let i = 1; i < plan.candidates.length; i++) {
      const [a, b] = [plan.candidates[i - 1], plan.candidates[i]];
      assert.ok(a && b && (since(a.id) < since(b.id) || (since(a.id) === since(b.id) && a.sizeBytes >= b.sizeBytes)), `${at}: order at ${i}`);
    }

    const used = s.disk ? 100 - (s.disk.availableBytes * 100) / s.disk.capacityBytes : undefined;
    const watermark = s.force === "watermark" || (used !== undefined && used >= s.policy.highWatermarkPercent && s.force !== "max-age-only");
    const takeAll = s.force === "watermark" && plan.targetBytes === 0;
    const eligibleKept = plan.kept.filter((k) => k.rule === "not-needed");
    const byTarget = plan.candidates.filter((c) => c.rule !== "max-age");
    if (watermark && !takeAll) {
      assert.ok(plan.bytesPlanned >= plan.targetBytes || eligibleKept.length === 0, `${at}: target missed while images remained`);
      const last = byTarget.at(-1);
      if (last) assert.ok(plan.bytesPlanned - last.sizeBytes < plan.targetBytes, `${at}: ${last.name} was not needed to reach the target`);
    }
    if (takeAll) assert.equal(eligibleKept.length, 0, `${at}: forced under the low watermark takes every removable image`);
    if (!watermark) {
      assert.equal(byTarget.length, 0, `${at}: only max-age removals without the watermark`);
      for (const c of plan.candidates) assert.ok(c.unusedMs > (s.policy.maxUnusedAgeMs ?? Infinity), at);
    }
    assert.equal(
      plan.bytesPlanned,
      plan.candidates.reduce((n, c) => n + c.sizeBytes, 0),
      at,
    );
  }
});
