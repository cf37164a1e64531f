// Bytes per node per hour, agent → aggregator and back, with full reports every 30 s (before delta
// reports) and with one full report after connect then deltas (after): a realistic node
// (test/report/realistic-node.ts says what it holds and how often each section changes). The
// messages are encoded with the contract's own serializers, as grpc-js sends them; each also
// costs a 5-byte gRPC length prefix and a 9-byte HTTP/2 DATA frame header (before TLS, which
// adds about 22 bytes per record with AES-GCM). Acks are counted on the way back. Figures only.
import {
  type AgentMessage,
  type AggregatorMessage,
  diffReport,
  emptyNodeReport,
  loadAggregatorProtocol,
  type NodeReport,
  REPORT_SECTIONS,
} from "../../core/protocol/index.js";
import { REPORT_INTERVAL_MS, realisticReport } from "../report/realistic-node.js";

const FRAMING = 5 + 9;
const REPORTS_PER_HOUR = 3_600_000 / REPORT_INTERVAL_MS;

interface Tally {
  up: number;
  down: number;
  sizes: number[];
}

export async function benchReportDelta(): Promise<void> {
  const { service } = await loadAggregatorProtocol();
  const connect = service["Connect"]!;
  const up = (m: AgentMessage) => connect.requestSerialize(m).length + FRAMING;
  const down = (m: AggregatorMessage) => connect.responseSerialize(m).length + FRAMING;
  const reports = Array.from({ length: REPORTS_PER_HOUR }, (_, tick) => realisticReport(tick));

  const full: Tally = { up: 0, down: 0, sizes: [] };
  const delta: Tally = { up: 0, down: 0, sizes: [] };
  const changes = new Map<number, number>();
  reports.forEach((r, i) => {
    const seq = i + 2;
    const whole = up({ seq, report: r });
    full.up += whole;
    full.sizes.push(whole);
    full.down += down({ ack: { seq, features: [] } });
    const body = i === 0 ? { report: r } : { delta: { baseSeq: seq - 1, ...diffReport(reports[i - 1] as NodeReport, r) } };
    for (const n of body.delta?.changed ?? []) changes.set(n, (changes.get(n) ?? 0) + 1);
    const sent = up({ seq, ...body });
    delta.up += sent;
    delta.sizes.push(sent);
    delta.down += down({ ack: { seq, features: [] } });
  });
  // The Ack of the Hello lists the feature once per stream.
  delta.down += down({ ack: { seq: 1, features: ["report-delta"] } }) - down({ ack: { seq: 1, features: [] } });

  const deltas = delta.sizes.slice(1).sort((a, b) => a - b);
  const heartbeat = up({ seq: 200, delta: { baseSeq: 199, changed: [], report: emptyNodeReport(Date.now()) } });
  const heartbeats = reports.slice(1).filter((r, i) => diffReport(reports[i] as NodeReport, r).changed.length === 0).length;
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const total = (t: Tally) => t.up + t.down;
  console.log(`report deltas: one realistic node, a report every ${REPORT_INTERVAL_MS / 1000} s (${REPORTS_PER_HOUR} per hour), gRPC + HTTP/2 framing, no TLS`);
  console.log(
    `  full report: ${full.sizes[0]} B; delta: median ${deltas[Math.floor(deltas.length / 2)]} B, smallest ${deltas[0]} B, largest ${deltas.at(-1)} B; a heartbeat (nothing changed) ${heartbeat} B`,
  );
  console.log(`  reports with nothing changed: ${heartbeats} of ${REPORTS_PER_HOUR - 1}`);
  const named = Object.entries(REPORT_SECTIONS).map(([name, n]) => `${name} ${changes.get(n) ?? 0}`);
  console.log(`  sections changed per hour: ${named.join(", ")}`);
  console.log(`  before (full reports): ${kib(full.up)} up + ${kib(full.down)} acks = ${kib(total(full))} per node per hour`);
  console.log(`  after (deltas):        ${kib(delta.up)} up + ${kib(delta.down)} acks = ${kib(total(delta))} per node per hour`);
  console.log(`  reports ${(full.up / delta.up).toFixed(1)}× fewer bytes up, ${(total(full) / total(delta)).toFixed(1)}× fewer both ways`);
  for (const nodes of [1_000, 65_000]) {
    const rate = (t: Tally) => ((total(t) * nodes) / 3600 / 1024).toFixed(1);
    console.log(`  ${nodes.toLocaleString("en-US")} nodes at the aggregator: ${rate(full)} KiB/s before, ${rate(delta)} KiB/s after`);
  }
}
