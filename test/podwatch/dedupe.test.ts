import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../agent/kube/types.js";
import { countByKey, DiagnosisCache, diagnosisKey } from "../../agent/podwatch/dedupe.js";
import { FailureTracker } from "../../agent/podwatch/failures.js";

function replica(i: number): Pod {
  return {
    metadata: { name: `web-${i}`, namespace: "shop", uid: `u-${i}` },
    spec: { imagePullSecrets: [{ name: "regcred" }], containers: [{ name: "api", image: "ghcr.io/shop/api:v2" }] },
    status: { containerStatuses: [{ name: "api", state: { waiting: { reason: "ImagePullBackOff" } } }] },
  };
}

test("fifty failing replicas of one image are one diagnosis key with fifty pods behind it", () => {
  const tracker = new FailureTracker();
  for (let i = 0; i < 50; i++) tracker.observe(replica(i), 1000);
  const counts = countByKey(tracker.open(), diagnosisKey);
  assert.equal(counts.size, 1);
  assert.deepEqual([...counts.values()], [{ pods: 50, containers: 50 }]);
});

test("two containers of one pod count as one pod", () => {
  const tracker = new FailureTracker();
  const p = replica(1);
  p.spec.containers.push({ name: "sidecar", image: "ghcr.io/shop/api:v2" });
  p.status!.containerStatuses!.push({ name: "sidecar", state: { waiting: { reason: "ErrImagePull" } } });
  tracker.observe(p, 1000);
  assert.deepEqual([...countByKey(tracker.open(), diagnosisKey).values()], [{ pods: 1, containers: 2 }]);
});

test("the key: same pull, same key; a namespace or a secret makes another", () => {
  const base = { image: "nginx", namespace: "shop", pullSecrets: ["b", "a"] };
  assert.equal(diagnosisKey(base), diagnosisKey({ ...base, image: "docker.io/library/nginx:latest", pullSecrets: ["a", "b", "a"] }));
  assert.notEqual(diagnosisKey(base), diagnosisKey({ ...base, namespace: "blog" }), "regcred in another namespace may be another login");
  assert.notEqual(diagnosisKey(base), diagnosisKey({ ...base, pullSecrets: ["a"] }));
  assert.notEqual(diagnosisKey(base), diagnosisKey({ ...base, image: "nginx:1.27" }));
  assert.doesNotThrow(() => diagnosisKey({ image: "Not A Reference", namespace: "x", pullSecrets: [] }));
});

test("fifty concurrent callers of one key share one run of produce", async () => {
  const cache = new DiagnosisCache<string>({ ttlMs: 60_000, maxEntries: 10 });
  let runs = 0;
  let release: (value: string) => void = () => undefined;
  const produce = () => {
    runs++;
    return new Promise<string>((resolve) => (release = resolve));
  };
  const calls = Array.from({ length: 50 }, () => cache.shared("k", 0, produce));
  release("not-found");
  const results = await Promise.all(calls);
  assert.equal(runs, 1);
  assert.ok(results.every((r) => r.value === "not-found"));
  assert.equal(results.filter((r) => r.fresh).length, 1, "only the caller that ran it gets fresh");

  const later = await cache.shared("k", 30_000, produce);
  assert.deepEqual([later, runs], [{ value: "not-found", fresh: false }, 1]);
  const expired = cache.shared("k", 60_000, produce);
  release("ok");
  assert.deepEqual([await expired, runs], [{ value: "ok", fresh: true }, 2]);
});

test("a failed run reaches every waiting caller and is not cached", async () => {
  const cache = new DiagnosisCache<string>({ ttlMs: 60_000, maxEntries: 10 });
  let runs = 0;
  const failing = async () => {
    runs++;
    throw new Error("runtime socket gone");
  };
  const results = await Promise.allSettled([cache.shared("k", 0, failing), cache.shared("k", 0, failing)]);
  assert.deepEqual(
    results.map((r) => r.status),
    ["rejected", "rejected"],
  );
  assert.equal(runs, 1);
  assert.equal(cache.get("k", 1), undefined);
  assert.deepEqual(await cache.shared("k", 2, async () => "ok"), { value: "ok", fresh: true });
  const throwsAtOnce = (): Promise<string> => {
    throw new Error("sync");
  };
  await assert.rejects(cache.shared("j", 0, throwsAtOnce), /sync/);
});

test("the cache is bounded: expired and least recently used entries go", () => {
  const cache = new DiagnosisCache<number>({ ttlMs: 1000, maxEntries: 2 });
  cache.set("a", 1, 0);
  cache.set("b", 2, 0);
  assert.equal(cache.get("a", 10), 1, "a is now the most recently used");
  cache.set("c", 3, 10);
  assert.deepEqual([cache.get("a", 20), cache.get("b", 20), cache.get("c", 20)], [1, undefined, 3]);
  assert.equal(cache.get("a", 1000), undefined, "expired");
  cache.set("d", 4, 1500);
  assert.equal(cache.size, 1, "c expired at the next write");
});
