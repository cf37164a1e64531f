// The Events that show a pull's progress on the pods waiting for it: `PullProgress` (Normal),
// patched in place as the pull goes on and to its end, and `PullStalled` (Warning) once per stall.
// Never a flood: at most one write per pod per 30 s, whatever the number of its containers or
// pulls; what cannot be written yet waits for the pod's next slot, and only the latest word is kept.

import type { ContainerKind } from "./detect.js";
import { cut, diagnosisEventMessage, MAX_EVENT_MESSAGE_BYTES } from "./event.js";

/** What one container should show about its pull now. */
export interface PullNotice {
  podKey: string;
  namespace: string;
  pod: string;
  container: string;
  kind: ContainerKind;
  image: string;
  /** pulling: progress; stalled: a Warning; pulled or ended: the pull is over, done or stopped short. */
  state: "pulling" | "stalled" | "pulled" | "ended";
  /** The progress in words, e.g. "42 % (12.3 MiB of 29.1 MiB, 2 of 4 layers) at 1.9 MiB/s". */
  summary: string;
  /** For a stall: what fixes it, first line first. */
  fix?: string;
}

/**
 * `pulling: image "x": 42 % (…)`, `pulled: image "x": …`, `pull ended: image "x": …`; a stall reads
 * like a diagnosis, its cause label first: `pull-timeout: image "x": … Fix: …`.
 */
export function pullEventMessage(n: Pick<PullNotice, "state" | "image" | "summary" | "fix">): string {
  if (n.state === "stalled") return diagnosisEventMessage({ cause: "pull-timeout", image: n.image, summary: n.summary, ...(n.fix ? { fix: n.fix } : {}) });
  const label = n.state === "ended" ? "pull ended" : n.state;
  return cut(`${label}: image "${n.image}": ${n.summary.replace(/\s+/g, " ").trim()}`, MAX_EVENT_MESSAGE_BYTES);
}

const PULL_PROGRESS_REASON = "PullProgress";
const PULL_STALLED_REASON = "PullStalled";
const PULL_EVENT_MIN_INTERVAL_MS = 30_000;
/** A word that could not be written (the pod is gone, the API refuses) is dropped after this long. */
const PENDING_MAX_AGE_MS = 10 * 60_000;
const MAX_STREAMS = 4096;

export type PostPullEvent = (n: PullNotice, type: "Normal" | "Warning", reason: string) => Promise<boolean>;

interface Stream {
  /** The latest word not written yet. */
  pending: PullNotice | undefined;
  pendingSince: number;
  /** What was last written: a stall is warned once, progress only when its text changed. */
  written: { state: PullNotice["state"]; summary: string } | undefined;
}

export class PullEventPublisher {
  private readonly streams = new Map<string, Stream>();
  private readonly lastWrite = new Map<string, number>();
  /** Writes made, for the tests and the bench that count them. */
  writes = 0;

  constructor(
    private readonly post: PostPullEvent,
    private readonly now: () => number,
    private readonly minIntervalMs = PULL_EVENT_MIN_INTERVAL_MS,
  ) {}

  /** Takes the current word for each container, then writes what each pod's slot allows. */
  async publish(notices: readonly PullNotice[]): Promise<void> {
    const now = this.now();
    for (const n of notices) this.take(n, now);
    const byPod = new Map<string, [string, Stream][]>();
    for (const [key, s] of this.streams) {
      if (s.pending === undefined) continue;
      if (now - s.pendingSince > PENDING_MAX_AGE_MS) s.pending = undefined;
      else byPod.set(s.pending.podKey, [...(byPod.get(s.pending.podKey) ?? []), [key, s]]);
    }
    for (const [podKey, waiting] of byPod) {
      if (now - (this.lastWrite.get(podKey) ?? Number.NEGATIVE_INFINITY) < this.minIntervalMs) continue;
      // One write per slot: a stall first, then an end, then progress.
      const [, stream] = waiting.sort(([, a], [, b]) => rank(a.pending) - rank(b.pending))[0] ?? [];
      const n = stream?.pending;
      if (stream === undefined || n === undefined) continue;
      this.lastWrite.set(podKey, now);
      const stalled = n.state === "stalled";
      const ok = await this.post(n, stalled ? "Warning" : "Normal", stalled ? PULL_STALLED_REASON : PULL_PROGRESS_REASON);
      this.writes++;
      if (ok) {
        stream.written = { state: n.state, summary: n.summary };
        if (stream.pending === n) stream.pending = undefined;
      }
    }
    this.forgetFinished();
  }

  private take(n: PullNotice, now: number): void {
    const key = streamKey(n.podKey, n.container);
    const s = this.streams.get(key) ?? { pending: undefined, pendingSince: now, written: undefined };
    const last = s.pending ?? s.written;
    // A stall is warned once per episode; the same progress text is not written twice.
    if (last !== undefined && last.state === n.state && (n.state === "stalled" || last.summary === n.summary)) return;
    if ((n.state === "pulled" || n.state === "ended") && s.written === undefined) return;
    if (s.pending === undefined) s.pendingSince = now;
    s.pending = n;
    this.streams.set(key, s);
  }

  /** Streams whose end was written are done; the map stays bounded. */
  private forgetFinished(): void {
    for (const [key, s] of this.streams)
      if (s.pending === undefined && (s.written?.state === "pulled" || s.written?.state === "ended")) this.streams.delete(key);
    while (this.streams.size > MAX_STREAMS) {
      const oldest = this.streams.keys().next().value;
      if (oldest === undefined) break;
      this.streams.delete(oldest);
    }
    if (this.lastWrite.size > MAX_STREAMS) {
      const cutoff = this.now() - this.minIntervalMs;
      for (const [pod, at] of this.lastWrite) if (at < cutoff) this.lastWrite.delete(pod);
    }
  }
}

function rank(n: PullNotice | undefined): number {
  return n?.state === "stalled" ? 0 : n?.state === "pulling" ? 2 : 1;
}

function streamKey(podKey: string, container: string): string {
  return `${podKey}\0${container}`;
}
