import assert from "node:assert/strict";
import { test } from "node:test";
import { buildEvent, diagnosisEventMessage, EventCorrelator, recoveryEventMessage } from "../../agent/podwatch/event.js";

const T0 = Date.parse("2024-05-01T10:00:00.789Z");

test("the diagnosis message starts with the cause label and reads as one line", () => {
  const text = diagnosisEventMessage({
    cause: "not-found",
    image: "ghcr.io/shop/api:v2",
    summary: "The registry answered that the tag\n does not exist.",
    fix: "kubectl -n shop set image deploy/web api=ghcr.io/shop/api:v1\nsecond line is not shown",
    impact: { pods: 3, node: "node-1" },
  });
  assert.equal(
    text,
    'not-found: image "ghcr.io/shop/api:v2": The registry answered that the tag does not exist. ' +
      "Fix: kubectl -n shop set image deploy/web api=ghcr.io/shop/api:v1 (3 pods on node-1 fail with this image)",
  );
});

test("one failing pod has no impact note", () => {
  const text = diagnosisEventMessage({ cause: "dns", image: "r.example/a:1", summary: "no such host", impact: { pods: 1, node: "n" } });
  assert.equal(text, 'dns: image "r.example/a:1": no such host');
});

test("a 10 kB summary is cut, never the cause label nor the fix", () => {
  const text = diagnosisEventMessage({
    cause: "registry-unavailable",
    image: "ghcr.io/shop/api:v2",
    summary: "x".repeat(10_000),
    fix: "kubectl -n shop rollout restart deploy/web",
    impact: { pods: 50, node: "node-1" },
  });
  assert.ok(Buffer.byteLength(text) <= 1024, `${Buffer.byteLength(text)} bytes`);
  assert.ok(text.startsWith("registry-unavailable: "));
  assert.ok(text.includes("x…"), "the cut is visible");
  assert.ok(text.includes("Fix: kubectl -n shop rollout restart deploy/web (50 pods on node-1 fail with this image)"));
});

test("multi-byte summaries are cut by bytes between characters", () => {
  const text = diagnosisEventMessage({ cause: "unknown", image: "a:1", summary: "é".repeat(2000) });
  assert.ok(Buffer.byteLength(text) <= 1024);
  assert.ok(!text.includes("\uFFFD"));
});

test("credentials in a URL in the summary or fix are redacted", () => {
  const text = diagnosisEventMessage({
    cause: "auth-denied",
    image: "r.example/a:1",
    summary: "GET https://robot:s3cr3t@r.example/v2/a/manifests/1 and https://blob.example/x?X-Amz-Signature=abc123&ok=1 failed",
    fix: "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9' https://r.example/v2/",
  });
  assert.ok(!text.includes("s3cr3t"), text);
  assert.ok(!text.includes("abc123"), text);
  assert.ok(!text.includes("eyJhbGciOiJIUzI1NiJ9"), text);
  assert.ok(text.startsWith("auth-denied: "));
});

test("the recovery message says how long the pull failed and what it was", () => {
  assert.equal(
    recoveryEventMessage({ image: "ghcr.io/shop/api:v2", durationMs: 133_000, cause: "not-found" }),
    'recovered: image "ghcr.io/shop/api:v2" pulled after 2 min 13 s (was not-found)',
  );
  assert.equal(recoveryEventMessage({ image: "a:1", durationMs: 400 }), 'recovered: image "a:1" pulled after 400 ms');
});

test("an Event is shaped like kubelet's: named after the pod, pointing at the container, times in whole seconds", () => {
  const e = buildEvent({
    pod: { namespace: "shop", name: "web-1", uid: "u-1" },
    container: "migrate",
    kind: "init",
    type: "Warning",
    reason: "PullDiagnosis",
    message: "not-found: …",
    node: "node-1",
    now: T0,
  });
  assert.match(e.metadata.name, /^web-1\.[0-9a-f]+$/);
  assert.equal(e.metadata.namespace, "shop");
  assert.deepEqual(e.involvedObject, {
    apiVersion: "v1",
    kind: "Pod",
    namespace: "shop",
    name: "web-1",
    uid: "u-1",
    fieldPath: "spec.initContainers{migrate}",
  });
  assert.deepEqual(e.source, { component: "pullmedic", host: "node-1" });
  assert.equal(e.reportingComponent, "pullmedic");
  assert.equal(e.reportingInstance, "node-1");
  assert.equal(e.firstTimestamp, "2024-05-01T10:00:00Z");
  assert.equal(e.lastTimestamp, "2024-05-01T10:00:00Z");
  assert.deepEqual([e.count, e.type, e.reason], [1, "Warning", "PullDiagnosis"]);

  const base = {
    pod: { namespace: "shop", name: "web-1" },
    container: "api",
    kind: "container" as const,
    type: "Normal" as const,
    reason: "R",
    message: "m",
    node: "n",
    now: T0,
  };
  assert.notEqual(buildEvent(base).metadata.name, buildEvent({ ...base, seq: 1 }).metadata.name, "same millisecond, different sequence");
  assert.equal(buildEvent(base).involvedObject.fieldPath, "spec.containers{api}");
  assert.equal(buildEvent({ ...base, kind: "ephemeral" }).involvedObject.fieldPath, "spec.ephemeralContainers{api}");
  assert.equal("uid" in buildEvent(base).involvedObject, false);
  const long = buildEvent({ ...base, pod: { namespace: "shop", name: `${"a".repeat(240)}-xyz` } }).metadata.name;
  assert.ok(long.length <= 253 && /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(long), long);
});

test("the aggregator creates, skips an identical repeat, then patches with count 2", () => {
  const agg = new EventCorrelator();
  const key = "u-1/api/PullDiagnosis";
  assert.deepEqual(agg.decide(key, "not-found: a", T0), { action: "create" });
  agg.posted(key, "web-1.abc", "not-found: a", T0);
  assert.deepEqual(agg.decide(key, "not-found: a", T0 + 10_000), { action: "skip" });
  assert.deepEqual(agg.decide(key, "not-found: a", T0 + 60_000), {
    action: "patch",
    name: "web-1.abc",
    patch: { count: 2, lastTimestamp: "2024-05-01T10:01:00Z", message: "not-found: a" },
  });
  agg.posted(key, "web-1.abc", "not-found: a", T0 + 60_000);
  const changed = agg.decide(key, "auth-denied: a", T0 + 61_000);
  assert.equal(changed.action, "patch", "a changed message is written at once");
  assert.equal(changed.action === "patch" ? changed.patch.count : 0, 3);
});

test("after an hour without writes the Event may be gone, so a new one is created", () => {
  const agg = new EventCorrelator();
  agg.posted("k", "web-1.abc", "m", T0);
  assert.deepEqual(agg.decide("k", "m", T0 + 3_600_000), { action: "create" });
  agg.posted("k", "web-1.def", "m", T0 + 3_600_000);
  const next = agg.decide("k", "m", T0 + 3_700_000);
  assert.equal(next.action === "patch" ? `${next.name} ${next.patch.count}` : next.action, "web-1.def 2");
});

test("the aggregator remembers a bounded number of keys", () => {
  const agg = new EventCorrelator({ maxKeys: 2 });
  agg.posted("a", "e-a", "m", T0);
  agg.posted("b", "e-b", "m", T0);
  agg.posted("c", "e-c", "m", T0);
  assert.equal(agg.size, 2);
  assert.deepEqual(agg.decide("a", "m", T0 + 1), { action: "create" });
  assert.deepEqual(agg.decide("c", "m", T0 + 1), { action: "skip" });
});
