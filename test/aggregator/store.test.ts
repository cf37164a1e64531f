import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type BetterSqlite3 from "better-sqlite3";
import { ClusterState } from "../../aggregator/cluster-state.js";
import { APPLICATION_ID, decodeReport, encodeReport, normalizeReport, SCHEMA_VERSION, SqliteStore, type StoredCommand } from "../../aggregator/store/index.js";
import type { CommandUpdate, Finding, Hello, NodeReport } from "../../core/protocol/protocol.js";

// The aggregator's SQLite store against real files: what is saved comes back after a close and
// reopen (and after the process is killed), resent findings are not doubled, a file that is not
// a pullmedic database is refused with its path in the message, and growth is pruned.

const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
const dir = mkdtempSync(join(tmpdir(), "pullmedic-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbPath = (): string => join(dir, `case-${++n}`, "nested", "pullmedic.db");

const T0 = 1_700_000_000_000;

function hello(node: string, over: Partial<Hello> = {}): Hello {
  return { node, agentVersion: "0.1.0", bootId: `boot-${node}`, reportIntervalSeconds: 10, protocol: "pullmedic.v1", ...over };
}

function fullReport(at: number): NodeReport {
  return {
    observedAtMs: at,
    runtime: "containerd 1.7.2",
    runtimeProblem: "",
    disks: [{ mountpoint: "/var/lib/containerd", capacityBytes: 100e9, availableBytes: 38.5e9, usedPercent: 61.5, inodesFree: 123456 }],
    images: { count: 0, bytes: 0, inUse: 0, sandboxImage: "" },
    registries: [
      { registry: "docker.io", ok: true, failingStep: "", error: "", certificateExpiresMs: T0 + 1e10, latencyMs: 12.5 },
      { registry: "ghcr.io", ok: false, failingStep: "tls", error: "x509: certificate signed by unknown authority", certificateExpiresMs: 0, latencyMs: 0 },
    ],
    quota: [{ source: "203.0.113.7", limit: 100, remaining: 0, windowSeconds: 21600, observedAtMs: at - 5 }],
    prepull: [{ image: "nginx:1.25", state: "present", cause: "", summary: "", lastPullMs: at - 100, bytes: 70_000_000 }],
    failures: [
      {
        pod: "shop/web-0",
        container: "web",
        image: "ghcr.io/acme/web:2",
        registry: "ghcr.io",
        reason: "ImagePullBackOff",
        cause: "",
        summary: "",
        fix: ["", "kubectl -n shop describe pod web-0"],
        sinceMs: at - 1000,
        impact: 1,
        note: "",
      },
    ],
    prune: null,
    conditions: [{ type: "ImageFsPressure", status: "False", reason: "", message: "" }],
    checkErrors: { probes: "", disk: "statfs /var/lib/containerd: permission denied" },
    hygiene: [{ kind: "latest-tag", pod: "shop/web-0", image: "nginx", message: "uses :latest", fix: "" }],
    secrets: [],
    pulls: [
      {
        image: "ghcr.io/acme/big:1",
        registry: "ghcr.io",
        manifest: "sha256:abc",
        pods: ["shop/big-0", "shop/big-1"],
        bytesDone: 12_000_000,
        bytesTotal: 30_000_000,
        layersDone: 1,
        layersTotal: 4,
        bytesPerSecond: 2_000_000,
        etaSeconds: 9,
        startedMs: at - 6000,
        stalled: false,
        idleMs: 0,
        summary: "",
        fix: [],
      },
    ],
  };
}

function diagnosis(id: string, atMs: number, over: { pod?: string; image?: string; cause?: string } = {}): Finding {
  return {
    id,
    atMs,
    kind: "diagnosis",
    diagnosis: {
      pod: over.pod ?? "shop/web-0",
      container: "web",
      image: over.image ?? "ghcr.io/acme/web:2",
      registry: "ghcr.io",
      reason: "ErrImagePull",
      cause: over.cause ?? "not-found",
      summary: "the tag 2 does not exist",
      fix: ["crane ls ghcr.io/acme/web"],
      sinceMs: atMs - 10,
      impact: 1,
      note: "",
    },
  };
}

const pruneFinding = (id: string, atMs: number): Finding => ({
  id,
  atMs,
  kind: "prune",
  prune: { trigger: "high-watermark", removed: 3, freedBytes: 1e9, failed: 0, dryRun: false, images: ["a:1", "b:2"] },
});

function update(commandId: string, image: string, state: string, atMs: number): CommandUpdate {
  return { commandId, image, state, cause: state === "failed" ? "not-found" : "", summary: "", durationMs: 0, atMs };
}

test("a round trip through a real file: reopened, the store gives back nodes, findings and commands", () => {
  const path = dbPath();
  const s = SqliteStore.open(path);
  assert.equal(s.path, path);
  assert.ok(existsSync(path), "the directory and file are created");
  s.saveHello(hello("n1"), T0);
  s.saveHello(hello("n2", { reportIntervalSeconds: 30, agentVersion: "0.2.0" }), T0 + 1);
  const report = fullReport(T0 + 10);
  s.saveReport("n1", report, T0 + 20);
  assert.equal(s.saveFindings("n1", [diagnosis("b1:5", T0 + 30), pruneFinding("b1:6", T0 + 40)]), 2);
  const cmd: StoredCommand = {
    id: "cmd-1",
    createdMs: T0 + 50,
    images: ["nginx:1.25", "redis:7"],
    plan: [
      { node: "n1", notBeforeMs: T0 + 60 },
      { node: "n2", notBeforeMs: T0 + 90 },
    ],
  };
  s.saveCommand(cmd);
  s.saveCommandUpdate("n1", update("cmd-1", "nginx:1.25", "pulled", T0 + 70));
  s.close();
  s.close(); // twice is harmless

  const again = SqliteStore.open(path);
  const nodes = again.loadNodes();
  assert.deepEqual(
    nodes.map((r) => [r.node, r.connected, r.agentVersion, r.reportIntervalSeconds, r.firstSeenMs, r.lastSeenMs, r.lastReportMs]),
    [
      ["n1", false, "0.1.0", 10, T0, T0 + 20, T0 + 20],
      ["n2", false, "0.2.0", 30, T0 + 1, T0 + 1, 0],
    ],
  );
  assert.deepEqual(nodes[0]?.report, report, "the report reads back exactly, empty fields included");
  assert.equal(nodes[1]?.report, undefined);

  const state = new ClusterState();
  for (const rec of nodes) state.restore(rec);
  assert.equal(state.size, 2);
  assert.equal(state.node("n1")?.report?.registries[1]?.failingStep, "tls");

  const findings = again.findings({ limit: 10 });
  assert.deepEqual(
    findings.map((f) => [f.id, f.node, f.kind, f.atMs, f.image, f.cause, f.registry, f.pod]),
    [
      ["b1:6", "n1", "prune", T0 + 40, "", "", "", ""],
      ["b1:5", "n1", "diagnosis", T0 + 30, "ghcr.io/acme/web:2", "not-found", "ghcr.io", "shop/web-0"],
    ],
  );
  assert.deepEqual(findings[1]?.finding, diagnosis("b1:5", T0 + 30));
  assert.deepEqual(findings[0]?.finding, pruneFinding("b1:6", T0 + 40));

  const stored = again.command("cmd-1");
  assert.deepEqual(stored, { ...cmd, updates: [{ ...update("cmd-1", "nginx:1.25", "pulled", T0 + 70), node: "n1" }] });
  assert.equal(again.command("nope"), undefined);
  assert.deepEqual(again.stats(), { nodes: 2, findings: 2, commands: 1, commandUpdates: 1 });
  again.close();
});

test("reports are stored compact and read back whole", () => {
  const report = fullReport(T0);
  const json = encodeReport(report);
  assert.ok(json.length < JSON.stringify(report).length);
  assert.doesNotMatch(json, /"runtimeProblem"|"note"|"prune"|"secrets"/);
  assert.match(json, /"probes":""/, "a map keeps its entries even when empty");
  assert.deepEqual(decodeReport(json), report);
  // An all-zero message stays an object; an absent one stays null.
  assert.deepEqual(decodeReport(json).images, { count: 0, bytes: 0, inUse: 0, sandboxImage: "" });
  assert.equal(decodeReport(json).prune, null);
  // A report of another release: missing fields get their defaults, unknown ones are dropped.
  const odd = normalizeReport({ runtime: "cri-o", failures: [{ pod: "a/b" }], extra: 1 });
  assert.equal(odd.failures[0]?.cause, "");
  assert.deepEqual(odd.failures[0]?.fix, []);
  assert.deepEqual(odd.disks, []);
  assert.equal("extra" in odd, false);
});

test("resent findings are ignored by id, in one call, across calls and after a reopen", () => {
  const path = dbPath();
  const s = SqliteStore.open(path);
  assert.equal(s.saveFindings("n1", [diagnosis("b:1", T0), diagnosis("b:2", T0 + 1), diagnosis("b:1", T0)]), 2);
  assert.equal(s.saveFindings("n1", [diagnosis("b:2", T0 + 1), diagnosis("b:3", T0 + 2)]), 1);
  assert.equal(s.saveFindings("n1", []), 0);
  s.close();
  const again = SqliteStore.open(path);
  assert.equal(again.saveFindings("n1", [diagnosis("b:1", T0), diagnosis("b:2", T0 + 1), diagnosis("b:3", T0 + 2)]), 0);
  assert.equal(again.findings({ limit: 100 }).length, 3);
  assert.throws(() => again.saveFindings("n1", [diagnosis("", T0)]), /finding from node "n1" has no id/);
  again.close();
});

test("findings are newest first and filter by kind, node and time, within the limit", () => {
  const s = SqliteStore.open(":memory:");
  s.saveFindings("n1", [diagnosis("a:1", T0 + 1), diagnosis("a:2", T0 + 5, { cause: "auth-denied" }), pruneFinding("a:3", T0 + 3)]);
  s.saveFindings("n2", [diagnosis("c:1", T0 + 4), pruneFinding("c:2", T0 + 2), diagnosis("c:3", T0 + 5)]);
  const ids = (q: Parameters<SqliteStore["findings"]>[0]): string[] => s.findings(q).map((f) => f.id);
  assert.deepEqual(ids({ limit: 100 }), ["c:3", "a:2", "c:1", "a:3", "c:2", "a:1"], "same time: the later arrival first");
  assert.deepEqual(ids({ limit: 2 }), ["c:3", "a:2"]);
  assert.deepEqual(ids({ kind: "prune", limit: 100 }), ["a:3", "c:2"]);
  assert.deepEqual(ids({ node: "n1", limit: 100 }), ["a:2", "a:3", "a:1"]);
  assert.deepEqual(ids({ kind: "diagnosis", node: "n2", sinceMs: T0 + 5, limit: 100 }), ["c:3"]);
  assert.deepEqual(ids({ sinceMs: T0 + 4, limit: 100 }), ["c:3", "a:2", "c:1"]);
  assert.deepEqual(ids({ limit: 0 }), []);
  assert.equal(s.findings({ kind: "diagnosis", node: "n1", limit: 1 })[0]?.cause, "auth-denied");
  s.close();
});

test("a file that is not a pullmedic database is refused with an error that names it", () => {
  // Not SQLite at all.
  const text = join(dir, "notes.db");
  writeFileSync(text, "these are not the pages you are looking for\n".repeat(200));
  assert.throws(
    () => SqliteStore.open(text),
    (err: Error) => err.message.includes(text) && /is not a pullmedic database, or it is damaged/.test(err.message),
  );
  assert.equal(readFileSync(text, "utf8").startsWith("these are not"), true, "the file is left as it was");

  // SQLite, but someone else's.
  const foreign = join(dir, "foreign.db");
  const other = new Database(foreign);
  other.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)");
  other.close();
  assert.throws(
    () => SqliteStore.open(foreign),
    (err: Error) => err.message.includes(foreign) && /SQLite database of something else.*users.*not a pullmedic database/.test(err.message),
  );

  // A pullmedic database from a newer release.
  const newer = dbPath();
  SqliteStore.open(newer).close();
  const raw = new Database(newer);
  assert.equal(raw.pragma("application_id", { simple: true }), APPLICATION_ID);
  assert.equal(raw.pragma("user_version", { simple: true }), SCHEMA_VERSION);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  assert.throws(
    () => SqliteStore.open(newer),
    (err: Error) => err.message.includes(newer) && /schema 2, written by a newer aggregator/.test(err.message),
  );

  // A pullmedic database with a damaged page.
  const damaged = dbPath();
  const s = SqliteStore.open(damaged);
  s.transaction(() => {
    for (let i = 0; i < 200; i++) s.saveFindings("n1", [diagnosis(`x:${i}`, T0 + i)]);
  });
  s.close();
  const size = statSync(damaged).size;
  assert.ok(size > 8 * 4096, `${size} bytes`);
  const fd = openSync(damaged, "r+");
  writeSync(fd, Buffer.alloc(4096 * 3, 0xa5), 0, 4096 * 3, 4096 * 2);
  closeSync(fd);
  assert.throws(
    () => SqliteStore.open(damaged),
    (err: Error) => err.message.includes(damaged) && /damaged/.test(err.message),
  );

  // A directory where the file should be.
  assert.throws(
    () => SqliteStore.open(dir),
    (err: Error) => err.message.includes(dir) && /pullmedic database/.test(err.message),
  );
});

test("transaction batches writes into one commit; a throw rolls back all of it, a caught inner throw only its part", () => {
  const path = dbPath();
  const s = SqliteStore.open(path);
  const added = s.transaction(() => {
    let count = 0;
    for (let i = 0; i < 500; i++) {
      s.saveHello(hello(`node-${i}`), T0);
      s.saveReport(`node-${i}`, fullReport(T0), T0 + 1);
      count += s.saveFindings(`node-${i}`, [diagnosis(`b${i}:1`, T0 + i)]);
    }
    return count;
  });
  assert.equal(added, 500);
  assert.equal(s.loadNodes().length, 500);

  assert.throws(
    () =>
      s.transaction(() => {
        s.saveHello(hello("doomed"), T0);
        s.saveFindings("doomed", [diagnosis("d:1", T0)]);
        throw new Error("stream broke");
      }),
    /stream broke/,
  );
  assert.equal(s.loadNodes().length, 500);
  assert.equal(s.findings({ node: "doomed", limit: 10 }).length, 0);

  s.transaction(() => {
    s.saveHello(hello("kept"), T0);
    try {
      s.transaction(() => {
        s.saveHello(hello("inner"), T0);
        throw new Error("inner");
      });
    } catch {
      // the inner part is rolled back to its savepoint
    }
    s.saveFindings("kept", [diagnosis("k:1", T0)]);
  });
  const names = new Set(s.loadNodes().map((r) => r.node));
  assert.equal(names.has("kept"), true);
  assert.equal(names.has("inner"), false);
  assert.equal(s.findings({ node: "kept", limit: 10 }).length, 1);

  assert.throws(() => s.transaction(() => Promise.resolve(1)), /must be synchronous/);

  // A batch is one commit: another connection sees none of it until the end, then all of it.
  const reader = new Database(path, { readonly: true });
  const reports = reader.prepare("SELECT count(*) FROM nodes WHERE last_report_ms = ?").pluck();
  s.transaction(() => {
    for (let i = 0; i < 300; i++) {
      s.saveReport(`node-${i}`, fullReport(T0 + 3), T0 + 3);
      if (i === 299) assert.equal(reports.get(T0 + 3), 0);
    }
  });
  assert.equal(reports.get(T0 + 3), 300);
  reader.close();
  s.close();

  const again = SqliteStore.open(path);
  assert.equal(again.loadNodes().find((r) => r.node === "node-299")?.lastReportMs, T0 + 3);
  again.close();
});

test("what was saved before the ack survives the aggregator being killed (WAL, synchronous=NORMAL)", () => {
  const path = dbPath();
  const storeModule = new URL("../../aggregator/store/index.ts", import.meta.url).href;
  const code = `
    const { SqliteStore } = await import(${JSON.stringify(storeModule)});
    const s = SqliteStore.open(${JSON.stringify(path)});
    s.saveHello({ node: "n1", agentVersion: "0.1.0", bootId: "b", reportIntervalSeconds: 10, protocol: "pullmedic.v1" }, 1);
    s.transaction(() => { for (let i = 0; i < 100; i++) s.saveFindings("n1", [{ id: "b:" + i, atMs: 10 + i, kind: "prune", prune: { trigger: "max-age", removed: 1, freedBytes: 5, failed: 0, dryRun: false, images: [] } }]); });
    process.stdout.write("acked\\n");
    process.kill(process.pid, "SIGKILL");
  `;
  const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { encoding: "utf8", timeout: 60_000 });
  assert.equal(child.signal, "SIGKILL", child.stderr);
  assert.equal(child.stdout, "acked\n");
  const s = SqliteStore.open(path);
  assert.deepEqual(
    s.loadNodes().map((r) => r.node),
    ["n1"],
  );
  assert.equal(s.findings({ limit: 1000 }).length, 100);
  s.close();
});

test("command updates keep the latest per (command, node, image); a late resend does not go back", () => {
  const s = SqliteStore.open(":memory:");
  s.saveCommand({ id: "c1", createdMs: T0, images: ["a:1", "b:1"], plan: [{ node: "n1", notBeforeMs: T0 }] });
  s.saveCommandUpdate("n1", update("c1", "a:1", "waiting", T0 + 1));
  s.saveCommandUpdate("n1", update("c1", "a:1", "pulling", T0 + 2));
  s.saveCommandUpdate("n1", update("c1", "a:1", "pulled", T0 + 5));
  s.saveCommandUpdate("n1", update("c1", "a:1", "pulling", T0 + 2)); // resent after a reconnect
  s.saveCommandUpdate("n1", update("c1", "b:1", "failed", T0 + 6));
  s.saveCommandUpdate("n2", update("c1", "a:1", "pulled", T0 + 7));
  const c = s.command("c1");
  assert.deepEqual(
    c?.updates.map((u) => [u.node, u.image, u.state, u.cause, u.atMs]),
    [
      ["n1", "a:1", "pulled", "", T0 + 5],
      ["n1", "b:1", "failed", "not-found", T0 + 6],
      ["n2", "a:1", "pulled", "", T0 + 7],
    ],
  );
  s.close();
});

test("commands: newest first, bounded by maxCommands with their updates", () => {
  const s = SqliteStore.open(":memory:", { maxCommands: 3 });
  for (let i = 1; i <= 5; i++) {
    s.saveCommand({ id: `c${i}`, createdMs: T0 + i, images: [`img:${i}`], plan: [] });
    s.saveCommandUpdate("n1", update(`c${i}`, `img:${i}`, "pulled", T0 + i));
  }
  assert.deepEqual(
    s.latestCommands(10).map((c) => c.id),
    ["c5", "c4", "c3"],
  );
  assert.deepEqual(
    s.latestCommands(2).map((c) => c.id),
    ["c5", "c4"],
  );
  assert.deepEqual(s.latestCommands(0), []);
  assert.equal(s.command("c1"), undefined);
  assert.equal(s.stats().commandUpdates, 3);
  s.close();
});

test("prune deletes findings and command updates older than the cut, and old commands left without updates", () => {
  const s = SqliteStore.open(dbPath());
  s.saveFindings("n1", [diagnosis("old:1", T0 - 2000), pruneFinding("old:2", T0 - 1), diagnosis("new:1", T0), diagnosis("new:2", T0 + 1000)]);
  s.saveCommand({ id: "old", createdMs: T0 - 5000, images: ["a:1"], plan: [] });
  s.saveCommandUpdate("n1", update("old", "a:1", "pulled", T0 - 4000));
  s.saveCommand({ id: "new", createdMs: T0 - 10, images: ["a:1", "b:1"], plan: [] });
  s.saveCommandUpdate("n1", update("new", "a:1", "waiting", T0 - 5)); // older than the cut: goes
  s.saveCommandUpdate("n1", update("new", "b:1", "pulled", T0 + 5)); // keeps "new", created before the cut
  s.saveHello(hello("n1"), T0 - 100_000);

  assert.equal(s.prune(T0), 2 + 2 + 1);
  assert.deepEqual(
    s.findings({ limit: 10 }).map((f) => f.id),
    ["new:2", "new:1"],
  );
  assert.equal(s.command("old"), undefined);
  assert.deepEqual(
    s.command("new")?.updates.map((u) => u.image),
    ["b:1"],
  );
  assert.equal(s.loadNodes().length, 1, "nodes are not pruned by prune()");
  assert.equal(s.prune(T0), 0);
  s.close();
});

test("pruneNodes forgets nodes not seen for long; saveSeen keeps a node alive", () => {
  const s = SqliteStore.open(":memory:");
  s.saveHello(hello("gone"), T0 - 10_000);
  s.saveHello(hello("quiet"), T0 - 10_000);
  s.saveSeen("quiet", T0 - 1);
  s.saveSeen("unknown", T0); // not created
  s.saveHello(hello("busy"), T0 - 10_000);
  s.saveReport("busy", fullReport(T0), T0);
  assert.deepEqual(s.pruneNodes(T0 - 5000), ["gone"]);
  assert.deepEqual(
    s.loadNodes().map((r) => [r.node, r.lastSeenMs]),
    [
      ["busy", T0],
      ["quiet", T0 - 1],
    ],
  );
  s.close();
});
