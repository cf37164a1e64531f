// The pull-progress model: pure functions from what the content store says about one pull (its
// blobs committed, being written, not started) and the time, to bytes and layers done, a smoothed
// rate, an ETA and whether the pull is stalled. The clock is a parameter: tests step it.

/** One blob of an image: the config or a layer, as the content store sees it now. */
export interface BlobProgress {
  digest: string;
  kind: "config" | "layer";
  /** From the manifest. */
  size: number;
  /** committed: in the store; writing: an ingest is open; waiting: neither yet. */
  state: "committed" | "writing" | "waiting";
  /** Bytes in the store: size when committed, the ingest's offset when writing, 0 when waiting. */
  done: number;
}

/** What one poll saw of one pull. */
export interface PullObservation {
  blobs: BlobProgress[];
  /** The earliest start of its ingests (ms epoch), 0 when none said. */
  startedAtMs: number;
  /** The latest write to its ingests (ms epoch), 0 when none said. */
  updatedAtMs: number;
}

/** What the model keeps of a pull between polls. */
export interface PullTrack {
  firstSeenAt: number;
  startedAt: number;
  lastAt: number;
  /** Never goes down: a blob whose write restarts from 0 does not make the bar run back. */
  bytesDone: number;
  /** When bytesDone last grew (or, at first sight, the ingests' latest write). */
  lastMovedAt: number;
  /** Exponentially smoothed bytes per second; undefined until it can be estimated. */
  rate: number | undefined;
}

export interface ProgressOptions {
  /** Nothing moved for this long: stalled. Default 60 s. */
  stallAfterMs: number;
  /** Time constant of the rate's smoothing. Default 10 s. */
  smoothingMs?: number;
}

export const DEFAULT_STALL_AFTER_MS = 60_000;
const DEFAULT_SMOOTHING_MS = 10_000;

/** The figures people see. */
export interface PullFigures {
  bytesDone: number;
  bytesTotal: number;
  layersDone: number;
  layersTotal: number;
  /** Smoothed; 0 when unknown or nothing moves. */
  bytesPerSecond: number;
  /** Seconds left at the smoothed rate; undefined when the rate is unknown or 0. */
  etaSeconds: number | undefined;
  /** 0..100, whole. */
  percent: number;
  startedAt: number;
  elapsedMs: number;
  stalled: boolean;
  /** How long nothing moved (0 while moving). */
  idleMs: number;
}

function bytesDone(o: PullObservation): number {
  return o.blobs.reduce((sum, b) => sum + Math.min(b.done, b.size > 0 ? b.size : b.done), 0);
}

function bytesTotal(o: PullObservation): number {
  return o.blobs.reduce((sum, b) => sum + b.size, 0);
}

/** The track after one more observation at `now`. */
export function advance(prev: PullTrack | undefined, o: PullObservation, now: number, opts: ProgressOptions): PullTrack {
  const seen = bytesDone(o);
  if (prev === undefined) {
    const startedAt = o.startedAtMs > 0 && o.startedAtMs <= now ? o.startedAtMs : now;
    // Bytes already written when first seen, over the time they took: a first estimate.
    const writing = o.blobs.filter((b) => b.state === "writing").reduce((s, b) => s + b.done, 0);
    const rate = now > startedAt && writing > 0 ? (writing * 1000) / (now - startedAt) : undefined;
    const lastMovedAt = o.updatedAtMs > 0 ? Math.min(o.updatedAtMs, now) : now;
    return { firstSeenAt: now, startedAt, lastAt: now, bytesDone: seen, lastMovedAt, rate };
  }
  const dt = now - prev.lastAt;
  if (dt <= 0) return prev;
  const done = Math.max(prev.bytesDone, seen);
  const instant = ((done - prev.bytesDone) * 1000) / dt;
  const alpha = 1 - Math.exp(-dt / (opts.smoothingMs ?? DEFAULT_SMOOTHING_MS));
  const rate = prev.rate === undefined ? instant : prev.rate + alpha * (instant - prev.rate);
  return {
    firstSeenAt: prev.firstSeenAt,
    startedAt: prev.startedAt,
    lastAt: now,
    bytesDone: done,
    lastMovedAt: done > prev.bytesDone ? now : prev.lastMovedAt,
    rate,
  };
}

/** The figures of a track for the observation it was advanced with. */
export function figures(track: PullTrack, o: PullObservation, now: number, opts: ProgressOptions): PullFigures {
  const total = bytesTotal(o);
  const done = Math.min(track.bytesDone, total);
  const idleMs = Math.max(0, now - track.lastMovedAt);
  const stalled = done < total && idleMs >= opts.stallAfterMs;
  // A stalled pull has no rate: the smoothed one would still be decaying toward 0.
  const rate = stalled || track.rate === undefined ? 0 : Math.max(0, track.rate);
  const layers = o.blobs.filter((b) => b.kind === "layer");
  return {
    bytesDone: done,
    bytesTotal: total,
    layersDone: layers.filter((b) => b.state === "committed").length,
    layersTotal: layers.length,
    bytesPerSecond: rate,
    etaSeconds: rate > 0 ? Math.ceil((total - done) / rate) : undefined,
    percent: total > 0 ? Math.floor((done * 100) / total) : 0,
    startedAt: track.startedAt,
    elapsedMs: Math.max(0, now - track.startedAt),
    stalled,
    idleMs: done < total ? idleMs : 0,
  };
}
