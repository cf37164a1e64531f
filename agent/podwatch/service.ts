// The pod watch: follows this node's pods through the API, and when kubelet reports a pull
// failure, diagnoses it from the node and posts the answer on the pod. Decisions live in the pure
// modules next to this one; this file only moves data between the API, the diagnosis and the state.

import { performance } from "node:perf_hooks";
import { type Platform, registryOfImage, tryParseReference } from "../../core/image/index.js";
import type { Logger } from "../../core/log/index.js";
import type { PullFailure, Recovery, SecretCheckReport } from "../../core/protocol/index.js";
import { type DiagnoseOptions, type Diagnosis, explainMessage, type FailureCause, type NodeRuntime } from "../diagnose/index.js";
import { type KubeApi, KubeApiError, type KubeEvent, type Pod, type PodWatchEvent, type WatchStatus } from "../kube/index.js";
import { type RateLimit, redactUrls } from "../registry/index.js";
import type { RegistryVantage } from "../vantage/index.js";
import { countByKey, DiagnosisCache, diagnosisKey } from "./dedupe.js";
import { imageWaits } from "./detect.js";
import { buildEvent, diagnosisEventMessage, EventCorrelator, eventStreamKey, recoveryEventMessage } from "./event.js";
import { type ClosedFailure, FailureTracker, type OpenFailure } from "./failures.js";
import { type HygieneRisk, hygieneRisks } from "./hygiene.js";
import { bestPullMessage, isGenericBackoff } from "./message.js";
import { PullEventPublisher, type PullNotice, pullEventMessage } from "./pull-events.js";
import { checkPullSecrets, type SecretCheck } from "./revalidate.js";
import { type PodCredentials, SecretReader } from "./secrets.js";
import { fillPlaceholders, needsNodeDiagnosis, type PodVerdict, podVerdict, workloadOf } from "./verdict.js";

export interface PodWatchOptions {
  api: KubeApi;
  nodeName: string;
  hostsDir: string;
  platform: Platform;
  log: Logger;
  readSecrets: boolean;
  postEvents: boolean;
  dedupeWindowMs: number;
  diagnoseTimeoutMs: number;
  /** The node-local diagnosis (diagnoseImage); a parameter so the bench can count calls. */
  diagnose: (opts: DiagnoseOptions) => Promise<Diagnosis>;
  /** The runtime for a diagnosis, or why there is none. */
  runtime: () => Promise<{ runtime?: NodeRuntime; why?: string }>;
  containerdVersion: () => Promise<string | undefined>;
  onRateLimit: (r: RateLimit) => void;
  /** The runtime's view for the Secret checks' HEADs (agent/vantage). */
  vantage?: () => Promise<RegistryVantage | undefined>;
  now?: () => number;
}

/** A failing container as /v1/state, the report and the metrics show it. */
export interface PullFailureFinding {
  pod: string;
  container: string;
  image: string;
  reason: string;
  /** Absent until the diagnosis is done. */
  cause?: FailureCause;
  summary?: string;
  fix?: string[];
  note?: string;
  decidedBy?: PodVerdict["source"];
  /** Pods on this node failing with the same image and secrets. */
  impact: number;
  since: string;
  /** From the watch event that showed the failure to the posted Event. */
  detectionMs?: number;
  event?: { name: string; count: number };
  /** The message the diagnosis started from (kubelet's, credentials never included). */
  message?: string;
}

export interface ClosedFailureFinding {
  pod: string;
  container: string;
  image: string;
  cause?: FailureCause;
  outcome: ClosedFailure["outcome"];
  since: string;
  closedAt: string;
  durationMs: number;
}

export interface PodWatchSnapshot {
  node: string;
  server: string;
  watch: { state: string; resourceVersion?: string; error?: string; relists: number; reconnects: number; skipped: number };
  pods: number;
  failures: PullFailureFinding[];
  recovered: ClosedFailureFinding[];
  hygiene: HygieneRisk[];
  /** The latest re-validation of the pods' pull Secrets (absent until one ran). */
  secrets?: SecretCheck[];
  totals: PodWatchTotals;
}

/** What the pod watch reports as it happens; the shapes of the aggregator contract's findings. */
export type PodWatchFinding =
  | { kind: "diagnosis"; diagnosis: PullFailure }
  | { kind: "recovery"; recovery: Recovery }
  | { kind: "secretBroken"; secretBroken: SecretCheckReport };

export interface PodWatchTotals {
  failuresByCause: Record<string, number>;
  recovered: number;
  recoveredSeconds: number;
  diagnoses: number;
  eventsCreated: number;
  eventsPatched: number;
  eventErrors: number;
}

/** Kubelet's node allows 110 pods by default and rarely more than a few hundred; this bounds a bug. */
const MAX_PODS = 5000;
/** Handlings at once: diagnoses are shared per image, so this bounds API calls more than diagnoses. */
const CONCURRENCY = 64;
const MAX_HYGIENE = 500;
const MAX_MESSAGE_KEPT = 2048;

export class PodWatch {
  private readonly pods = new Map<string, Pod>();
  private readonly tracker = new FailureTracker({ maxClosed: 100 });
  private readonly diagnoses: DiagnosisCache<{ diagnosis?: Diagnosis; error?: string }>;
  private readonly correlator = new EventCorrelator();
  private readonly secrets: SecretReader;
  private readonly findings = new Map<string, PullFailureFinding>();
  /** Failure → its diagnosis key, for the impact count. */
  private readonly findingKeys = new Map<string, string>();
  private readonly closed: ClosedFailureFinding[] = [];
  private readonly hygiene = new Map<string, HygieneRisk[]>();
  private readonly queue: (() => Promise<void>)[] = [];
  private running = 0;
  private idle: (() => void)[] = [];
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly now: () => number;
  private watchState: PodWatchSnapshot["watch"] = { state: "starting", relists: 0, reconnects: 0, skipped: 0 };
  private seq = 0;
  private secretChecks: SecretCheck[] | undefined;
  private readonly findingListeners: ((f: PodWatchFinding) => void)[] = [];
  private readonly changeListeners: (() => void)[] = [];
  private readonly pullEvents: PullEventPublisher;
  readonly totals: PodWatchTotals = {
    failuresByCause: {},
    recovered: 0,
    recoveredSeconds: 0,
    diagnoses: 0,
    eventsCreated: 0,
    eventsPatched: 0,
    eventErrors: 0,
  };

  constructor(private readonly opts: PodWatchOptions) {
    this.now = opts.now ?? Date.now;
    this.diagnoses = new DiagnosisCache({ ttlMs: opts.dedupeWindowMs, maxEntries: 256 });
    this.pullEvents = new PullEventPublisher((n, type, reason) => this.postPull(n, type, reason), this.now);
    this.secrets = new SecretReader({
      api: opts.api,
      readSecrets: opts.readSecrets,
      otherNamespaces: () => [...new Set([...this.pods.values()].map((p) => p.metadata.namespace ?? "default"))],
      ttlMs: 60_000,
      maxEntries: 512,
      now: this.now,
    });
  }

  /** Called when the set of failing containers changed (opened, closed), diagnosed or not. */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.changeListeners) {
      try {
        listener();
      } catch (err) {
        this.opts.log.warn(`pod watch: a change listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** Called with what happened (a diagnosis, a recovery, a Secret that broke), for the aggregator. */
  onFinding(listener: (f: PodWatchFinding) => void): void {
    this.findingListeners.push(listener);
  }

  private emit(f: PodWatchFinding): void {
    for (const listener of this.findingListeners) {
      try {
        listener(f);
      } catch (err) {
        this.opts.log.warn(`pod watch: a finding listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  start(): void {
    this.loop ??= this.opts.api.watchPods({
      nodeName: this.opts.nodeName,
      signal: this.abort.signal,
      onEvent: (e) => this.onWatchEvent(e),
      onStatus: (s) => this.onWatchStatus(s),
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.queue.length = 0;
    await this.settled();
  }

  /** Resolves when no handling is queued or running (tests and the bench wait on it). */
  settled(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** The pods currently bound to this node. */
  podList(): Pod[] {
    return [...this.pods.values()];
  }

  /** Registries the node's pods pull from, for the registry probes. */
  registries(): string[] {
    const domains = new Set<string>();
    for (const pod of this.pods.values()) {
      for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
        const ref = c.image === undefined ? undefined : tryParseReference(c.image);
        if (ref !== undefined && !(ref instanceof Error)) domains.add(ref.domain);
      }
    }
    return [...domains].sort();
  }

  snapshot(): PodWatchSnapshot {
    return {
      node: this.opts.nodeName,
      server: this.opts.api.server,
      watch: { ...this.watchState },
      pods: this.pods.size,
      failures: this.currentFindings(),
      recovered: [...this.closed],
      hygiene: [...this.hygiene.values()].flat().slice(0, MAX_HYGIENE),
      ...(this.secretChecks ? { secrets: this.secretChecks } : {}),
      totals: { ...this.totals, failuresByCause: { ...this.totals.failuresByCause } },
    };
  }

  /**
   * Tries every pull Secret the node's pods use against their registry (HEAD only) and warns on
   * the pods when one stops working. Returns the checks; nothing is done without the opt-in.
   */
  async checkSecrets(): Promise<SecretCheck[]> {
    if (!this.opts.readSecrets) return [];
    const checks = await checkPullSecrets(this.podList(), {
      secrets: this.secrets,
      hostsDir: this.opts.hostsDir,
      timeoutMs: this.opts.diagnoseTimeoutMs,
      containerdVersion: this.opts.containerdVersion,
      onRateLimit: this.opts.onRateLimit,
      vantage: this.opts.vantage,
      now: this.now,
    });
    const before = new Map((this.secretChecks ?? []).map((c) => [`${c.secret}\0${c.registry}`, c]));
    this.secretChecks = checks;
    for (const check of checks) {
      const broken = check.state === "rejected" || check.state === "missing" || check.state === "invalid";
      const was = before.get(`${check.secret}\0${check.registry}`);
      if (!broken || was?.state === check.state) continue;
      this.opts.log.warn(`pull Secret ${check.secret} for ${check.registry}: ${check.state}: ${check.message}`);
      this.emit({ kind: "secretBroken", secretBroken: { secret: check.secret, registry: check.registry, state: check.state, message: check.message } });
      if (!this.opts.postEvents) continue;
      const text = diagnosisEventMessage({
        cause: check.cause ?? "secret-invalid",
        image: check.image,
        summary: `pull Secret ${check.secret} no longer works for ${check.registry}; the next pull of a pod using it will fail. ${check.message}`,
        ...(check.fix !== undefined ? { fix: check.fix } : {}),
      });
      // A few pods carry the warning; every pod of a 50-replica Deployment would be noise.
      for (const name of check.pods.slice(0, 3)) {
        const pod = [...this.pods.values()].find((p) => `${p.metadata.namespace ?? "default"}/${p.metadata.name}` === name);
        const container = pod?.spec.containers[0]?.name;
        if (pod === undefined || container === undefined) continue;
        await this.post(
          pod,
          { podKey: keyOf(pod), namespace: pod.metadata.namespace ?? "default", pod: pod.metadata.name, container, kind: "container" },
          "Warning",
          "PullSecretRejected",
          text,
        );
      }
    }
    await this.refreshHygiene();
    return checks;
  }

  /** Containers of this node's pods waiting for their image, for the pulls in flight. */
  imageWaits(): { pod: string; podKey: string; namespace: string; container: string; kind: OpenFailure["kind"]; image: string }[] {
    return [...this.pods.entries()].flatMap(([podKey, pod]) =>
      imageWaits(pod).map((w) => ({
        ...w,
        podKey,
        namespace: pod.metadata.namespace ?? "default",
        pod: `${pod.metadata.namespace ?? "default"}/${pod.metadata.name}`,
      })),
    );
  }

  /** Shows pulls in flight on the pods waiting for them (pull-events.ts: one write per pod per 30 s). */
  async publishPulls(notices: readonly PullNotice[]): Promise<void> {
    if (this.opts.postEvents) await this.pullEvents.publish(notices);
  }

  private async postPull(n: PullNotice, type: "Normal" | "Warning", reason: string): Promise<boolean> {
    const pod = this.pods.get(n.podKey);
    if (pod === undefined) return false;
    const target = { podKey: n.podKey, namespace: n.namespace, pod: n.pod, container: n.container, kind: n.kind };
    return (await this.post(pod, target, type, reason, pullEventMessage(n))) !== undefined;
  }

  /** Findings with the impact as it is now (more replicas may have failed since one was posted). */
  private currentFindings(): PullFailureFinding[] {
    const counts = countByKey(this.tracker.open(), openFailureKey);
    return [...this.findings.entries()].map(([fkey, f]) => {
      const dkey = this.findingKeys.get(fkey);
      const pods = dkey === undefined ? undefined : counts.get(dkey)?.pods;
      return pods === undefined ? { ...f } : { ...f, impact: pods };
    });
  }

  /** Re-reads hygiene for every pod (its Secret lookups may have changed). */
  async refreshHygiene(): Promise<void> {
    for (const pod of [...this.pods.values()]) await this.checkHygiene(pod);
  }

  private onWatchStatus(s: WatchStatus): void {
    const log = this.opts.log;
    switch (s.state) {
      case "listing":
        this.watchState = { ...this.watchState, state: "listing" };
        break;
      case "watching":
      case "bookmark": {
        const first = this.watchState.state !== "watching";
        this.watchState = {
          state: "watching",
          resourceVersion: s.resourceVersion,
          relists: this.watchState.relists,
          reconnects: this.watchState.reconnects,
          skipped: this.watchState.skipped,
        };
        if (first && s.state === "watching")
          log.info(`pod watch: watching pods on ${this.opts.nodeName} from resourceVersion ${s.resourceVersion} (${this.pods.size} pods)`);
        break;
      }
      case "expired":
        this.watchState = { ...this.watchState, state: "relisting", relists: this.watchState.relists + 1 };
        log.info(`pod watch: resourceVersion ${s.resourceVersion} expired (410 Gone); listing again`);
        break;
      case "retrying":
        if (this.watchState.error !== s.error) log.warn(`pod watch: ${s.error}; retrying in ${Math.round(s.delayMs)} ms (attempt ${s.attempt})`);
        this.watchState = { ...this.watchState, state: "retrying", error: s.error, reconnects: this.watchState.reconnects + 1 };
        break;
      case "skipped":
        this.watchState = { ...this.watchState, skipped: this.watchState.skipped + 1 };
        log.warn(`pod watch: skipped an object the agent cannot read: ${s.error}`);
        break;
    }
  }

  private onWatchEvent(e: PodWatchEvent): void {
    const seenAt = performance.now();
    const now = this.now();
    if (e.type === "sync") {
      const present = new Set<string>();
      for (const pod of e.pods) {
        const key = keyOf(pod);
        present.add(key);
        this.observe(pod, now, seenAt);
      }
      for (const key of [...this.pods.keys()]) if (!present.has(key)) this.forget(key, now);
      return;
    }
    if (e.type === "deleted") this.forget(keyOf(e.pod), now);
    else this.observe(e.pod, now, seenAt);
  }

  private observe(pod: Pod, now: number, seenAt: number): void {
    const key = keyOf(pod);
    const before = this.pods.get(key);
    if (before === undefined && this.pods.size >= MAX_PODS) {
      this.opts.log.warn(`pod watch: more than ${MAX_PODS} pods on ${this.opts.nodeName}; ${pod.metadata.namespace}/${pod.metadata.name} is not followed`);
      return;
    }
    this.pods.set(key, pod);
    const { opened, continuing, recovered, superseded } = this.tracker.observe(pod, now);
    for (const f of [...recovered, ...superseded]) this.closeFailure(f, pod);
    if (opened.length + recovered.length + superseded.length > 0) this.changed();
    for (const f of opened) this.enqueue(() => this.handle(f, seenAt));
    for (const f of continuing) {
      const finding = this.findings.get(failureKey(f));
      if (finding === undefined) continue;
      const previous = finding.reason;
      finding.reason = f.reason;
      // Each new failed attempt (back to ErrImagePull) is looked at again: the cause may have changed,
      // and the Event's count should say the pull keeps failing. The shared diagnosis keeps this cheap.
      if (f.reason === "ErrImagePull" && previous !== "ErrImagePull" && finding.cause !== undefined) this.enqueue(() => this.handle(f, seenAt));
    }
    if (before === undefined || specChanged(before, pod)) this.enqueue(() => this.checkHygiene(pod));
  }

  private forget(key: string, now: number): void {
    const pod = this.pods.get(key);
    this.pods.delete(key);
    this.hygiene.delete(key);
    const closed = this.tracker.forget(key, now);
    for (const f of closed) this.closeFailure(f, pod);
    if (closed.length > 0) this.changed();
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue.push(work);
    this.pump();
  }

  private pump(): void {
    while (this.running < CONCURRENCY && this.queue.length > 0) {
      const work = this.queue.shift();
      if (work === undefined) break;
      this.running++;
      void work()
        .catch((err: unknown) => this.opts.log.warn(`pod watch: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => {
          this.running--;
          this.pump();
          if (this.running === 0 && this.queue.length === 0) for (const resolve of this.idle.splice(0)) resolve();
        });
    }
  }

  /** Message → credentials → shared diagnosis → verdict → Event. */
  private async handle(failure: OpenFailure, seenAt: number): Promise<void> {
    const pod = this.pods.get(failure.podKey);
    // A handling that waited in the queue may find its failure over (recovered, pod deleted, image changed).
    if (pod === undefined || this.abort.signal.aborted || !this.stillOpen(failure)) return;
    const namespace = failure.namespace;
    const fkey = failureKey(failure);
    const finding: PullFailureFinding = this.findings.get(fkey) ?? {
      pod: `${namespace}/${failure.pod}`,
      container: failure.container,
      image: failure.image,
      reason: failure.reason,
      impact: 1,
      since: new Date(failure.openedAt).toISOString(),
    };
    this.findings.set(fkey, finding);

    const message = await this.pullMessage(failure, pod);
    // Runtime errors quote whole request URLs, signed queries (presigned blob URLs) included.
    finding.message = redactUrls(message).slice(0, MAX_MESSAGE_KEPT);
    const explanation = explainMessage(message);
    const credentials = await this.secrets.forPod(pod);
    if (!this.stillOpen(failure)) return;
    const dkey = openFailureKey(failure);
    this.findingKeys.set(fkey, dkey);
    let diagnosed: { diagnosis?: Diagnosis; error?: string } = {};
    if (needsNodeDiagnosis(explanation)) {
      const shared = await this.diagnoses.shared(dkey, this.now(), () => this.diagnose(failure.image, namespace, credentials));
      diagnosed = shared.value;
    }
    // Recovered, deleted or superseded by another image meanwhile: this diagnosis is no one's to post.
    if (!this.stillOpen(failure)) return;
    const verdict = podVerdict({
      explanation,
      diagnosis: diagnosed.diagnosis,
      diagnosisError: diagnosed.error,
      unreadableSecrets: credentials.unreadable,
      namespace,
    });
    const owner = pod.metadata.ownerReferences?.[0];
    const workload = workloadOf(owner, pod.metadata.labels?.["pod-template-hash"]);
    const fix = fillPlaceholders(verdict.fix, { namespace, pod: failure.pod, container: failure.container, ...(workload ? { workload } : {}) });
    const newCause = finding.cause !== verdict.cause;
    if (newCause) this.totals.failuresByCause[verdict.cause] = (this.totals.failuresByCause[verdict.cause] ?? 0) + 1;
    Object.assign(finding, { cause: verdict.cause, summary: verdict.summary, fix, decidedBy: verdict.source });
    if (verdict.note !== undefined) finding.note = verdict.note;
    else delete finding.note;
    finding.impact = this.impactOf(dkey);
    if (newCause) {
      this.emit({
        kind: "diagnosis",
        diagnosis: {
          pod: finding.pod,
          container: finding.container,
          image: finding.image,
          registry: registryOfImage(finding.image),
          reason: finding.reason,
          cause: verdict.cause,
          summary: verdict.summary,
          fix,
          sinceMs: failure.openedAt,
          impact: finding.impact,
          note: verdict.note ?? "",
        },
      });
    }

    if (this.opts.postEvents) {
      const text = diagnosisEventMessage({
        cause: verdict.cause,
        image: failure.image,
        summary: verdict.note ? `${verdict.summary} (${verdict.note})` : verdict.summary,
        ...(fix[0] !== undefined ? { fix: fix[0] } : {}),
        impact: { pods: finding.impact, node: this.opts.nodeName },
      });
      const posted = await this.post(pod, failure, "Warning", "PullDiagnosis", text);
      if (posted !== undefined) finding.event = posted;
    }
    finding.detectionMs ??= Math.round((performance.now() - seenAt) * 10) / 10;
    this.opts.log.info(`pull failure ${finding.pod} ${failure.container} ${failure.image}: ${verdict.cause}: ${verdict.summary}`);
  }

  /** kubelet's most precise word: after the first back-off the status only says "Back-off pulling image". */
  private async pullMessage(failure: OpenFailure, pod: Pod): Promise<string> {
    const detected = { container: failure.container, kind: failure.kind, image: failure.image, reason: failure.reason, message: failure.message };
    if (!isGenericBackoff(failure.message) && failure.message !== "") return failure.message;
    let events: KubeEvent[] = [];
    if (pod.metadata.uid !== undefined) {
      events = await this.opts.api.listPodEvents(failure.namespace, pod.metadata.uid).catch((err: unknown) => {
        this.opts.log.debug(`cannot read the Events of ${failure.namespace}/${failure.pod}: ${err instanceof Error ? err.message : String(err)}`);
        return [];
      });
    }
    return bestPullMessage(detected, events).message;
  }

  private async diagnose(image: string, namespace: string, credentials: PodCredentials): Promise<{ diagnosis?: Diagnosis; error?: string }> {
    this.totals.diagnoses++;
    const started = performance.now();
    try {
      const { runtime, why } = await this.opts.runtime();
      const secretName = credentials.names[0];
      const diagnosis = await this.opts.diagnose({
        image,
        platform: this.opts.platform,
        hostsDir: this.opts.hostsDir,
        timeoutMs: this.opts.diagnoseTimeoutMs,
        pullDeadlineMs: 10 * 60_000,
        pull: false,
        ...(credentials.configs.length > 0
          ? { credentials: { configs: credentials.configs, ...(secretName ? { secretName, secretNamespace: namespace } : {}) } }
          : {}),
        ...(credentials.problem !== undefined ? { credentialProblem: credentials.problem } : {}),
        ...(runtime ? { runtime } : {}),
        ...(why ? { runtimeUnavailable: why } : {}),
      });
      this.opts.log.debug(`diagnosed ${image} in ${(performance.now() - started).toFixed(0)} ms: ${diagnosis.cause}`, {
        steps: diagnosis.evidence.map((e) => `${e.check}:${e.ms.toFixed(0)}`).join(" "),
      });
      return { diagnosis };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Whether this very failure (not a later one of the same container, e.g. after an image edit) is still open. */
  private stillOpen(failure: OpenFailure): boolean {
    return this.tracker.openFor(failure.podKey).some((f) => f.container === failure.container && f.openedAt === failure.openedAt && f.image === failure.image);
  }

  private impactOf(dkey: string): number {
    return Math.max(countByKey(this.tracker.open(), openFailureKey).get(dkey)?.pods ?? 0, 1);
  }

  private async post(
    pod: Pod,
    failure: { podKey: string; namespace: string; pod: string; container: string; kind: OpenFailure["kind"] },
    type: "Warning" | "Normal",
    reason: string,
    message: string,
  ): Promise<{ name: string; count: number } | undefined> {
    // Work that waited in the queue (a recovery, a Secret warning) may find the pod gone.
    if (!this.pods.has(failure.podKey)) return undefined;
    const key = eventStreamKey(failure.podKey, failure.container, reason);
    const now = this.now();
    const decision = this.correlator.decide(key, message, now);
    try {
      if (decision.action === "skip") return undefined;
      if (decision.action === "patch") {
        try {
          const patched = await this.opts.api.patchEvent(failure.namespace, decision.name, decision.patch);
          this.correlator.posted(key, decision.name, message, now);
          this.totals.eventsPatched++;
          return { name: decision.name, count: patched.count ?? decision.patch.count };
        } catch (err) {
          if (!(err instanceof KubeApiError && err.status === 404)) throw err;
          // The Event is gone (the server's Event TTL, or someone deleted it): a new one is created.
          this.correlator.forget(key);
        }
      }
      const event = buildEvent({
        pod: { namespace: failure.namespace, name: failure.pod, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) },
        container: failure.container,
        kind: failure.kind,
        type,
        reason,
        message,
        node: this.opts.nodeName,
        now,
        seq: this.seq++,
      });
      const created = await this.opts.api.createEvent(failure.namespace, event);
      const name = created.metadata.name || event.metadata.name;
      this.correlator.posted(key, name, message, now);
      this.totals.eventsCreated++;
      return { name, count: created.count ?? 1 };
    } catch (err) {
      this.totals.eventErrors++;
      this.opts.log.warn(`cannot post the ${reason} Event on ${failure.namespace}/${failure.pod}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  private closeFailure(f: ClosedFailure, pod: Pod | undefined): void {
    const fkey = failureKey(f);
    const finding = this.findings.get(fkey);
    this.findings.delete(fkey);
    this.findingKeys.delete(fkey);
    const closed: ClosedFailureFinding = {
      pod: `${f.namespace}/${f.pod}`,
      container: f.container,
      image: f.image,
      outcome: f.outcome,
      since: new Date(f.openedAt).toISOString(),
      closedAt: new Date(f.closedAt).toISOString(),
      durationMs: f.durationMs,
      ...(finding?.cause ? { cause: finding.cause } : {}),
    };
    this.closed.push(closed);
    if (finding?.cause !== undefined) {
      this.emit({
        kind: "recovery",
        recovery: { pod: closed.pod, container: f.container, image: f.image, cause: finding.cause, durationMs: f.durationMs, outcome: f.outcome },
      });
    }
    if (this.closed.length > 100) this.closed.shift();
    if (f.outcome !== "recovered") return;
    this.totals.recovered++;
    this.totals.recoveredSeconds += f.durationMs / 1000;
    this.opts.log.info(
      `pull recovered ${closed.pod} ${f.container} ${f.image} after ${Math.round(f.durationMs / 1000)} s${finding?.cause ? ` (was ${finding.cause})` : ""}`,
    );
    // Only a failure that was announced gets its recovery announced.
    if (this.opts.postEvents && pod !== undefined && finding?.event !== undefined) {
      const text = recoveryEventMessage({ image: f.image, durationMs: f.durationMs, ...(finding.cause ? { cause: finding.cause } : {}) });
      this.enqueue(async () => {
        await this.post(pod, f, "Normal", "PullRecovered", text);
      });
    }
  }

  private async checkHygiene(pod: Pod): Promise<void> {
    const key = keyOf(pod);
    if (!this.pods.has(key)) return;
    const credentials = await this.secrets.forPod(pod);
    // Deleted while its Secrets were read: its risks would stay in the state for good.
    if (!this.pods.has(key)) return;
    const risks = hygieneRisks(pod, credentials.lookups);
    if (risks.length > 0) this.hygiene.set(key, risks);
    else this.hygiene.delete(key);
  }
}

function keyOf(pod: Pod): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? "default"}/${pod.metadata.name}`;
}

/** Pods failing on the same image with the same Secrets share a diagnosis and count as one impact. */
function openFailureKey(f: OpenFailure): string {
  // Impact counts run over every open failure on each change; parsing each image every time made
  // a 200-pod burst quadratic in reference parsing.
  const raw = `${f.image}\0${f.namespace}\0${f.pullSecrets.join("\0")}`;
  let key = failureKeys.get(raw);
  if (key === undefined) {
    if (failureKeys.size >= 4096) failureKeys.clear();
    key = diagnosisKey({ image: f.image, namespace: f.namespace, pullSecrets: f.pullSecrets });
    failureKeys.set(raw, key);
  }
  return key;
}
const failureKeys = new Map<string, string>();

function failureKey(f: { podKey: string; container: string }): string {
  return `${f.podKey}\0${f.container}`;
}

function specChanged(a: Pod, b: Pod): boolean {
  const images = (p: Pod) => JSON.stringify([p.spec.containers, p.spec.initContainers ?? [], p.spec.imagePullSecrets ?? []]);
  return images(a) !== images(b);
}
