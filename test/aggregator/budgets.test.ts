// The budgets on their own: the reports' memory (a share per node, a shared pool), a node's finding
// rate, the database's health, the cause labels metrics take, and the limits of a message.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CAUSES } from "../../agent/diagnose/causes.js";
import { causeLabel, KNOWN_CAUSES } from "../../aggregator/causes.js";
import { FindingRate } from "../../aggregator/ingest/finding-rate.js";
import { ReportMemory } from "../../aggregator/report-memory.js";
import { StoreHealth, type WriteFailureReason, writeFailureReason } from "../../aggregator/store/index.js";
import type { Logger } from "../../core/log/index.js";
import { emptyNodeReport, MAX_REPORT_BYTES, measureFinding, measureHello, measureReport, PROTOCOL } from "../../core/protocol/index.js";

test("report memory: a node's share is never refused; above it the pool decides; the total never passes the budget", () => {
  const m = new ReportMemory({ budgetBytes: 1000, maxNodes: 5 });
  assert.equal(m.shareBytes, 100);
  assert.equal(m.poolBytes, 500);
  assert.ok(m.take("a", 400), "300 from the pool");
  assert.ok(m.take("b", 300), "200 from the pool: full");
  assert.equal(m.take("c", 101), false, "1 above its share: refused");
  assert.equal(m.usedBytes, 700);
  for (const n of ["c", "d", "e"]) assert.ok(m.take(n, 100), `${n} within its share`);
  assert.ok(m.usedBytes <= m.budgetBytes);
  assert.equal(m.take("a", 500), false, "a larger report of a node is refused too; the one it has stays");
  assert.equal(m.heldBy("a"), 400);
  assert.ok(m.take("a", 50), "a smaller report frees the pool");
  assert.ok(m.take("c", 350), "and another node takes it");
  m.set("c", 0);
  assert.equal(m.pooledBytes, 200);
  assert.match(m.describe(2048), /reportMemoryBytes 1 KiB.*first 1 KiB are its own.*1 KiB shared by larger reports have 1 KiB free/);
});

test("finding rate: a burst, then the rate; each node its own bucket", () => {
  let now = 0;
  const r = new FindingRate({ perSecond: 2, burst: 3, now: () => now });
  assert.deepEqual([r.take("a"), r.take("a"), r.take("a"), r.take("a")], [true, true, true, false]);
  assert.ok(r.take("b"), "another node is not slowed");
  now = 500;
  assert.ok(r.take("a"), "one more after half a second at 2/s");
  assert.equal(r.take("a"), false);
  now = 60_000;
  assert.deepEqual([r.take("a"), r.take("a"), r.take("a"), r.take("a")], [true, true, true, false], "refilled to the burst, not beyond");
  assert.match(r.describe("a"), /^finding: node a sent findings faster than its rate \(findingRate: 2 per second, bursts of 3\)/);
});

test("database health: failures by SQLite code, logged and counted; ready again once a probe writes, a full disk once space was freed", async () => {
  const counted: WriteFailureReason[] = [];
  const logged: string[] = [];
  const log: Logger = { error: (m) => void logged.push(m), warn: () => undefined, info: () => undefined, debug: () => undefined };
  let now = 0;
  let probeFails: Error | undefined;
  let free = 1000;
  const h = new StoreHealth({
    probe: () => {
      if (probeFails) throw probeFails;
    },
    freeBytes: () => free,
    log,
    count: (r) => void counted.push(r),
    now: () => now,
  });
  const sqlite = (code: string, message: string) => Object.assign(new Error(message), { code });
  assert.equal(await h.problem(), undefined);
  h.failed(sqlite("SQLITE_READONLY", "attempt to write a readonly database"), "commit");
  probeFails = sqlite("SQLITE_READONLY", "attempt to write a readonly database");
  assert.match((await h.problem()) ?? "", /^database: writes fail \(readonly: attempt to write a readonly database\) since 1970-01-01T00:00:00\.000Z/);
  probeFails = undefined;
  now = 6000;
  assert.equal(await h.problem(), undefined, "the probe writes again");
  h.failed(sqlite("SQLITE_FULL", "database or disk is full"), "commit");
  now = 12_000;
  assert.match((await h.problem()) ?? "", /full: database or disk is full/, "a probe that fits in the log says nothing of a full disk");
  free += 2 * 1024 * 1024;
  now = 18_000;
  assert.equal(await h.problem(), undefined, "space was freed");
  h.failed(sqlite("SQLITE_CORRUPT", "database disk image is malformed"), "commit");
  h.succeeded();
  now = 60_000;
  assert.match((await h.problem()) ?? "", /corrupt: database disk image is malformed/, "a damaged file stays damaged");
  assert.deepEqual(counted, ["readonly", "readonly", "full", "corrupt"]);
  assert.equal(logged.length, 4);
  assert.deepEqual(
    ["SQLITE_READONLY_DBMOVED", "SQLITE_FULL", "SQLITE_CORRUPT_INDEX", "SQLITE_NOTADB", "SQLITE_IOERR_WRITE", "SQLITE_BUSY", "ENOENT"].map((code) =>
      writeFailureReason({ code }),
    ),
    ["readonly", "full", "corrupt", "corrupt", "io", "busy", "other"],
  );
});

test("cause labels: the agent's fixed set and pending, anything else is other", () => {
  assert.deepEqual([...KNOWN_CAUSES].sort(), [...CAUSES.filter((c) => c !== "ok"), "pending"].sort(), "the agent's list and the aggregator's are one");
  assert.equal(causeLabel("dns"), "dns");
  assert.equal(causeLabel("pending"), "pending");
  assert.equal(causeLabel("<img onerror=x>"), "other");
});

test("message limits: each problem names the field; an ordinary report is far below the largest", () => {
  const r = emptyNodeReport(1);
  assert.equal(measureReport(r).problem, undefined);
  assert.ok(measureReport(r).bytes < 1024);
  assert.equal(
    measureReport({ ...r, conditions: [{ type: "T".repeat(318), status: "True", reason: "", message: "" }] }).problem,
    "report.conditions[0].type: 318 characters, at most 317",
  );
  assert.equal(measureReport({ ...r, checkErrors: { ["k".repeat(129)]: "x" } }).problem, "report.check_errors: a key of 129 characters, at most 128");
  assert.equal(
    measureFinding({
      id: "b:1",
      atMs: 1,
      kind: "prune",
      prune: { trigger: "t", removed: 0, freedBytes: 0, failed: 0, dryRun: false, images: Array(1025).fill("x") },
    }).problem,
    "finding.prune.images: 1,025 entries, at most 1,024",
  );
  const hello = { node: "n", agentVersion: "v", bootId: "b", reportIntervalSeconds: 86_401, protocol: PROTOCOL };
  assert.equal(measureHello(hello).problem, "hello.report_interval_seconds: 86401, at most 86400 (a day)");
  // Text beyond Latin-1 costs two bytes a character.
  const wide = measureReport({ ...r, runtimeProblem: "é".repeat(1000) }).bytes - measureReport({ ...r, runtimeProblem: "e".repeat(1000) }).bytes;
  assert.equal(wide, 0);
  const cjk = measureReport({ ...r, runtimeProblem: "漢".repeat(1000) }).bytes - measureReport({ ...r, runtimeProblem: "e".repeat(1000) }).bytes;
  assert.equal(cjk, 1000);
  assert.equal(MAX_REPORT_BYTES, 1024 * 1024);
});
