import assert from "node:assert/strict";
import { test } from "node:test";
import { ClusterState, type NodeRecord } from "../../aggregator/cluster-state.js";
import { normalizeReport } from "../../aggregator/store/index.js";
import { canonicalImage, coverageView, disksView, failuresView, MAX_LISTED, nodesView, quotaView, registriesView } from "../../aggregator/views/index.js";
import type { NodeReport, PullFailure } from "../../core/protocol/protocol.js";

// The views over a seeded cluster: five nodes, three behind one NAT, pods failing the same way on
// two nodes, a registry failing TLS on one node, an image missing on one node, one node gone
// silent. Each view is a pure function of the records and the time.

const NOW = 1_700_000_000_000;
const NAT = "198.51.100.1";
const OTHER = "203.0.113.9";
const WEB = "ghcr.io/acme/web:2";

type ReportInput = { [K in keyof NodeReport]?: unknown };

function record(node: string, report: ReportInput | undefined, over: Partial<NodeRecord> = {}): NodeRecord {
  return {
    node,
    agentVersion: "0.1.0",
    bootId: `boot-${node}`,
    reportIntervalSeconds: 10,
    connected: true,
    firstSeenMs: NOW - 3_600_000,
    lastSeenMs: NOW - 1000,
    lastReportMs: NOW - 1000,
    report: report === undefined ? undefined : normalizeReport({ observedAtMs: NOW - 1000, runtime: "containerd 1.7.2", ...report }),
    ...over,
  };
}

function failing(n: number, over: Partial<PullFailure> & { prefix?: string } = {}): Partial<PullFailure>[] {
  const { prefix = "shop/web", ...rest } = over;
  return Array.from({ length: n }, (_, i) => ({
    pod: `${prefix}-${i}`,
    container: "web",
    image: WEB,
    registry: "ghcr.io",
    reason: "ImagePullBackOff",
    cause: "not-found",
    summary: "ghcr.io/acme/web has no tag 2",
    fix: ["crane ls ghcr.io/acme/web", "kubectl -n shop set image deploy/web web=ghcr.io/acme/web:1"],
    sinceMs: NOW - 60_000 + i,
    impact: n,
    note: "",
    ...rest,
  }));
}

const okRegistry = (registry: string) => ({ registry, ok: true, latencyMs: 20 });
const prepull = (image: string, state = "present", cause = "") => ({ image, state, cause });

function cluster(): NodeRecord[] {
  return [
    record("node-a", {
      quota: [{ source: NAT, limit: 100, remaining: 80, windowSeconds: 21600, observedAtMs: NOW - 30_000 }],
      failures: failing(30, { prefix: "shop/web-a" }),
      registries: [okRegistry("docker.io"), okRegistry("ghcr.io")],
      prepull: [prepull("nginx:1.25"), prepull("redis:7")],
      disks: [{ mountpoint: "/var/lib/containerd", capacityBytes: 100, availableBytes: 40, usedPercent: 60 }],
    }),
    record("node-b", {
      quota: [{ source: NAT, limit: 100, remaining: 55, windowSeconds: 21600, observedAtMs: NOW - 5_000 }],
      // The same pods' second containers fail too: still 20 pods.
      failures: [...failing(20, { prefix: "shop/web-b" }), ...failing(20, { prefix: "shop/web-b", container: "sidecar" })],
      registries: [okRegistry("docker.io"), okRegistry("ghcr.io")],
      prepull: [prepull("docker.io/library/nginx:1.25"), prepull("redis:7", "pulling")],
      disks: [{ mountpoint: "/", usedPercent: 91.5 }],
      conditions: [{ type: "ImageFsPressure", status: "True", reason: "HighUsage", message: "91.5 % used" }],
    }),
    record("node-c", {
      quota: [{ source: NAT, limit: 100, remaining: 70, windowSeconds: 21600, observedAtMs: NOW - 20_000 }],
      failures: [
        ...failing(1, {
          prefix: "billing/api",
          image: "ghcr.io/acme/api:1",
          cause: "auth-denied",
          summary: "the pull secret is rejected",
          fix: ["kubectl -n billing get secret ghcr"],
        }),
        ...failing(1, { prefix: "ops/tool", image: "quay.io/ops/tool:3", registry: "quay.io", cause: "", summary: "", fix: [] }),
      ],
      registries: [
        okRegistry("docker.io"),
        { registry: "ghcr.io", ok: false, failingStep: "tls", error: "ghcr.io:443: x509: certificate signed by unknown authority" },
      ],
      prepull: [prepull("nginx:1.25"), prepull("redis:7", "failed", "rate-limited")],
      disks: [
        { mountpoint: "/var/lib/containerd", usedPercent: 72 },
        { mountpoint: "/", usedPercent: 40 },
      ],
      checkErrors: { probes: "ghcr.io: tls" },
    }),
    record("node-d", {
      quota: [{ source: OTHER, limit: 100, remaining: 5, windowSeconds: 21600, observedAtMs: NOW - 10_000 }],
      registries: [okRegistry("docker.io"), okRegistry("ghcr.io")],
      prepull: [prepull("nginx:1.25")],
      disks: [{ mountpoint: "/var/lib/containerd", usedPercent: 30 }],
    }),
    // Silent for 5 minutes with a 10 s interval: stale, its last report still shown as such.
    record(
      "node-e",
      {
        failures: failing(2, { prefix: "shop/web-e" }),
        registries: [{ registry: "ghcr.io", ok: false, failingStep: "dns", error: "no such host" }],
        prepull: [prepull("nginx:1.25")],
        disks: [{ mountpoint: "/", usedPercent: 99 }],
      },
      { lastSeenMs: NOW - 300_000, lastReportMs: NOW - 300_000, connected: false },
    ),
    // Said hello, no report yet.
    record("node-f", undefined, { lastReportMs: 0 }),
  ];
}

test("quota: three nodes behind one NAT share one group with the freshest reading; another source is its own", () => {
  const view = quotaView(cluster(), NOW);
  assert.deepEqual(
    view.sources.map((s) => [s.source, s.nodes, s.remaining, s.observedAtMs, s.low, s.exhausted]),
    [
      [OTHER, ["node-d"], 5, NOW - 10_000, true, false],
      [NAT, ["node-a", "node-b", "node-c"], 55, NOW - 5_000, false, false],
    ],
  );
  assert.deepEqual(view.unknown, ["node-e", "node-f"]);
  const nat = view.sources[1]!;
  assert.equal(nat.limit, 100);
  assert.equal(nat.windowSeconds, 21600);
  assert.equal(nat.unlimited, false);
  assert.equal(nat.outdated, false);
});

test("quota: low below 10 % or 10 pulls, exhausted at 0, unlimited never low, '' source is unknown, old readings outdated", () => {
  const reading = (node: string, source: string, limit: number, remaining: number, ageMs = 1000) =>
    record(node, { quota: [{ source, limit, remaining, windowSeconds: 21600, observedAtMs: NOW - ageMs }] });
  const view = quotaView(
    [
      reading("n1", "10.0.0.1", 200, 0),
      reading("n2", "10.0.0.2", 5000, 499),
      reading("n3", "10.0.0.3", 5000, 500),
      reading("n4", "10.0.0.4", 0, 0),
      reading("n5", "", 100, 9, 7 * 3_600_000),
      reading("n6", "", 100, 50, 8 * 3_600_000),
    ],
    NOW,
  );
  const by = new Map(view.sources.map((s) => [s.source, s]));
  assert.deepEqual([by.get("10.0.0.1")?.low, by.get("10.0.0.1")?.exhausted], [true, true]);
  assert.deepEqual([by.get("10.0.0.2")?.low, by.get("10.0.0.2")?.exhausted], [true, false]);
  assert.deepEqual([by.get("10.0.0.3")?.low, by.get("10.0.0.3")?.exhausted], [false, false]);
  assert.deepEqual([by.get("10.0.0.4")?.unlimited, by.get("10.0.0.4")?.low, by.get("10.0.0.4")?.exhausted], [true, false, false]);
  // Readings without a source are each node's own (see the next test), not one group.
  const unknown = view.sources.filter((s) => s.source === "unknown");
  assert.deepEqual(
    unknown.map((s) => s.nodes),
    [["n5"], ["n6"]],
  );
  assert.equal(unknown[0]?.remaining, 9);
  assert.equal(unknown[0]?.low, true);
  assert.equal(unknown[0]?.outdated, true, "7 h old, the window is 6 h");
  assert.deepEqual(
    view.sources.map((s) => s.source),
    ["10.0.0.1", "unknown", "10.0.0.2", "10.0.0.3", "unknown", "10.0.0.4"],
    "the least remaining share first, unlimited last",
  );
  assert.deepEqual(view.unknown, []);
});

test("quota: readings that name no source are not merged: an exhausted node is not hidden behind another node's fresher reading", () => {
  const reading = (node: string, remaining: number, ageMs: number) =>
    record(node, { quota: [{ source: "", limit: 100, remaining, windowSeconds: 21600, observedAtMs: NOW - ageMs }] });
  // Two nodes whose registry answers named no egress source: nothing says they share a quota.
  const unlimited = (node: string) => record(node, { quota: [{ source: "", limit: 0, remaining: 0, windowSeconds: 0, observedAtMs: NOW - 1000 }] });
  const view = quotaView([reading("n-exhausted", 0, 120_000), reading("n-fine", 90, 60_000), unlimited("paid-1"), unlimited("paid-2")], NOW);
  const unknown = view.sources.filter((s) => s.source === "unknown");
  assert.deepEqual(
    unknown.map((s) => [s.nodes, s.remaining, s.exhausted, s.unlimited]),
    [
      [["n-exhausted"], 0, true, false],
      [["n-fine"], 90, false, false],
      // Unlimited readings (paid accounts name no source) hide nothing: one line, not one per node.
      [["paid-1", "paid-2"], 0, false, true],
    ],
  );
});

test("failures: 50 pods on 2 nodes failing the same way are one group; another cause is a second", () => {
  const nodes = cluster().filter((n) => n.node !== "node-e");
  const groups = failuresView(nodes, NOW);
  assert.deepEqual(
    groups.map((g) => [g.cause, g.image, g.registry, g.podCount, g.nodeCount]),
    [
      ["not-found", WEB, "ghcr.io", 50, 2],
      ["auth-denied", "ghcr.io/acme/api:1", "ghcr.io", 1, 1],
      ["pending", "quay.io/ops/tool:3", "quay.io", 1, 1],
    ],
  );
  const web = groups[0]!;
  assert.deepEqual(web.nodes, ["node-a", "node-b"]);
  assert.equal(web.summary, "ghcr.io/acme/web has no tag 2");
  assert.deepEqual(web.fix, ["crane ls ghcr.io/acme/web", "kubectl -n shop set image deploy/web web=ghcr.io/acme/web:1"]);
  assert.equal(web.pods.length, 50);
  assert.equal(web.sinceMs, NOW - 60_000);
  assert.deepEqual(web.pods[0], { pod: "shop/web-a-0", node: "node-a", container: "web", since: NOW - 60_000, reason: "ImagePullBackOff", stale: false });
  assert.deepEqual(web.staleNodes, []);
  assert.equal(new Set(web.pods.map((p) => `${p.node}/${p.pod}`)).size, 50);
  assert.equal(groups[2]?.summary, "");
  assert.deepEqual(groups[2]?.fix, []);
});

test("failures: a stale node's pods are flagged, and long lists are cut with their counts kept", () => {
  const groups = failuresView(cluster(), NOW);
  const web = groups[0]!;
  assert.equal(web.podCount, 52);
  assert.equal(web.nodeCount, 3);
  assert.deepEqual(web.staleNodes, ["node-e"]);
  assert.equal(web.staleNodeCount, 1);
  assert.equal(web.pods.filter((p) => p.stale).length, 2);
  assert.ok(web.pods.filter((p) => p.stale).every((p) => p.node === "node-e"));

  const many = Array.from({ length: 120 }, (_, i) => record(`n${String(i).padStart(3, "0")}`, { failures: failing(3, { prefix: `ns/p${i}` }) }));
  const [big] = failuresView(many, NOW);
  assert.equal(big?.podCount, 360);
  assert.equal(big?.pods.length, MAX_LISTED);
  assert.equal(big?.nodeCount, 120);
  assert.equal(big?.nodes.length, MAX_LISTED);
  assert.equal(big?.nodes[0], "n000");
  // Oldest failures first: each node's pod 0 started earliest.
  assert.ok(big!.pods.slice(0, 100).every((p) => p.pod.endsWith("-0")));
  assert.deepEqual(failuresView([], NOW), []);
});

test("registries: a matrix of registry × node with the failing tls step on one node", () => {
  const view = registriesView(cluster(), NOW);
  assert.deepEqual(view.registries, ["docker.io", "ghcr.io"]);
  assert.deepEqual(view.nodes, ["node-a", "node-b", "node-c", "node-d", "node-e"]);
  const ghcr = view.cells.filter((c) => c.registry === "ghcr.io");
  assert.deepEqual(
    ghcr.map((c) => [c.node, c.ok, c.failingStep, c.stale]),
    [
      ["node-a", true, "", false],
      ["node-b", true, "", false],
      ["node-c", false, "tls", false],
      ["node-d", true, "", false],
      ["node-e", false, "dns", true],
    ],
  );
  assert.equal(ghcr[2]?.error, "ghcr.io:443: x509: certificate signed by unknown authority");
  assert.equal(view.cells.filter((c) => c.registry === "docker.io").length, 4, "node-e does not probe docker.io: no cell");
  assert.deepEqual(view.summary, [
    { registry: "docker.io", okNodes: 4, failingNodes: 0, staleNodes: 0, failingSteps: {} },
    { registry: "ghcr.io", okNodes: 3, failingNodes: 1, staleNodes: 1, failingSteps: { tls: 1 } },
  ]);
});

test("coverage: an image missing on one node, a stale node unknown, spellings of one image matched", () => {
  const view = coverageView(cluster(), NOW, ["busybox:1.36", "docker.io/library/redis:7"]);
  assert.deepEqual(view.images, ["busybox:1.36", "nginx:1.25", "redis:7"]);
  assert.deepEqual(view.nodes, ["node-a", "node-b", "node-c", "node-d", "node-e", "node-f"]);
  assert.equal(view.cells.length, 3 * 6);
  const cell = (image: string, node: string) => view.cells.find((c) => c.image === image && c.node === node);
  assert.deepEqual(cell("redis:7", "node-d"), { image: "redis:7", node: "node-d", state: "missing" });
  assert.deepEqual(cell("redis:7", "node-c"), { image: "redis:7", node: "node-c", state: "failed", cause: "rate-limited" });
  assert.equal(cell("redis:7", "node-b")?.state, "pulling");
  assert.equal(cell("nginx:1.25", "node-b")?.state, "present", "docker.io/library/nginx:1.25 is nginx:1.25");
  assert.equal(cell("nginx:1.25", "node-e")?.state, "unknown", "stale");
  assert.equal(cell("nginx:1.25", "node-f")?.state, "unknown", "no report yet");
  assert.deepEqual(
    view.cells.filter((c) => c.image === "busybox:1.36").map((c) => c.state),
    ["missing", "missing", "missing", "missing", "unknown", "unknown"],
  );
  assert.deepEqual(view.complete, [
    { image: "busybox:1.36", presentOn: 0, of: 6, unknownOn: 2 },
    { image: "nginx:1.25", presentOn: 4, of: 6, unknownOn: 2 },
    { image: "redis:7", presentOn: 1, of: 6, unknownOn: 2 },
  ]);
  assert.equal(canonicalImage("nginx"), "docker.io/library/nginx:latest");
  assert.equal(canonicalImage("index.docker.io/acme/app@sha256:ab"), "docker.io/acme/app@sha256:ab");
  assert.equal(canonicalImage("localhost:5000/app"), "localhost:5000/app:latest");
  assert.equal(canonicalImage("registry-1.docker.io/nginx:1.25"), "docker.io/library/nginx:1.25", "Docker Hub's API host is docker.io");
  assert.equal(canonicalImage(`ghcr.io/acme/web@sha256:${"a".repeat(64)}`), `ghcr.io/acme/web@sha256:${"a".repeat(64)}`);
  assert.deepEqual(coverageView([], NOW), { images: [], nodes: [], cells: [], complete: [] });
});

test("disks: the fullest node first, ImageFsPressure flagged, a stale or silent node marked", () => {
  const view = disksView(cluster(), NOW);
  assert.deepEqual(
    view.map((d) => [d.node, d.highestUsedPercent, d.pressure, d.stale, d.reported]),
    [
      ["node-e", 99, false, true, true],
      ["node-b", 91.5, true, false, true],
      ["node-c", 72, false, false, true],
      ["node-a", 60, false, false, true],
      ["node-d", 30, false, false, true],
      ["node-f", 0, false, false, false],
    ],
  );
  assert.equal(view[2]?.disks.length, 2);
});

test("nodes: connection, staleness by the state's setting, runtime, failures and check errors", () => {
  const state = new ClusterState();
  const view = nodesView(cluster(), NOW, state);
  assert.deepEqual(
    view.map((v) => [v.node, v.connected, v.stale, v.failures, v.reported]),
    [
      ["node-a", true, false, 30, true],
      ["node-b", true, false, 40, true],
      ["node-c", true, false, 2, true],
      ["node-d", true, false, 0, true],
      ["node-e", false, true, 2, true],
      ["node-f", true, false, 0, false],
    ],
  );
  assert.deepEqual(view[2]?.checkErrors, { probes: "ghcr.io: tls" });
  assert.equal(view[1]?.conditions[0]?.type, "ImageFsPressure");
  assert.equal(view[0]?.runtime, "containerd 1.7.2");
  assert.equal(view[5]?.runtime, "");
  // A laxer state: 100 intervals before stale.
  const lax = new ClusterState({ staleAfterIntervals: 100 });
  assert.equal(nodesView(cluster(), NOW, lax)[4]?.stale, false);
  // The other views take the same setting.
  assert.equal(disksView(cluster(), NOW, { staleAfterIntervals: 100 })[0]?.stale, false);
});

test("the views over a live ClusterState fed by hello and reports", () => {
  const state = new ClusterState();
  for (const rec of cluster()) {
    state.hello({ node: rec.node, agentVersion: rec.agentVersion, bootId: rec.bootId, reportIntervalSeconds: 10, protocol: "pullmedic.v1" }, NOW - 2000);
    if (rec.report !== undefined) state.report(rec.node, rec.report, NOW - 1000);
  }
  const groups = failuresView(state.nodes(), NOW);
  assert.equal(groups[0]?.podCount, 52);
  assert.equal(groups[0]?.nodeCount, 3);
  // Half a minute later every node has missed 3 intervals.
  assert.ok(nodesView(state.nodes(), NOW + 31_000, state).every((v) => v.stale));
  assert.ok(failuresView(state.nodes(), NOW + 31_000)[0]!.pods.every((p) => p.stale));
});
