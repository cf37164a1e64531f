// Polls the content store and keeps each pull's track: the thin stateful shell around the pure
// model in progress.ts. One pull is one image manifest whose blobs are being written.

import type { Ingest } from "../runtime/containerd/index.js";
import { type ContentReader, type ImageManifest, type ImageSource, ingestDigest, ManifestCatalog } from "./catalog.js";
import { advance, type BlobProgress, DEFAULT_STALL_AFTER_MS, figures, type PullFigures, type PullObservation, type PullTrack } from "./progress.js";

export interface PullProgress extends PullFigures {
  /** The manifest's digest: one pull, however many pods wait for it. */
  manifest: string;
  sources: ImageSource[];
  indexes: string[];
}

export interface FinishedPull {
  manifest: string;
  sources: ImageSource[];
  indexes: string[];
  /** Every blob is in the store (the pull succeeded), or the writes stopped short of that. */
  complete: boolean;
  bytesDone: number;
  bytesTotal: number;
  layersTotal: number;
  durationMs: number;
}

export interface PullPoll {
  at: number;
  pulls: PullProgress[];
  /** Pulls that ended since the previous poll. */
  finished: FinishedPull[];
  /** Ingests no manifest claims (a manifest itself being fetched, or a write that is not a pull). */
  unclaimed: number;
}

export interface PullTrackerOptions {
  store: ContentReader;
  now?: () => number;
  stallAfterMs?: number;
}

interface Tracked {
  manifest: ImageManifest;
  /** Undefined until the first observation. */
  track: PullTrack | undefined;
  committed: Set<string>;
  /** When its last ingest was gone: between two layers a pull may have none for a moment. */
  goneSince: number | undefined;
}

/** A pull with no ingest for this long, and blobs still missing, has ended short. */
const GONE_GRACE_MS = 10_000;
const MAX_TRACKED = 64;
/** containerd's filters are ORed per request; this many digests per List call. */
const FILTERS_PER_CALL = 64;

export class PullTracker {
  private readonly tracked = new Map<string, Tracked>();
  private readonly catalog: ManifestCatalog;
  private readonly now: () => number;
  private readonly stallAfterMs: number;

  constructor(private readonly opts: PullTrackerOptions) {
    this.now = opts.now ?? Date.now;
    this.stallAfterMs = opts.stallAfterMs ?? DEFAULT_STALL_AFTER_MS;
    this.catalog = new ManifestCatalog(opts.store, this.now);
  }

  async poll(): Promise<PullPoll> {
    const ingests = new Map<string, Ingest>();
    for (const i of await this.opts.store.listStatuses()) {
      const digest = ingestDigest(i);
      if (digest !== undefined) ingests.set(digest, i);
    }
    const owners = await this.catalog.owners([...ingests.keys()]);
    const now = this.now();
    for (const m of owners.values()) {
      if (!this.tracked.has(m.digest) && this.tracked.size < MAX_TRACKED) {
        this.tracked.set(m.digest, { manifest: m, track: undefined, committed: new Set(), goneSince: undefined });
      }
    }
    await this.refreshCommitted(ingests);
    const pulls: PullProgress[] = [];
    const finished: FinishedPull[] = [];
    for (const [digest, t] of this.tracked) {
      const o = observe(t, ingests);
      const writing = o.blobs.some((b) => b.state === "writing");
      t.goneSince = writing ? undefined : (t.goneSince ?? now);
      const track = advance(t.track, o, now, { stallAfterMs: this.stallAfterMs });
      t.track = track;
      const f = figures(track, o, now, { stallAfterMs: this.stallAfterMs });
      const complete = o.blobs.every((b) => b.state === "committed");
      if (complete || (t.goneSince !== undefined && now - t.goneSince >= GONE_GRACE_MS)) {
        this.tracked.delete(digest);
        finished.push({
          ...identity(t.manifest),
          complete,
          bytesDone: f.bytesDone,
          bytesTotal: f.bytesTotal,
          layersTotal: f.layersTotal,
          durationMs: f.elapsedMs,
        });
      } else {
        pulls.push({ ...f, ...identity(t.manifest) });
      }
    }
    const claimed = new Set(owners.keys());
    return { at: now, pulls, finished, unclaimed: [...ingests.keys()].filter((d) => !claimed.has(d)).length };
  }

  /** Which blobs of the tracked pulls are in the store now: one List call per 64 blobs not known yet. */
  private async refreshCommitted(ingests: Map<string, Ingest>): Promise<void> {
    const unknown: string[] = [];
    for (const t of this.tracked.values()) {
      for (const d of blobDigests(t.manifest)) if (!t.committed.has(d) && !ingests.has(d)) unknown.push(d);
    }
    const found = new Set<string>();
    for (let i = 0; i < unknown.length; i += FILTERS_PER_CALL) {
      const infos = await this.opts.store.list(unknown.slice(i, i + FILTERS_PER_CALL).map((d) => `digest==${d}`));
      for (const info of infos) found.add(info.digest);
    }
    for (const t of this.tracked.values()) for (const d of blobDigests(t.manifest)) if (found.has(d)) t.committed.add(d);
  }
}

function identity(m: ImageManifest): { manifest: string; sources: ImageSource[]; indexes: string[] } {
  return { manifest: m.digest, sources: m.sources, indexes: m.indexes };
}

function blobDigests(m: ImageManifest): string[] {
  return [m.config.digest, ...m.layers.map((l) => l.digest)];
}

function observe(t: Tracked, ingests: Map<string, Ingest>): PullObservation {
  const m = t.manifest;
  let startedAtMs = 0;
  let updatedAtMs = 0;
  const blob = (digest: string, size: number, kind: BlobProgress["kind"]): BlobProgress => {
    if (t.committed.has(digest)) return { digest, kind, size, state: "committed", done: size };
    const i = ingests.get(digest);
    if (i === undefined) return { digest, kind, size, state: "waiting", done: 0 };
    if (i.startedAtMs > 0 && (startedAtMs === 0 || i.startedAtMs < startedAtMs)) startedAtMs = i.startedAtMs;
    updatedAtMs = Math.max(updatedAtMs, i.updatedAtMs);
    return { digest, kind, size: size > 0 ? size : i.total, state: "writing", done: i.offset };
  };
  const blobs = [blob(m.config.digest, m.config.size, "config"), ...m.layers.map((l) => blob(l.digest, l.size, "layer"))];
  return { blobs, startedAtMs, updatedAtMs };
}
