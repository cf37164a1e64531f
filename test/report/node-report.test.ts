import assert from "node:assert/strict";
import { test } from "node:test";
import { buildNodeReport } from "../../agent/report/node-report.js";
import { NodeState } from "../../agent/report/node-state.js";
import { registryOfImage } from "../../core/image/index.js";

// What an agent tells the aggregator is what its checks found: the mapping keeps every figure a
// cluster view needs and nothing that grows without bound.

test("a report carries disk, images, registries, quota, pre-pull, failures and check errors", () => {
  const state = new NodeState("node-a", "0.1.0", () => 1_700_000_000_000);
  state.record("disk", {
    ok: true,
    durationMs: 1,
    result: [
      {
        mountpoint: "/var/lib/containerd",
        runtimeUsedBytes: undefined,
        runtimeInodesUsed: undefined,
        hostError: undefined,
        host: {
          mount: undefined,
          device: undefined,
          fsType: undefined,
          capacityBytes: 100,
          availableBytes: 20,
          freeBytes: 20,
          usedPercent: 80,
          inodesTotal: 10,
          inodesFree: 5,
          inodesUsedPercent: 50,
        },
      },
    ],
  });
  state.record("images", { ok: true, durationMs: 1, result: { count: 12, bytes: 3000, inUse: 4, pinned: 1, sandboxImage: "registry.k8s.io/pause:3.10" } });
  state.record("probes", {
    ok: true,
    durationMs: 1,
    result: [
      {
        registry: "ghcr.io",
        ok: false,
        checkedAt: 0,
        warnings: [],
        hosts: [
          {
            url: "https://ghcr.io",
            mirror: false,
            ok: false,
            steps: [
              { step: "dns", ok: true, ms: 1, detail: "ok" },
              { step: "tls", ok: false, ms: 2, detail: "certificate has expired" },
            ],
          },
        ],
      },
    ],
  });
  state.record("quota", { ok: false, durationMs: 1, error: "registry-1.docker.io: connect ETIMEDOUT" });
  const report = buildNodeReport({
    state,
    quota: [
      {
        source: "192.0.2.1",
        limit: 100,
        remaining: 7,
        windowSeconds: 21600,
        unlimited: false,
        authenticated: false,
        observedAt: 5,
        via: "check",
        problems: [],
      },
    ],
    podWatch: {
      failures: [
        {
          pod: "shop/api-1",
          container: "api",
          image: "ghcr.io/acme/api:9",
          reason: "ErrImagePull",
          cause: "not-found",
          summary: "no such tag",
          fix: ["kubectl set image …"],
          impact: 3,
          since: "2026-11-26T02:00:00Z",
        },
      ],
      hygiene: [{ kind: "latest-tag", pod: "shop/web", image: "nginx", message: "untagged" }],
    },
    now: 42,
  });
  assert.equal(report.observedAtMs, 42);
  assert.deepEqual(report.disks, [{ mountpoint: "/var/lib/containerd", capacityBytes: 100, availableBytes: 20, usedPercent: 80, inodesFree: 5 }]);
  assert.equal(report.images?.count, 12);
  assert.equal(report.registries[0]?.failingStep, "tls");
  assert.match(report.registries[0]?.error ?? "", /certificate has expired/);
  assert.equal(report.quota[0]?.source, "192.0.2.1");
  assert.equal(report.failures[0]?.registry, "ghcr.io");
  assert.equal(report.failures[0]?.sinceMs, Date.parse("2026-11-26T02:00:00Z"));
  assert.equal(report.checkErrors["quota"], "registry-1.docker.io: connect ETIMEDOUT");
  assert.equal(report.runtimeProblem, "");
  assert.equal(report.hygiene[0]?.kind, "latest-tag");
});

test("a node without a runtime says so instead of reporting empty disks", () => {
  const state = new NodeState("node-a", "0.1.0");
  state.record("disk", { ok: false, durationMs: 1, error: "no CRI socket found at /run/containerd/containerd.sock" });
  const report = buildNodeReport({ state, quota: [], now: 1 });
  assert.match(report.runtimeProblem, /no CRI socket/);
  assert.deepEqual(report.disks, []);
  assert.equal(report.images, null);
});

test("thousands of failing pods are capped, long texts are cut", () => {
  const state = new NodeState("node-a", "0.1.0");
  const failures = Array.from({ length: 2000 }, (_, i) => ({
    pod: `ns/p-${i}`,
    container: "c",
    image: "nginx:1",
    reason: "ErrImagePull",
    summary: "x".repeat(10_000),
    impact: 2000,
    since: "",
  }));
  const report = buildNodeReport({ state, quota: [], podWatch: { failures, hygiene: [] }, now: 1 });
  assert.equal(report.failures.length, 500);
  assert.ok((report.failures[0]?.summary.length ?? 0) <= 2048);
});

test("the registry of an image, as the image names it", () => {
  assert.equal(registryOfImage("nginx"), "docker.io");
  assert.equal(registryOfImage("library/nginx:1"), "docker.io");
  assert.equal(registryOfImage("ghcr.io/acme/api:1"), "ghcr.io");
  assert.equal(registryOfImage("localhost/x"), "localhost");
  assert.equal(registryOfImage("127.0.0.1:5000/x:1"), "127.0.0.1:5000");
});

test("a quota reading whose counts could not be read is left out, not sent as 0 remaining (exhausted) or limit 0 (unlimited)", () => {
  const state = new NodeState("node-a", "0.1.0");
  const base = { windowSeconds: 21600, authenticated: false, via: "check" as const };
  const report = buildNodeReport({
    state,
    quota: [
      {
        ...base,
        source: "192.0.2.1",
        limit: 100,
        remaining: undefined,
        unlimited: false,
        observedAt: 3,
        problems: ["ratelimit-limit is present but ratelimit-remaining is missing"],
      },
      {
        ...base,
        source: "192.0.2.2",
        limit: undefined,
        remaining: 40,
        unlimited: false,
        observedAt: 2,
        problems: ["ratelimit-remaining is present but ratelimit-limit is missing"],
      },
      { ...base, source: "192.0.2.3", limit: 100, remaining: 60, unlimited: false, observedAt: 1, problems: [] },
      {
        source: undefined,
        limit: undefined,
        remaining: undefined,
        windowSeconds: undefined,
        unlimited: true,
        authenticated: true,
        observedAt: 1,
        via: "check",
        problems: [],
      },
    ],
    now: 1,
  });
  assert.deepEqual(
    report.quota.map((q) => [q.source, q.limit, q.remaining]),
    [
      ["192.0.2.3", 100, 60],
      ["", 0, 0],
    ],
  );
});
