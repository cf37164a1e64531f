// The aggregator's Prometheus metrics, in a registry of its own (an embedded aggregator shares the
// process with an agent, whose registry must not collide). Gauges about nodes are computed from
// ClusterState when scraped, counters are counted as messages arrive.

import type { Counter, Gauge, Histogram, Registry } from "prom-client";
import { causeLabel } from "./causes.js";
import type { NodeRecord } from "./cluster-state.js";
import { HOUSEKEEPING_RESULTS, type HousekeepingResult } from "./housekeeping.js";
import { WRITE_FAILURE_REASONS, type WriteFailureReason } from "./store/index.js";

/** Why a message or stream was refused, as the rejected counter labels it. */
export type RejectReason = "unauthenticated" | "forbidden" | "invalid" | "oversized" | "malformed" | "overloaded" | "report-memory" | "finding-rate";
const REJECT_REASONS: readonly RejectReason[] = [
  "unauthenticated",
  "forbidden",
  "invalid",
  "oversized",
  "malformed",
  "overloaded",
  "report-memory",
  "finding-rate",
];

export interface AggregatorMetrics {
  contentType: string;
  render(): Promise<string>;
  /** An agent message was persisted and acked, by type (hello, report, finding, commandUpdate). */
  messageAcked(type: string, latencySeconds: number): void;
  findingsStored(n: number): void;
  rejected(reason: RejectReason): void;
  streamOpened(): void;
  streamClosed(): void;
  commandSent(): void;
  /** A database write failed, by reason. */
  storeWriteFailed(reason: WriteFailureReason): void;
  /** p50/p99 of the ack latencies seen so far, in seconds (for logs and the benchmark). */
  ackLatencyQuantiles(): { count: number; p50: number; p99: number };
  /** A view's answer was served, from the view cache or computed (http/view-cache.ts). */
  viewAnswered(cached: boolean): void;
  /** An hourly housekeeping pass, by what became of it here (housekeeping.ts). */
  housekeepingPass(result: HousekeepingResult): void;
}

export interface MetricsSource {
  nodes(): NodeRecord[];
  isStale(rec: NodeRecord, now: number): boolean;
  now(): number;
  /** The reports' memory and its budget. */
  reportMemory?(): { usedBytes: number; budgetBytes: number };
  /** The findings table against its budget, and what was dropped to keep it. */
  findings?(): { rows: number; bytes: number; dropped: number };
  /** Whether the latest database write (or readiness probe) failed. */
  storeFailing?(): boolean;
}

type PromClient = typeof import("prom-client");

export async function createAggregatorMetrics(source: MetricsSource): Promise<AggregatorMetrics> {
  const client = await import("prom-client");
  const registry: Registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "pullmedic_aggregator_" });
  // Gauges named *_total (a counter's suffix, which promtool flags); their per-type gauges stay.
  for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) {
    registry.removeSingleMetric(`pullmedic_aggregator_${name}`);
  }
  registerClusterGauges(client, registry, source);
  registerBudgetGauges(client, registry, source);
  const m = registerIngestMetrics(client, registry);
  const recent = new LatencyReservoir(4096);
  const viewAnswers = new client.Counter({
    name: "pullmedic_aggregator_view_answers_total",
    help: "API views answered, by source: cache (computed within viewCacheWindow before) or computed.",
    labelNames: ["source"],
    registers: [registry],
  });
  for (const source of ["cache", "computed"]) viewAnswers.inc({ source }, 0);
  const housekeeping = new client.Counter({
    name: "pullmedic_aggregator_housekeeping_passes_total",
    help: "Hourly housekeeping passes (retention, forgetting gone nodes), by result: ran here, skipped (another replica ran it), failed.",
    labelNames: ["result"],
    registers: [registry],
  });
  for (const result of HOUSEKEEPING_RESULTS) housekeeping.inc({ result }, 0);
  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    messageAcked(type, seconds) {
      m.messages.inc({ type });
      if (type === "report") m.reports.inc();
      m.latency.observe(seconds);
      recent.add(seconds);
    },
    findingsStored: (n) => {
      if (n > 0) m.findings.inc(n);
    },
    rejected: (reason) => m.rejected.inc({ reason }),
    streamOpened: () => m.streams.inc(),
    streamClosed: () => m.streams.dec(),
    commandSent: () => m.commands.inc(),
    storeWriteFailed: (reason) => m.storeFailures.inc({ reason }),
    ackLatencyQuantiles: () => recent.quantiles(),
    viewAnswered: (cached) => viewAnswers.inc({ source: cached ? "cache" : "computed" }),
    housekeepingPass: (result) => housekeeping.inc({ result }),
  };
}

/** Gauges about the nodes and their open failures, computed from the cluster state when scraped. */
function registerClusterGauges(client: PromClient, registry: Registry, source: MetricsSource): void {
  const nodeGauge = (name: string, help: string, count: (rec: NodeRecord, now: number) => boolean) =>
    new client.Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const now = source.now();
        this.set(source.nodes().filter((r) => count(r, now)).length);
      },
    });
  nodeGauge("pullmedic_aggregator_nodes", "Nodes the aggregator knows (connected or not).", () => true);
  nodeGauge("pullmedic_aggregator_nodes_connected", "Nodes whose agent has a stream open now.", (r) => r.connected);
  nodeGauge("pullmedic_aggregator_nodes_stale", `Nodes that missed their report intervals (stale), connected or not.`, (r, now) => source.isStale(r, now));

  new client.Gauge({
    name: "pullmedic_aggregator_open_failures",
    help: "Pull failures open now across the cluster, per the nodes' latest reports, by cause (pending: not diagnosed yet; other: a label this aggregator does not know).",
    labelNames: ["cause"],
    registers: [registry],
    collect() {
      this.reset();
      const by = new Map<string, number>();
      for (const rec of source.nodes()) {
        for (const f of rec.report?.failures ?? []) {
          const cause = causeLabel(f.cause || "pending");
          by.set(cause, (by.get(cause) ?? 0) + 1);
        }
      }
      for (const [cause, n] of by) this.set({ cause }, n);
    },
  });
}

/** What the budgets hold (reports' memory, the findings table) and the database's health, read when scraped. */
function registerBudgetGauges(client: PromClient, registry: Registry, source: MetricsSource): void {
  const registers = [registry];
  const gauge = (name: string, help: string, read: () => number | undefined) =>
    new client.Gauge({
      name,
      help,
      registers,
      collect() {
        const v = read();
        if (v !== undefined) this.set(v);
      },
    });
  gauge("pullmedic_aggregator_report_memory_bytes", "Estimated memory the nodes' latest reports hold.", () => source.reportMemory?.().usedBytes);
  gauge("pullmedic_aggregator_report_memory_budget_bytes", "The reports' memory budget (reportMemoryBytes).", () => source.reportMemory?.().budgetBytes);
  gauge("pullmedic_aggregator_findings_kept", "Findings in the database.", () => source.findings?.().rows);
  gauge("pullmedic_aggregator_findings_kept_bytes", "Estimated bytes of the findings in the database (rows and indexes).", () => source.findings?.().bytes);
  gauge("pullmedic_aggregator_store_write_failing", "1 while the database refuses writes (the latest write or readiness probe failed).", () =>
    source.storeFailing === undefined ? undefined : source.storeFailing() ? 1 : 0,
  );
  let dropped = 0;
  new client.Counter({
    name: "pullmedic_aggregator_findings_dropped_total",
    help: "Findings deleted before their retention to keep the table within maxFindings and maxFindingsBytes, oldest first.",
    labelNames: ["reason"],
    registers,
    collect() {
      const now = source.findings?.().dropped ?? 0;
      // The store's count is taken back with a rolled-back transaction: a counter only goes up.
      if (now > dropped) this.inc({ reason: "budget" }, now - dropped);
      dropped = Math.max(dropped, now);
    },
  }).inc({ reason: "budget" }, 0);
}

interface IngestMetrics {
  messages: Counter<"type">;
  reports: Counter;
  findings: Counter;
  rejected: Counter<"reason">;
  latency: Histogram;
  streams: Gauge;
  commands: Counter;
  storeFailures: Counter<"reason">;
}

/** What the ingest counts as messages arrive and streams open and close. */
function registerIngestMetrics(client: PromClient, registry: Registry): IngestMetrics {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new client.Counter<L>({ name, help, labelNames, registers });
  const m: IngestMetrics = {
    messages: counter("pullmedic_aggregator_messages_received_total", "Agent messages persisted and acknowledged, by type.", ["type"]),
    reports: counter("pullmedic_aggregator_reports_received_total", "Full node reports persisted and acknowledged."),
    findings: counter("pullmedic_aggregator_findings_stored_total", "Findings stored (a resent finding the database already has is not counted again)."),
    rejected: counter(
      "pullmedic_aggregator_messages_rejected_total",
      "Streams or messages refused, by reason: unauthenticated, forbidden, invalid, oversized, malformed, overloaded (maxNodes), report-memory (reportMemoryBytes), finding-rate (findingRate).",
      ["reason"],
    ),
    latency: new client.Histogram({
      name: "pullmedic_aggregator_ack_latency_seconds",
      help: "From a message's arrival to its ack being written, persistence included.",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    streams: new client.Gauge({ name: "pullmedic_aggregator_streams_open", help: "Agent streams open now.", registers }),
    commands: counter("pullmedic_aggregator_commands_sent_total", "Commands written to agent streams."),
    storeFailures: counter(
      "pullmedic_aggregator_store_write_failures_total",
      "Database writes that failed, by reason: readonly, full, corrupt, io, busy, other.",
      ["reason"],
    ),
  };
  for (const reason of WRITE_FAILURE_REASONS) m.storeFailures.inc({ reason }, 0);
  // Every reason is shown from the start, at 0, so a rate over it exists before the first refusal.
  for (const reason of REJECT_REASONS) m.rejected.inc({ reason }, 0);
  return m;
}

/** A fixed-size reservoir of recent ack latencies, for quantiles in logs (the histogram is for Prometheus). */
class LatencyReservoir {
  private readonly recent: Float64Array;
  private seen = 0;

  constructor(size: number) {
    this.recent = new Float64Array(size);
  }

  add(seconds: number): void {
    this.recent[this.seen % this.recent.length] = seconds;
    this.seen++;
  }

  quantiles(): { count: number; p50: number; p99: number } {
    const n = Math.min(this.seen, this.recent.length);
    if (n === 0) return { count: 0, p50: 0, p99: 0 };
    const sorted = Array.from(this.recent.subarray(0, n)).sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))] ?? 0;
    return { count: this.seen, p50: at(0.5), p99: at(0.99) };
  }
}
