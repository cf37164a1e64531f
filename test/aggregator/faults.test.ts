// The fault suite: what a hostile or broken peer, or a bad day, does to the aggregator, each case
// as it was found (issue 14) and as it must stay. A real aggregator on loopback with a temp
// database and budgets small enough to reach in a test; real grpc-js clients.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { loadAggregatorConfig, type RunningAggregator, startAggregator } from "../../aggregator/index.js";
import type { Logger } from "../../core/log/index.js";
import { MAX_REPORT_BYTES, measureReport, type NodeReport, type PullFailure } from "../../core/protocol/index.js";
import { waitFor } from "../support/wait.js";
import { Agent, diagnosis, hello, newClient, report } from "./agent-stream.js";

const dir = mkdtempSync(join(tmpdir(), "pm-faults-"));
const TOKEN = "faults-token-51c2";
const tokenFile = join(dir, "tokens");
writeFileSync(tokenFile, `${TOKEN}\n`);
const lines: { level: string; message: string }[] = [];
const at = (level: string) => (message: string) => void lines.push({ level, message });
const log: Logger = { error: at("error"), warn: at("warn"), info: at("info"), debug: () => undefined };

const KIB = 1024;
const MIB = 1024 * KIB;
/** 16 nodes at most, 4 MiB for their reports: 128 KiB kept for each node, 2 MiB shared by the reports above it. */
const BUDGET = { maxNodes: 16, reportMemoryBytes: 4 * MIB };

/** A refusal that never comes fails its test within a minute, not at the suite's timeout. */
const LIMIT = { timeout: 60_000 };

let agg: RunningAggregator;
let client: grpc.Client;

async function start(flags: Record<string, unknown> = {}): Promise<RunningAggregator> {
  const config = await loadAggregatorConfig({
    env: {},
    flags: {
      grpcListen: "127.0.0.1:0",
      httpListen: "127.0.0.1:0",
      database: join(dir, "agg.db"),
      tokenFile,
      ...BUDGET,
      "findingRate.perSecond": 1,
      "findingRate.burst": 20,
      maxFindings: 30,
      ...flags,
    },
  });
  return startAggregator(config, log, { tokenReloadMs: 60_000 });
}

before(async () => {
  agg = await start();
  client = await newClient(agg.grpcAddress);
});

after(async () => {
  client?.close();
  await agg?.stop();
});

async function metric(name: string, a = agg): Promise<number> {
  const text = await a.metrics.render();
  const m = new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

function failure(i: number, summaryLength: number): PullFailure {
  return {
    pod: `shop/api-${i}`,
    container: "api",
    image: "ghcr.io/acme/api:9.9",
    registry: "ghcr.io",
    reason: "ImagePullBackOff",
    cause: "not-found",
    summary: "s".repeat(summaryLength),
    fix: [],
    sinceMs: Date.now(),
    impact: 1,
    note: "",
  };
}

/** A report of about `kib` KiB in the aggregator's memory (failures with long summaries). */
function reportOf(kib: number): NodeReport {
  const r = report();
  const each = measureReport(report({ failures: [failure(0, 2000)] })).bytes - measureReport(r).bytes;
  r.failures = Array.from({ length: Math.max(0, Math.round((kib * KIB) / each)) }, (_, i) => failure(i, 2000));
  return r;
}

async function refused(a: Agent): Promise<grpc.StatusObject> {
  const s = await a.status;
  assert.notEqual(s.code, grpc.status.OK, "the stream was refused");
  return s;
}

// ---- 1. budgets where a peer controls size -------------------------------------------------------

test("a report field beyond its limit is refused INVALID_ARGUMENT naming the field; the node keeps its last report", LIMIT, async () => {
  const a = new Agent(client, TOKEN);
  await a.helloAndReport("node-limits", report({ runtime: "containerd 2.0" }));
  const cases: [Partial<NodeReport>, RegExp][] = [
    [{ failures: [failure(0, 2049)] }, /^report\.failures\[0\]\.summary: 2,049 characters, at most 2,048$/],
    [{ failures: Array.from({ length: 501 }, (_, i) => failure(i, 10)) }, /^report\.failures: 501 entries, at most 500$/],
    [{ checkErrors: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`check-${i}`, "x"])) }, /^report\.check_errors: 33 entries, at most 32$/],
    [
      { registries: [{ registry: "r".repeat(300), ok: true, failingStep: "", error: "", certificateExpiresMs: 0, latencyMs: 1 }] },
      /^report\.registries\[0\]\.registry: 300 characters, at most 261$/,
    ],
  ];
  for (const [partial, expected] of cases) {
    const b = new Agent(client, TOKEN);
    b.send({ hello: hello("node-limits") });
    b.send({ report: report(partial) });
    const s = await refused(b);
    assert.equal(s.code, grpc.status.INVALID_ARGUMENT, s.details);
    assert.match(s.details, expected);
  }
  assert.equal(agg.state.node("node-limits")?.report?.runtime, "containerd 2.0", "the refused reports changed nothing");
  await a.status;
});

test("a report above the largest allowed (1 MiB in memory) is refused INVALID_ARGUMENT saying its size", LIMIT, async () => {
  const big = reportOf(1100);
  assert.ok(measureReport(big).bytes > MAX_REPORT_BYTES);
  const a = new Agent(client, TOKEN);
  a.send({ hello: hello("node-huge") });
  a.send({ report: big });
  const s = await refused(a);
  assert.equal(s.code, grpc.status.INVALID_ARGUMENT, s.details);
  assert.match(s.details, /^report: about 1,1\d\d KiB in memory, at most 1,024 KiB/);
});

test("reports beyond the report memory budget are refused RESOURCE_EXHAUSTED naming it; a node's own share is always kept", LIMIT, async () => {
  const rejectedBefore = await metric('pullmedic_aggregator_messages_rejected_total{reason="report-memory"}');
  // 700 KiB each: 572 KiB above the 128 KiB share, three of them fit the 2 MiB shared, the fourth not.
  const streams: Agent[] = [];
  for (const node of ["big-1", "big-2", "big-3"]) {
    const a = new Agent(client, TOKEN);
    await a.helloAndReport(node, reportOf(700));
    streams.push(a);
  }
  const fourth = new Agent(client, TOKEN);
  fourth.send({ hello: hello("big-4") });
  fourth.send({ report: reportOf(700) });
  const s = await refused(fourth);
  assert.equal(s.code, grpc.status.RESOURCE_EXHAUSTED, s.details);
  assert.match(s.details, /reportMemoryBytes/);
  assert.equal(await metric('pullmedic_aggregator_messages_rejected_total{reason="report-memory"}'), rejectedBefore + 1);
  // A node within its own share is never refused.
  const small = new Agent(client, TOKEN);
  await small.helloAndReport("small-1", reportOf(100));
  // A big node that shrinks frees the shared part: the fourth gets in.
  await streams[0]!.acked(streams[0]!.send({ report: report() }));
  const again = new Agent(client, TOKEN);
  await again.helloAndReport("big-4", reportOf(700));
  assert.ok((await metric("pullmedic_aggregator_report_memory_bytes")) <= BUDGET.reportMemoryBytes);
  assert.equal(await metric("pullmedic_aggregator_report_memory_budget_bytes"), BUDGET.reportMemoryBytes);
  for (const x of [...streams, small, again]) await x.end();
});

test("a restart respects the budget: stored reports that do not fit are left out of memory, counted and logged", LIMIT, async () => {
  // The stored reports above (3 × 700 KiB, 100 KiB) against half the budget.
  const restarted = await start({ database: join(dir, "agg.db"), grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", reportMemoryBytes: 2 * MIB });
  try {
    assert.ok((await metric("pullmedic_aggregator_report_memory_bytes", restarted)) <= 2 * MIB);
    const left = restarted.state.nodes().filter((n) => n.report === undefined && n.lastReportMs > 0);
    assert.ok(left.length >= 1, "some stored report was left out");
    assert.ok(
      lines.some((l) => /report\(s\) left out of memory at start/.test(l.message)),
      lines.map((l) => l.message).join("\n"),
    );
  } finally {
    await restarted.stop();
  }
});

test("findings above a node's rate are refused RESOURCE_EXHAUSTED naming the budget and counted; other nodes are not slowed", LIMIT, async () => {
  const before = await metric('pullmedic_aggregator_messages_rejected_total{reason="finding-rate"}');
  const a = new Agent(client, TOKEN);
  a.send({ hello: hello("node-chatty") });
  for (let i = 0; i < 40; i++) a.send({ finding: diagnosis(`chatty:${i}`) });
  const s = await refused(a);
  assert.equal(s.code, grpc.status.RESOURCE_EXHAUSTED, s.details);
  assert.match(s.details, /findingRate/);
  assert.ok(a.acks.length >= 20 && a.acks.length < 40, `acked ${a.acks.length}`);
  assert.equal(await metric('pullmedic_aggregator_messages_rejected_total{reason="finding-rate"}'), before + 1);
  const quiet = new Agent(client, TOKEN);
  quiet.send({ hello: hello("node-quiet") });
  await quiet.acked(quiet.send({ finding: diagnosis("quiet:1") }));
  await quiet.end();
});

test("the findings table is bounded: beyond maxFindings the oldest are dropped first, and counted", LIMIT, async () => {
  const before = await metric('pullmedic_aggregator_findings_dropped_total{reason="budget"}');
  for (const node of ["node-f1", "node-f2"]) {
    const a = new Agent(client, TOKEN);
    a.send({ hello: hello(node) });
    let last = 0;
    for (let i = 0; i < 20; i++) last = a.send({ finding: diagnosis(`${node}:${i}`) });
    await a.acked(last);
    await a.end();
  }
  const stats = await agg.store.stats();
  assert.ok(stats.findings <= 30, `${stats.findings} findings kept`);
  const ids = new Set((await agg.store.findings({ limit: 100 })).map((f) => f.id));
  assert.ok(ids.has("node-f2:19"), "the newest is kept");
  assert.ok(!ids.has("node-f1:0"), "the oldest went first");
  assert.ok((await metric('pullmedic_aggregator_findings_dropped_total{reason="budget"}')) - before >= 10);
});

test("open_failures{cause} takes only the known cause labels: anything else is counted as other", LIMIT, async () => {
  const a = new Agent(client, TOKEN);
  await a.helloAndReport(
    "node-causes",
    report({
      failures: [
        { ...failure(1, 10), cause: "made-up-cause" },
        { ...failure(2, 10), cause: "<script>" },
        { ...failure(3, 10), cause: "dns" },
      ],
    }),
  );
  const text = await agg.metrics.render();
  assert.doesNotMatch(text, /made-up-cause|<script>/);
  assert.ok((await metric('pullmedic_aggregator_open_failures{cause="other"}')) >= 2);
  assert.ok((await metric('pullmedic_aggregator_open_failures{cause="dns"}')) >= 1);
  await a.end();
});

test("API lists are paginated: a default and a maximum limit, and a continue token that walks them all", LIMIT, async () => {
  const get = async (path: string) => {
    const res = await fetch(`${agg.httpUrl}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const first = await get("/api/v1/nodes?limit=2");
  assert.equal(first.status, 200);
  const total = first.body["total"] as number;
  assert.ok(total > 2, `total ${total}`);
  const names = (first.body["nodes"] as { node: string }[]).map((n) => n.node);
  assert.equal(names.length, 2);
  let token = first.body["continue"] as string | undefined;
  while (token !== undefined) {
    const next = await get(`/api/v1/nodes?limit=2&continue=${encodeURIComponent(token)}`);
    names.push(...(next.body["nodes"] as { node: string }[]).map((n) => n.node));
    token = next.body["continue"] as string | undefined;
  }
  assert.equal(names.length, total);
  assert.deepEqual(names, [...names].sort());
  const tooMany = await get("/api/v1/nodes?limit=1000000");
  assert.equal(tooMany.status, 400);
  assert.match(String(tooMany.body["error"]), /^limit: expected a whole number 1\.\./);
  const bad = await get("/api/v1/failures?continue=garbage");
  assert.equal(bad.status, 400);
  assert.match(String(bad.body["error"]), /^continue: /);
  for (const view of ["failures", "registries", "disks", "coverage", "quota", "findings"]) {
    const r = await get(`/api/v1/${view}?limit=1`);
    assert.equal(r.status, 200, `${view}: ${JSON.stringify(r.body)}`);
    assert.equal(typeof r.body["total"], "number", `${view} says its total`);
  }
});

// ---- 4. logs do not flood ------------------------------------------------------------------------

test("300 streams with a wrong token write one log line and one count, not 300", LIMIT, async () => {
  const from = lines.length;
  const calls = Array.from({ length: 300 }, () => new Agent(client, "not-the-token"));
  for (const c of calls) c.send({ hello: hello("node-x") });
  await Promise.all(calls.map((c) => c.status));
  const refusals = () => lines.slice(from).filter((l) => /refused/.test(l.message));
  assert.equal(
    refusals().length,
    1,
    refusals()
      .map((l) => l.message)
      .join("\n"),
  );
  await agg.stop();
  assert.equal(refusals().length, 2);
  assert.match(refusals()[1]!.message, /\(… 299 more in the last 10 s\)$/);
  agg = await start();
  client.close();
  client = await newClient(agg.grpcAddress);
  await waitFor("the restarted aggregator to serve", async () => (await fetch(`${agg.httpUrl}/readyz`)).ok);
});
