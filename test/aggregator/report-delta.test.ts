// Delta reports at a real aggregator (loopback, temp database), from raw grpc-js agents: what the
// Ack of a Hello offers, a delta applied against a full report, a delta on another base, and an
// agent built from the contract as it was before deltas (test/report/fixtures) still reporting.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { loadAggregatorConfig, type RunningAggregator, startAggregator } from "../../aggregator/index.js";
import { createLogger } from "../../core/log/log.js";
import { type AggregatorMessage, diffReport, FEATURE_REPORT_DELTA, type NodeReport } from "../../core/protocol/index.js";
import { PROTOCOL_LOAD_OPTIONS } from "../../core/protocol/protocol.js";
import { realisticReport } from "../report/realistic-node.js";
import { waitFor } from "../support/wait.js";
import { Agent, hello, newClient } from "./agent-stream.js";

const dir = mkdtempSync(join(tmpdir(), "pm-delta-"));
const TOKEN = "delta-token-7e21";
const tokenFile = join(dir, "tokens");
writeFileSync(tokenFile, `${TOKEN}\n`);
let agg: RunningAggregator;
let client: grpc.Client;

before(async () => {
  const config = await loadAggregatorConfig({
    env: {},
    flags: { grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", database: join(dir, "agg.db"), tokenFile },
  });
  agg = await startAggregator(config, createLogger("cli", "error"), { tokenReloadMs: 60_000 });
  client = await newClient(agg.grpcAddress);
});

after(async () => {
  client?.close();
  await agg?.stop();
});

/** An agent stream and every message the aggregator wrote on it. */
function open(c: grpc.Client = client): { agent: Agent; got: AggregatorMessage[] } {
  const agent = new Agent(c, TOKEN);
  const got: AggregatorMessage[] = [];
  agent.call.on("data", (m: AggregatorMessage) => got.push(m));
  return { agent, got };
}

function delta(baseSeq: number, from: NodeReport, to: NodeReport) {
  return { delta: { baseSeq, ...diffReport(from, to) } };
}

test("the Ack of a Hello lists report-delta; other acks list nothing", async () => {
  const { agent, got } = open();
  await agent.acked(agent.send({ hello: hello("node-features") }));
  await agent.acked(agent.send({ report: realisticReport(0) }));
  assert.deepEqual(got[0]?.ack, { seq: 1, features: [FEATURE_REPORT_DELTA] });
  assert.deepEqual(got[1]?.ack, { seq: 2, features: [] });
  await agent.end();
});

test("a full report then an hour of deltas make the node record the full report of that time makes", async () => {
  const { agent } = open();
  agent.send({ hello: hello("node-deltas") });
  let base = agent.send({ report: realisticReport(0) });
  await agent.acked(base);
  for (let tick = 1; tick <= 120; tick++) {
    const seq = agent.send(delta(base, realisticReport(tick - 1), realisticReport(tick)));
    await agent.acked(seq);
    base = seq;
  }
  const whole = open();
  whole.agent.send({ hello: hello("node-whole") });
  await whole.agent.acked(whole.agent.send({ report: realisticReport(120) }));

  const byDelta = agg.state.node("node-deltas");
  const byReport = agg.state.node("node-whole");
  assert.ok(byDelta?.report && byReport?.report);
  assert.deepEqual(byDelta.report, byReport.report);
  const stored = await agg.store.loadNodes();
  assert.deepEqual(stored.find((n) => n.node === "node-deltas")?.report, stored.find((n) => n.node === "node-whole")?.report, "the store keeps the same");
  await agent.end();
  await whole.agent.end();
});

test("a delta on another base gets a full-report request, not an ack; the full report then starts a new base", async () => {
  const { agent, got } = open();
  agent.send({ hello: hello("node-astray") });
  const first = agent.send({ report: realisticReport(0) });
  await agent.acked(first);
  const astray = agent.send(delta(first - 1, realisticReport(0), realisticReport(1)));
  await waitFor("the full-report request", () => got.some((m) => m.fullReportRequest));
  assert.deepEqual(
    got.find((m) => m.fullReportRequest),
    { body: "fullReportRequest", fullReportRequest: { seq: astray } },
  );
  assert.equal(agg.state.node("node-astray")?.report?.observedAtMs, realisticReport(0).observedAtMs, "the report held is unchanged");

  const full = agent.send({ report: realisticReport(2) });
  await agent.acked(full);
  const next = agent.send(delta(full, realisticReport(2), realisticReport(3)));
  await agent.acked(next);
  assert.ok(!agent.acks.includes(astray), "the stray delta is never acked");
  assert.equal(agg.state.node("node-astray")?.report?.observedAtMs, realisticReport(3).observedAtMs);
  await agent.end();
});

test("a new stream holds no base: its first delta gets a full-report request (a reconnect, another replica)", async () => {
  const one = open();
  one.agent.send({ hello: hello("node-moved") });
  const seq = one.agent.send({ report: realisticReport(0) });
  await one.agent.acked(seq);
  await one.agent.end();

  const two = open();
  await two.agent.acked(two.agent.send({ hello: hello("node-moved") }));
  const stray = two.agent.send(delta(seq, realisticReport(0), realisticReport(1)));
  await waitFor("the full-report request", () => two.got.some((m) => m.fullReportRequest?.seq === stray));
  await two.agent.end();
});

test("an agent built from the contract before deltas (one version older) reports as before", async () => {
  const definition = await protoLoader.load(new URL("../report/fixtures/pullmedic-v1-before-deltas.proto", import.meta.url).pathname, PROTOCOL_LOAD_OPTIONS);
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { pullmedic: { v1: { Aggregator: grpc.ServiceClientConstructor } } };
  const old = new pkg.pullmedic.v1.Aggregator(agg.grpcAddress, grpc.credentials.createInsecure(), { "grpc.enable_retries": 0 });
  const { agent, got } = open(old);
  agent.send({ hello: hello("node-older") });
  for (let tick = 0; tick < 3; tick++) await agent.acked(agent.send({ report: realisticReport(tick) }));
  assert.deepEqual(got[0], { body: "ack", ack: { seq: 1 } }, "the features it does not know are not decoded");
  assert.equal(agg.state.node("node-older")?.report?.observedAtMs, realisticReport(2).observedAtMs);
  await agent.end();
  old.close();
});
