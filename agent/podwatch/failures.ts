// Pull failures as episodes with a start and an end, so the agent can say "failing for 12 min"
// and "recovered after 2m 13s" instead of re-reporting every status update the watch delivers.

import type { Pod } from "../kube/index.js";
import {
  type ContainerKind,
  containerSpec,
  type PullFailureReason,
  podKey,
  podNamespace,
  pulledContainers,
  pullFailures,
  pullSecretNames,
  serviceAccountName,
} from "./detect.js";

export interface OpenFailure {
  podKey: string;
  namespace: string;
  pod: string;
  uid?: string;
  container: string;
  kind: ContainerKind;
  image: string;
  reason: PullFailureReason;
  message: string;
  openedAt: number;
  lastSeenAt: number;
  pullSecrets: string[];
  serviceAccount: string;
  /** Changes of the waiting reason while open; each ErrImagePull ↔ ImagePullBackOff is one retry. */
  transitions: number;
}

export type FailureOutcome = "recovered" | "pod-deleted" | "image-changed";

export interface ClosedFailure extends OpenFailure {
  closedAt: number;
  durationMs: number;
  outcome: FailureOutcome;
}

export interface Observation {
  opened: OpenFailure[];
  continuing: OpenFailure[];
  recovered: ClosedFailure[];
  /** Failures of an image the pod spec no longer names (someone fixed the tag). */
  superseded: ClosedFailure[];
}

export interface FailureTrackerOptions {
  /** How many closed failures `recentClosed` keeps; default 100. */
  maxClosed?: number;
}

const DEFAULT_MAX_CLOSED = 100;

export class FailureTracker {
  private readonly maxClosed: number;
  /** Pod key → container name → failure. Container names are unique across all kinds in a pod. */
  private readonly byPod = new Map<string, Map<string, OpenFailure>>();
  private readonly closed: ClosedFailure[] = [];
  private count = 0;

  constructor(options: FailureTrackerOptions = {}) {
    this.maxClosed = Math.max(0, Math.floor(options.maxClosed ?? DEFAULT_MAX_CLOSED));
  }

  /** Folds the pod's current status into the open failures; what changed is returned. */
  observe(pod: Pod, now: number): Observation {
    const key = podKey(pod);
    const result: Observation = { opened: [], continuing: [], recovered: [], superseded: [] };
    const failing = new Map(pullFailures(pod).map((f) => [f.container, f]));
    const pulled = new Set(pulledContainers(pod));
    const open = this.byPod.get(key) ?? new Map<string, OpenFailure>();

    for (const [container, failure] of open) {
      const specImage = containerSpec(pod, container)?.image;
      if (specImage !== undefined && specImage !== "" && specImage !== failure.image) {
        result.superseded.push(this.close(open, failure, now, "image-changed"));
      } else if (pulled.has(container)) {
        result.recovered.push(this.close(open, failure, now, "recovered"));
      } else {
        const current = failing.get(container);
        // Neither failing nor pulled (e.g. ContainerCreating during a retry): still open, but
        // nothing new to report.
        if (current === undefined) continue;
        if (current.reason !== failure.reason) failure.transitions++;
        failure.reason = current.reason;
        failure.message = current.message;
        failure.lastSeenAt = now;
        failure.pullSecrets = pullSecretNames(pod);
        failure.serviceAccount = serviceAccountName(pod);
        result.continuing.push(snapshot(failure));
      }
    }

    for (const [container, current] of failing) {
      if (open.has(container)) continue;
      const failure: OpenFailure = {
        podKey: key,
        namespace: podNamespace(pod),
        pod: pod.metadata.name,
        container,
        kind: current.kind,
        image: current.image,
        reason: current.reason,
        message: current.message,
        openedAt: now,
        lastSeenAt: now,
        pullSecrets: pullSecretNames(pod),
        serviceAccount: serviceAccountName(pod),
        transitions: 0,
      };
      const uid = pod.metadata.uid;
      if (uid !== undefined && uid !== "") failure.uid = uid;
      open.set(container, failure);
      this.count++;
      result.opened.push(snapshot(failure));
    }

    if (open.size > 0) this.byPod.set(key, open);
    else this.byPod.delete(key);
    return result;
  }

  /** The pod is gone: its open failures end without having recovered. */
  forget(key: string, now: number): ClosedFailure[] {
    const open = this.byPod.get(key);
    if (open === undefined) return [];
    const closed = [...open.values()].map((failure) => this.close(open, failure, now, "pod-deleted"));
    this.byPod.delete(key);
    return closed;
  }

  open(): OpenFailure[] {
    return [...this.byPod.values()].flatMap((m) => [...m.values()].map(snapshot));
  }

  /** The pod's open failures, oldest container first. */
  openFor(key: string): OpenFailure[] {
    return [...(this.byPod.get(key)?.values() ?? [])].map(snapshot);
  }

  /** Whether the container's failure is still open, e.g. before acting on a diagnosis that took a while. */
  isOpen(key: string, container: string): boolean {
    return this.byPod.get(key)?.has(container) ?? false;
  }

  openCount(): number {
    return this.count;
  }

  /** The last `maxClosed` closed failures, oldest first. */
  recentClosed(): ClosedFailure[] {
    return this.closed.map((c) => ({ ...c, pullSecrets: [...c.pullSecrets] }));
  }

  private close(open: Map<string, OpenFailure>, failure: OpenFailure, now: number, outcome: FailureOutcome): ClosedFailure {
    open.delete(failure.container);
    this.count--;
    const closed: ClosedFailure = {
      ...snapshot(failure),
      closedAt: now,
      durationMs: Math.max(0, now - failure.openedAt),
      outcome,
    };
    if (this.maxClosed > 0) {
      this.closed.push(closed);
      if (this.closed.length > this.maxClosed) this.closed.splice(0, this.closed.length - this.maxClosed);
    }
    return { ...closed, pullSecrets: [...closed.pullSecrets] };
  }
}

/** Callers get copies: the tracker's records change on the next observation. */
function snapshot(failure: OpenFailure): OpenFailure {
  return { ...failure, pullSecrets: [...failure.pullSecrets] };
}
