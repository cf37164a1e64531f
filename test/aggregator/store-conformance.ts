// The Store's contract, as its callers observe it, for any engine: the same scenarios run against
// SQLite (store-sqlite.test.ts) and a real PostgreSQL server (store-postgres.lab.test.ts). Each
// scenario opens a fresh, empty database from the engine's factory.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Store, StoreOptions } from "../../aggregator/store/index.js";
import type { CommandUpdate, Finding, Hello, NodeReport } from "../../core/protocol/index.js";

export interface StoreEngineUnderTest {
  /** Opens a new, empty database (a name per scenario keeps them apart). */
  fresh(name: string, opts?: StoreOptions): Promise<Store>;
  /** Opens the database of `name` again, as a restarted aggregator would. */
  reopen(name: string, opts?: StoreOptions): Promise<Store>;
  /** Marks the database of `name` (closed) as written by a newer schema than this code knows. */
  markNewerSchema(name: string, version: number): Promise<void>;
  /** The schema version this code writes. */
  schemaVersion: number;
}

const T0 = 1_700_000_000_000;

const hello = (node: string): Hello => ({ node, agentVersion: "0.1.0", bootId: `boot-${node}`, reportIntervalSeconds: 10, protocol: "pullmedic.v1" });

function report(at: number, runtime = "containerd 1.7.2"): NodeReport {
  return {
    observedAtMs: at,
    runtime,
    runtimeProblem: "",
    disks: [{ mountpoint: "/var/lib/containerd", capacityBytes: 100e9, availableBytes: 38.5e9, usedPercent: 61.5, inodesFree: 123456 }],
    images: { count: 3, bytes: 1e9, inUse: 2, sandboxImage: "registry.k8s.io/pause:3.9" },
    registries: [{ registry: "ghcr.io", ok: false, failingStep: "tls", error: "x509: unknown authority", certificateExpiresMs: 0, latencyMs: 0 }],
    quota: [],
    prepull: [],
    failures: [],
    prune: null,
    conditions: [],
    checkErrors: {},
    hygiene: [],
    secrets: [],
    pulls: [],
  };
}

function diagnosis(id: string, atMs: number, pod = "shop/web-0"): Finding {
  return {
    id,
    atMs,
    kind: "diagnosis",
    diagnosis: {
      pod,
      container: "web",
      image: "ghcr.io/acme/web:2",
      registry: "ghcr.io",
      reason: "ErrImagePull",
      cause: "not-found",
      summary: "the tag 2 does not exist",
      fix: ["crane ls ghcr.io/acme/web"],
      sinceMs: atMs - 10,
      impact: 1,
      note: "",
    },
  };
}

const prune = (id: string, atMs: number): Finding => ({
  id,
  atMs,
  kind: "prune",
  prune: { trigger: "high-watermark", removed: 3, freedBytes: 1e9, failed: 0, dryRun: false, images: ["a:1"] },
});

const update = (commandId: string, image: string, state: string, atMs: number): CommandUpdate => ({
  commandId,
  image,
  state,
  cause: state === "failed" ? "not-found" : "",
  summary: "",
  durationMs: 5,
  atMs,
});

async function nodesOf(store: Store) {
  const out: Awaited<Parameters<Parameters<Store["eachNode"]>[0]>[0]>[] = [];
  await store.eachNode((r) => out.push(r));
  return out;
}

/** Registers the conformance scenarios as tests, each named after the engine. */
export function storeConformance(engine: string, e: StoreEngineUnderTest): void {
  const it = (name: string, fn: () => Promise<void>) => test(`${engine}: ${name}`, fn);

  it("nodes' hellos and latest reports round-trip, across a reopen, by name", async () => {
    const s = await e.fresh("nodes");
    const results = await s.write([
      { kind: "hello", hello: hello("node-b"), atMs: T0 },
      { kind: "report", node: "node-b", report: report(T0 + 1), atMs: T0 + 1 },
      { kind: "hello", hello: hello("node-a"), atMs: T0 + 2 },
      { kind: "report", node: "node-b", report: report(T0 + 3, "containerd 2.0.0"), atMs: T0 + 3 },
    ]);
    assert.deepEqual(
      results.map((r) => r.error),
      [undefined, undefined, undefined, undefined],
    );
    await s.close();
    const again = await e.reopen("nodes");
    const nodes = await nodesOf(again);
    assert.deepEqual(
      nodes.map((n) => n.node),
      ["node-a", "node-b"],
    );
    const b = nodes[1]!;
    assert.equal(b.agentVersion, "0.1.0");
    assert.equal(b.firstSeenMs, T0);
    assert.equal(b.lastReportMs, T0 + 3);
    assert.equal(b.connected, false);
    assert.deepEqual(b.report, report(T0 + 3, "containerd 2.0.0"));
    assert.equal(nodes[0]!.report, undefined);
    await again.close();
  });

  it("a node's last-seen time only moves forward", async () => {
    const s = await e.fresh("seen");
    await s.write([{ kind: "hello", hello: hello("n1"), atMs: T0 + 100 }]);
    await s.write([{ kind: "seen", node: "n1", atMs: T0 + 50 }]);
    assert.equal((await nodesOf(s))[0]?.lastSeenMs, T0 + 100);
    await s.write([{ kind: "findings", node: "n1", findings: [prune("p1", T0)], atMs: T0 + 200 }]);
    assert.equal((await nodesOf(s))[0]?.lastSeenMs, T0 + 200);
    await s.close();
  });

  it("findings are kept by id: a resend is not doubled, in one batch, across batches and after a reopen", async () => {
    const s = await e.fresh("dedupe");
    const first = await s.write([
      { kind: "findings", node: "n1", findings: [diagnosis("a", T0), diagnosis("a", T0)], atMs: T0 },
      { kind: "findings", node: "n1", findings: [diagnosis("b", T0 + 1)], atMs: T0 + 1 },
    ]);
    assert.deepEqual(
      first.map((r) => r.added),
      [1, 1],
    );
    assert.equal((await s.write([{ kind: "findings", node: "n1", findings: [diagnosis("a", T0)], atMs: T0 + 2 }]))[0]?.added, 0);
    await s.close();
    const again = await e.reopen("dedupe");
    assert.equal((await again.write([{ kind: "findings", node: "n1", findings: [diagnosis("b", T0 + 1)], atMs: T0 + 3 }]))[0]?.added, 0);
    const page = await again.findingsPage({ limit: 10 });
    assert.equal(page.total, 2);
    assert.deepEqual(
      page.findings.map((f) => f.id),
      ["b", "a"],
    );
    assert.deepEqual(page.findings[1]?.finding, diagnosis("a", T0));
    assert.equal(page.findings[1]?.registry, "ghcr.io");
    assert.equal(again.findingsBudget().rows, 2);
    await again.close();
  });

  it("a write that fails is refused alone; the others of its batch are kept", async () => {
    const s = await e.fresh("alone");
    const results = await s.write([
      { kind: "findings", node: "n1", findings: [diagnosis("ok-1", T0)], atMs: T0 },
      { kind: "findings", node: "n1", findings: [diagnosis("ok-2", T0 + 1), { id: "", atMs: T0 }], atMs: T0 + 1 },
      { kind: "findings", node: "n1", findings: [diagnosis("ok-3", T0 + 2)], atMs: T0 + 2 },
    ]);
    assert.equal(results[0]?.error, undefined);
    assert.match(results[1]?.error?.message ?? "", /has no id/);
    assert.equal(results[2]?.error, undefined);
    const ids = (await s.findingsPage({ limit: 10 })).findings.map((f) => f.id);
    assert.deepEqual(ids, ["ok-3", "ok-1"], "the failed write's first finding is undone with it");
    assert.equal(s.findingsBudget().rows, 2);
    await s.close();
  });

  it("findings page newest first, filter by kind, node and time, and the cursor goes on where a page ended", async () => {
    const s = await e.fresh("pages");
    const batch = [];
    for (let i = 0; i < 7; i++) batch.push({ kind: "findings" as const, node: i % 2 ? "odd" : "even", findings: [diagnosis(`d${i}`, T0 + i)], atMs: T0 + i });
    batch.push({ kind: "findings" as const, node: "even", findings: [prune("p", T0 + 3)], atMs: T0 + 3 });
    await s.write(batch);
    const first = await s.findingsPage({ limit: 3 });
    assert.equal(first.total, 8);
    assert.deepEqual(
      first.findings.map((f) => f.id),
      ["d6", "d5", "d4"],
    );
    const second = await s.findingsPage({ limit: 3, ...(first.next ? { after: first.next } : {}) });
    assert.deepEqual(
      second.findings.map((f) => f.id),
      ["p", "d3", "d2"],
    );
    const odd = await s.findingsPage({ node: "odd", kind: "diagnosis", sinceMs: T0 + 2, limit: 10 });
    assert.equal(odd.total, 2);
    assert.deepEqual(
      odd.findings.map((f) => f.id),
      ["d5", "d3"],
    );
    assert.equal(odd.next, undefined);
    assert.deepEqual((await s.findingsPage({ limit: 0 })).findings, []);
    await s.close();
  });

  it("commands with their progress: the latest update per (node, image) wins, a late resend does not go back", async () => {
    const s = await e.fresh("commands");
    await s.saveCommand({ id: "c1", createdMs: T0, images: ["nginx:1.25", "redis:7"], plan: [{ node: "n1", notBeforeMs: T0 }] });
    await s.write([{ kind: "commandUpdate", node: "n1", update: update("c1", "nginx:1.25", "pulling", T0 + 1), atMs: T0 + 1 }]);
    await s.write([{ kind: "commandUpdate", node: "n1", update: update("c1", "nginx:1.25", "present", T0 + 5), atMs: T0 + 5 }]);
    await s.write([{ kind: "commandUpdate", node: "n1", update: update("c1", "nginx:1.25", "pulling", T0 + 2), atMs: T0 + 6 }]);
    await s.saveCommandUpdate("n2", update("c1", "redis:7", "failed", T0 + 3));
    const c = await s.command("c1");
    assert.deepEqual(c?.images, ["nginx:1.25", "redis:7"]);
    assert.deepEqual(c?.plan, [{ node: "n1", notBeforeMs: T0 }]);
    assert.deepEqual(
      c?.updates.map((u) => [u.node, u.image, u.state, u.atMs]),
      [
        ["n1", "nginx:1.25", "present", T0 + 5],
        ["n2", "redis:7", "failed", T0 + 3],
      ],
    );
    assert.deepEqual(await s.commandStates("c1", "n1"), [{ image: "nginx:1.25", state: "present" }]);
    assert.equal(await s.command("nope"), undefined);
    await s.close();
  });

  it("commands come newest first, bounded by maxCommands, the oldest going with their updates", async () => {
    const s = await e.fresh("bounded", { maxCommands: 3 });
    for (let i = 0; i < 5; i++) {
      await s.saveCommand({ id: `c${i}`, createdMs: T0 + i, images: ["a:1"], plan: [] });
      await s.saveCommandUpdate("n1", update(`c${i}`, "a:1", "present", T0 + i));
    }
    assert.deepEqual(
      (await s.latestCommands(10)).map((c) => c.id),
      ["c4", "c3", "c2"],
    );
    assert.deepEqual(
      (await s.latestCommands(2)).map((c) => c.id),
      ["c4", "c3"],
    );
    assert.equal(await s.command("c0"), undefined);
    assert.deepEqual(await s.commandStates("c0", "n1"), []);
    assert.deepEqual(await s.stats(), { nodes: 0, findings: 0, commands: 3, commandUpdates: 3 });
    await s.close();
  });

  it("retention: prune deletes what is older than the cut; pruneNodes and deleteNodes forget nodes, keeping their findings", async () => {
    const s = await e.fresh("retention");
    await s.write([
      { kind: "hello", hello: hello("old"), atMs: T0 },
      { kind: "hello", hello: hello("new"), atMs: T0 + 100 },
      { kind: "hello", hello: hello("gone"), atMs: T0 + 100 },
      { kind: "findings", node: "old", findings: [prune("f-old", T0), prune("f-new", T0 + 100)], atMs: T0 },
    ]);
    await s.saveCommand({ id: "c-old", createdMs: T0, images: ["a:1"], plan: [] });
    await s.saveCommand({ id: "c-kept", createdMs: T0, images: ["a:1"], plan: [] });
    await s.saveCommandUpdate("new", update("c-kept", "a:1", "present", T0 + 100));
    assert.equal(await s.prune(T0 + 50), 2, "one finding and one command without updates");
    assert.deepEqual(
      (await s.findingsPage({ limit: 10 })).findings.map((f) => f.id),
      ["f-new"],
    );
    assert.equal(s.findingsBudget().rows, 1);
    assert.deepEqual(
      (await s.latestCommands(10)).map((c) => c.id),
      ["c-kept"],
    );
    assert.deepEqual(await s.pruneNodes(T0 + 50), ["old"]);
    await s.deleteNodes(["gone"]);
    assert.deepEqual(
      (await nodesOf(s)).map((n) => n.node),
      ["new"],
    );
    assert.equal((await s.findingsPage({ node: "old", limit: 10 })).total, 1);
    await s.close();
  });

  it("the findings budget: beyond maxFindings the oldest go first, and they are counted", async () => {
    const s = await e.fresh("budget", { maxFindings: 100 });
    const findings = Array.from({ length: 150 }, (_, i) => prune(`f${i}`, T0 + i));
    await s.write([{ kind: "findings", node: "n1", findings, atMs: T0 }]);
    const budget = s.findingsBudget();
    assert.ok(budget.rows <= 100 && budget.rows >= 90, `rows ${budget.rows}`);
    assert.equal(budget.dropped, 150 - budget.rows);
    const kept = await s.findingsPage({ limit: 200 });
    assert.equal(kept.findings.length, budget.rows);
    assert.equal(kept.findings[0]?.id, "f149");
    assert.equal(kept.findings.at(-1)?.id, `f${150 - budget.rows}`);
    await s.close();
  });

  it("the readiness probe writes; close twice is harmless", async () => {
    const s = await e.fresh("probe");
    await s.probeWrite();
    await s.close();
    await s.close();
  });

  it("a database of a newer schema is refused, naming both versions", async () => {
    const s = await e.fresh("newer");
    await s.close();
    await e.markNewerSchema("newer", e.schemaVersion + 1);
    await assert.rejects(
      () => e.reopen("newer"),
      (err: Error) => {
        assert.match(err.message, new RegExp(`schema ${e.schemaVersion + 1}, written by a newer aggregator; this one knows up to ${e.schemaVersion}`));
        return true;
      },
    );
  });
}
