import type { Gauge, Registry } from "prom-client";
import type { ImageFilesystem } from "../probe/index.js";
import type { NodeState } from "./node-state.js";

/** What the images check stores in NodeState. */
export interface ImagesFinding {
  count: number;
  bytes: number;
  inUse: number;
  pinned: number;
  sandboxImage: string | null;
}

/** What the prune check stores: the latest run, and totals since the agent started. */
export interface PruneFinding {
  lastRunAt: string;
  trigger: string;
  dryRun: boolean;
  planned: number;
  removed: number;
  freedBytes: number;
  failed: number;
  totals: { removed: number; freedBytes: number };
}

export interface ProbeStepFinding {
  step: string;
  ok: boolean;
  ms: number;
}
export interface ProbeFinding {
  registry: string;
  ok: boolean;
  hosts: { url: string; steps: ProbeStepFinding[]; certificate?: { validTo: string } }[];
}

export interface QuotaFinding {
  source: string | undefined;
  limit: number | undefined;
  remaining: number | undefined;
  windowSeconds: number | undefined;
}

/** The pre-puller's per-image status, as far as metrics read it. */
export interface PrepullFinding {
  image: string;
  state: string;
  bytes: number | undefined;
  durationMs: number | undefined;
  lastPull: string | undefined;
  lastCheck: string | undefined;
}

export interface Metrics {
  contentType: string;
  render(): Promise<string>;
}

/**
 * Prometheus metrics, read from NodeState when scraped: a gauge is always the latest finding,
 * and nothing is kept twice. prom-client is loaded only by the daemon.
 */
/** What the pod watch shows the metrics; structurally the pod watch's snapshot. */
export interface PodWatchMetricsView {
  watch: { state: string; relists: number; reconnects: number; skipped: number };
  pods: number;
  failures: { cause?: string; detectionMs?: number }[];
  hygiene: { kind: string }[];
  secrets?: { secret: string; registry: string; state: string }[];
  totals: { failuresByCause: Record<string, number>; recovered: number; recoveredSeconds: number; diagnoses: number; eventsCreated: number; eventsPatched: number; eventErrors: number };
}

/** What the reporter shows the metrics; structurally its status. */
export interface ReporterMetricsView {
  connected: boolean;
  buffered: number;
  dropped: number;
  acked: number;
  reconnects: number;
}

export async function createMetrics(state: NodeState, extra: { quotaReadings: () => QuotaFinding[]; podWatch?: () => PodWatchMetricsView | undefined; reporter?: () => ReporterMetricsView | undefined }): Promise<Metrics> {
  const client = await import("prom-client");
  const registry: Registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "pullmedic_process_" });

  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
    new client.Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        collect(this);
      },
    });

  const disks = () => state.result<ImageFilesystem[]>("disk") ?? [];
  gauge("pullmedic_image_fs_capacity_bytes", "Capacity of the image filesystem.", ["mountpoint"], (g) => {
    for (const fs of disks()) if (fs.host) g.set({ mountpoint: fs.mountpoint }, fs.host.capacityBytes);
  });
  gauge("pullmedic_image_fs_available_bytes", "Bytes available to the runtime on the image filesystem.", ["mountpoint"], (g) => {
    for (const fs of disks()) if (fs.host) g.set({ mountpoint: fs.mountpoint }, fs.host.availableBytes);
  });
  gauge("pullmedic_image_fs_used_ratio", "Share of the image filesystem not available, as kubelet's image GC measures it (0..1).", ["mountpoint"], (g) => {
    for (const fs of disks()) if (fs.host) g.set({ mountpoint: fs.mountpoint }, fs.host.usedPercent / 100);
  });
  gauge("pullmedic_image_fs_inodes_free", "Free inodes on the image filesystem.", ["mountpoint"], (g) => {
    for (const fs of disks()) if (fs.host) g.set({ mountpoint: fs.mountpoint }, fs.host.inodesFree);
  });

  gauge("pullmedic_images", "Images on the node.", [], (g) => {
    const f = state.result<ImagesFinding>("images");
    if (f) g.set(f.count);
  });
  gauge("pullmedic_images_bytes", "Size of the node's images as the runtime counts it (compressed).", [], (g) => {
    const f = state.result<ImagesFinding>("images");
    if (f) g.set(f.bytes);
  });

  // Totals since the agent started only ever grow: counters (a _total name says so to Prometheus,
  // and rate() and increase() need the counter type to handle the reset at a restart).
  const labelledCounter = (name: string, help: string, labelNames: string[], read: (c: { inc(labels: Record<string, string>, v: number): void }) => void) =>
    new client.Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        read({ inc: (labels, v) => this.inc(labels, v) });
      },
    });
  const counter = (name: string, help: string, read: () => number) => labelledCounter(name, help, [], (c) => c.inc({}, read()));
  counter("pullmedic_prune_removed_images_total", "Images removed by pullmedic's prune since the agent started.", () => state.result<PruneFinding>("prune")?.totals.removed ?? 0);
  counter("pullmedic_prune_freed_bytes_total", "Bytes freed by pullmedic's prune since the agent started (runtime sizes).", () => state.result<PruneFinding>("prune")?.totals.freedBytes ?? 0);
  gauge("pullmedic_prune_last_run_timestamp_seconds", "When prune last ran.", [], (g) => {
    const f = state.result<PruneFinding>("prune");
    if (f) g.set(Date.parse(f.lastRunAt) / 1000);
  });

  const probes = () => state.result<ProbeFinding[]>("probes") ?? [];
  gauge("pullmedic_registry_probe_success", "1 when the step succeeded on the registry host in the latest probe.", ["registry", "host", "step"], (g) => {
    for (const p of probes()) for (const h of p.hosts) for (const s of h.steps) g.set({ registry: p.registry, host: h.url, step: s.step }, s.ok ? 1 : 0);
  });
  gauge("pullmedic_registry_probe_duration_seconds", "Time each probe step took.", ["registry", "host", "step"], (g) => {
    for (const p of probes()) for (const h of p.hosts) for (const s of h.steps) g.set({ registry: p.registry, host: h.url, step: s.step }, s.ms / 1000);
  });
  gauge("pullmedic_registry_up", "1 when at least one host the runtime would use answers the registry API.", ["registry"], (g) => {
    for (const p of probes()) g.set({ registry: p.registry }, p.ok ? 1 : 0);
  });
  gauge("pullmedic_registry_certificate_expiry_seconds", "Seconds until the registry host's TLS certificate expires (negative: expired).", ["registry", "host"], (g) => {
    for (const p of probes()) for (const h of p.hosts) if (h.certificate) g.set({ registry: p.registry, host: h.url }, (Date.parse(h.certificate.validTo) - Date.now()) / 1000);
  });

  gauge("pullmedic_dockerhub_quota_limit", "Docker Hub pull limit for the source, as ratelimit-limit says.", ["source"], (g) => {
    for (const q of extra.quotaReadings()) if (q.limit !== undefined) g.set({ source: q.source ?? "unknown" }, q.limit);
  });
  gauge("pullmedic_dockerhub_quota_remaining", "Docker Hub pulls left for the source, as ratelimit-remaining says.", ["source"], (g) => {
    for (const q of extra.quotaReadings()) if (q.remaining !== undefined) g.set({ source: q.source ?? "unknown" }, q.remaining);
  });
  gauge("pullmedic_dockerhub_quota_window_seconds", "Length of Docker Hub's quota window for the source.", ["source"], (g) => {
    for (const q of extra.quotaReadings()) if (q.windowSeconds !== undefined) g.set({ source: q.source ?? "unknown" }, q.windowSeconds);
  });

  const prepull = () => state.result<PrepullFinding[]>("prepull") ?? [];
  gauge("pullmedic_prepull_image_state", "1 for the pre-pull state each critical image is in (present, pulling, failed, deferred).", ["image", "state"], (g) => {
    for (const p of prepull()) for (const st of ["present", "pulling", "failed", "deferred"]) g.set({ image: p.image, state: st }, p.state === st ? 1 : 0);
  });
  gauge("pullmedic_prepull_image_bytes", "Size of the pre-pulled image as the runtime counts it.", ["image"], (g) => {
    for (const p of prepull()) if (p.bytes !== undefined) g.set({ image: p.image }, p.bytes);
  });
  gauge("pullmedic_prepull_last_pull_duration_seconds", "How long the last pull of the image took.", ["image"], (g) => {
    for (const p of prepull()) if (p.durationMs !== undefined) g.set({ image: p.image }, p.durationMs / 1000);
  });
  gauge("pullmedic_prepull_last_pull_timestamp_seconds", "When the image was last pulled by the pre-puller.", ["image"], (g) => {
    for (const p of prepull()) if (p.lastPull) g.set({ image: p.image }, Date.parse(p.lastPull) / 1000);
  });
  gauge("pullmedic_prepull_last_check_timestamp_seconds", "When the image's tag was last checked against the registry.", ["image"], (g) => {
    for (const p of prepull()) if (p.lastCheck) g.set({ image: p.image }, Date.parse(p.lastCheck) / 1000);
  });

  // Many gauges read the pod watch; its snapshot is taken once per scrape, not once per gauge.
  let podsThisScrape: { view: PodWatchMetricsView | undefined } | undefined;
  const pods = () => (podsThisScrape ??= { view: extra.podWatch?.() }).view;
  gauge("pullmedic_pods", "Pods bound to this node, as the pod watch sees them.", [], (g) => {
    const p = pods();
    if (p) g.set(p.pods);
  });
  gauge("pullmedic_pull_failures", "Containers on this node failing to pull now, by diagnosed cause (pending: not diagnosed yet).", ["cause"], (g) => {
    const p = pods();
    if (!p) return;
    const by = new Map<string, number>();
    for (const f of p.failures) by.set(f.cause ?? "pending", (by.get(f.cause ?? "pending") ?? 0) + 1);
    for (const [cause, n] of by) g.set({ cause }, n);
  });
  labelledCounter("pullmedic_pull_failures_total", "Pull failures diagnosed since the agent started, by cause.", ["cause"], (c) => {
    for (const [cause, n] of Object.entries(pods()?.totals.failuresByCause ?? {})) c.inc({ cause }, n);
  });
  counter("pullmedic_pull_recoveries_total", "Pull failures that ended with the container's image pulled.", () => pods()?.totals.recovered ?? 0);
  counter("pullmedic_pull_failure_seconds_total", "Summed duration of recovered pull failures (divide by pullmedic_pull_recoveries_total for the mean).", () => pods()?.totals.recoveredSeconds ?? 0);
  counter("pullmedic_pull_diagnoses_total", "Node-local diagnoses run for failing pods (shared by pods with the same image and secrets).", () => pods()?.totals.diagnoses ?? 0);
  labelledCounter("pullmedic_kube_events_total", "Events pullmedic wrote on pods, by what happened (created, patched, failed).", ["action"], (c) => {
    const t = pods()?.totals;
    if (!t) return;
    c.inc({ action: "created" }, t.eventsCreated);
    c.inc({ action: "patched" }, t.eventsPatched);
    c.inc({ action: "failed" }, t.eventErrors);
  });
  labelledCounter("pullmedic_kube_watch_restarts_total", "Pod watch restarts: relist after 410 Gone, reconnect after an error.", ["reason"], (c) => {
    const w = pods()?.watch;
    if (!w) return;
    c.inc({ reason: "relist" }, w.relists);
    c.inc({ reason: "reconnect" }, w.reconnects);
  });
  gauge("pullmedic_kube_watch_up", "1 while the pod watch is connected and watching.", [], (g) => {
    const w = pods()?.watch;
    if (w) g.set(w.state === "watching" ? 1 : 0);
  });
  gauge("pullmedic_pull_detection_seconds", "From the watch event showing a pull failure to the posted diagnosis, per open failure (latest).", [], (g) => {
    const ms = (pods()?.failures ?? []).flatMap((f) => (f.detectionMs === undefined ? [] : [f.detectionMs]));
    if (ms.length) g.set(Math.max(...ms) / 1000);
  });
  gauge("pullmedic_pull_hygiene_risks", "Pull-hygiene risks of this node's pods, by kind.", ["kind"], (g) => {
    const by = new Map<string, number>();
    for (const r of pods()?.hygiene ?? []) by.set(r.kind, (by.get(r.kind) ?? 0) + 1);
    for (const [kind, n] of by) g.set({ kind }, n);
  });
  gauge("pullmedic_pull_secret_ok", "1 when the pull Secret's credentials were accepted by the registry at the latest check (HEAD, no pull).", ["secret", "registry", "state"], (g) => {
    for (const s of pods()?.secrets ?? []) g.set({ secret: s.secret, registry: s.registry, state: s.state }, s.state === "ok" ? 1 : 0);
  });

  const reporter = () => extra.reporter?.();
  gauge("pullmedic_report_connected", "1 while the stream to the aggregator is open.", [], (g) => {
    const r = reporter();
    if (r) g.set(r.connected ? 1 : 0);
  });
  gauge("pullmedic_report_buffered_findings", "Findings waiting for the aggregator's acknowledgement.", [], (g) => {
    const r = reporter();
    if (r) g.set(r.buffered);
  });
  counter("pullmedic_report_dropped_findings_total", "Findings dropped because the buffer was full while the aggregator was away.", () => reporter()?.dropped ?? 0);
  counter("pullmedic_report_acked_total", "Messages the aggregator acknowledged.", () => reporter()?.acked ?? 0);
  counter("pullmedic_report_reconnects_total", "Connections to the aggregator after the first.", () => reporter()?.reconnects ?? 0);

  gauge("pullmedic_check_success", "1 when the latest run of the check succeeded.", ["check"], (g) => {
    for (const [name, record] of state.checkRecords()) g.set({ check: name }, record.ok ? 1 : 0);
  });

  return {
    contentType: registry.contentType,
    render: () => {
      podsThisScrape = undefined;
      return registry.metrics();
    },
  };
}
