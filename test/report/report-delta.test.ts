// Delta reports as both sides see them after the wire: a delta made by the agent (diffReport),
// encoded and decoded as grpc-js does, applied by the aggregator (applyDelta) to the report it
// holds, gives the report the agent would have sent whole.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import protobuf from "protobufjs";
import { applyDelta, diffReport, type NodeReport, REPORT_SECTIONS, type ReportDelta } from "../../core/protocol/index.js";
import { PROTOCOL_LOAD_OPTIONS } from "../../core/protocol/protocol.js";
import { realisticReport } from "./realistic-node.js";

const root = protobuf.parse(readFileSync(new URL("../../proto/pullmedic/v1/pullmedic.proto", import.meta.url), "utf8"), { keepCase: false }).root;
const AgentMessage = root.lookupType("pullmedic.v1.AgentMessage");

/** The message as the other side decodes it (proto-loader: toObject(decode(bytes)) with the code's options). */
function overTheWire(body: Record<string, unknown>): { decoded: Record<string, unknown>; bytes: number } {
  const bytes = AgentMessage.encode(AgentMessage.fromObject({ seq: 9, ...body })).finish();
  return { decoded: AgentMessage.toObject(AgentMessage.decode(bytes), PROTOCOL_LOAD_OPTIONS as protobuf.IConversionOptions), bytes: bytes.length };
}

function wireReport(r: NodeReport): NodeReport {
  return overTheWire({ report: r }).decoded["report"] as NodeReport;
}

test("REPORT_SECTIONS names every NodeReport field but observed_at_ms, by its number in the .proto", () => {
  const fields = root.lookupType("pullmedic.v1.NodeReport").fieldsArray.filter((f) => f.name !== "observedAtMs");
  assert.deepEqual(REPORT_SECTIONS, Object.fromEntries(fields.map((f) => [f.name, f.id])));
});

test("over two hours of a realistic node, every delta applied to the report held gives the full report, as decoded", () => {
  let held = wireReport(realisticReport(0));
  for (let tick = 1; tick <= 240; tick++) {
    const next = realisticReport(tick);
    const delta = overTheWire({ delta: { baseSeq: 8, ...diffReport(realisticReport(tick - 1), next) } }).decoded["delta"] as ReportDelta;
    const made = applyDelta(held, delta);
    assert.ok("report" in made, `tick ${tick}`);
    assert.deepEqual(made.report, wireReport(next), `tick ${tick}`);
    held = made.report;
  }
});

test("a section that became empty or unset is sent as changed, and applying it empties it", () => {
  const before = realisticReport(0);
  const after: NodeReport = { ...before, observedAtMs: before.observedAtMs + 30_000, failures: [], images: null, checkErrors: {} };
  const diff = diffReport(before, after);
  assert.deepEqual(diff.changed.sort(), [REPORT_SECTIONS.images, REPORT_SECTIONS.failures].sort());
  const delta = overTheWire({ delta: { baseSeq: 1, ...diff } }).decoded["delta"] as ReportDelta;
  const made = applyDelta(wireReport(before), delta);
  assert.ok("report" in made);
  assert.deepEqual(made.report, wireReport(after));
  assert.equal(made.report.images, null);
  assert.deepEqual(made.report.failures, []);
});

test("nothing changed: a heartbeat of a few bytes, and the report held only gets its new time", () => {
  const before = realisticReport(0);
  const same = { ...structuredClone(before), observedAtMs: before.observedAtMs + 30_000 };
  const diff = diffReport(before, same);
  assert.deepEqual(diff.changed, []);
  const { decoded, bytes } = overTheWire({ delta: { baseSeq: 1, ...diff } });
  assert.ok(bytes < 24, `a heartbeat is ${bytes} bytes`);
  const made = applyDelta(wireReport(before), decoded["delta"] as ReportDelta);
  assert.ok("report" in made);
  assert.deepEqual(made.report, wireReport(same));
});

test("a section number this build does not know (a newer agent's) is passed over; the sections it knows apply", () => {
  const next = realisticReport(1);
  const made = applyDelta(realisticReport(0), { baseSeq: 1, changed: [REPORT_SECTIONS.disks, 40], report: next });
  assert.ok("report" in made);
  assert.deepEqual(made.report, { ...realisticReport(0), observedAtMs: next.observedAtMs, disks: next.disks });
});

test("a delta listing more sections than any release has is refused, however many a peer sends", () => {
  const made = applyDelta(realisticReport(0), { baseSeq: 1, changed: Array.from({ length: 100_000 }, () => 4), report: realisticReport(1) });
  assert.deepEqual(made, { problem: "delta.changed: 100,000 entries, at most 64" });
});
