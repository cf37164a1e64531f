// One round of the node's pulls in flight: the content store read (or, without one, what can be
// known), joined with the pods waiting, turned into the words each pod shows, and stalls turned
// into findings once the path from the node has been looked at. The agent's pulls check runs a
// round on its interval; this module holds what lasts between rounds.

import { formatDuration, humanBytes } from "../../core/text/index.js";
import type { Diagnosis } from "../diagnose/index.js";
import type { ContentReader } from "./catalog.js";
import { type CrioWaits, crioView } from "./crio.js";
import { amountText, progressText } from "./describe.js";
import type { WaitingContainer } from "./match.js";
import { stallFinding } from "./stall.js";
import { type FinishedPull, PullTracker } from "./tracker.js";
import { joinWaiting, orderPulls, type PullInFlight, type PullsView, RegistryFigures, type StallFinding } from "./view.js";

/** A waiting container with what the pod watch needs to write on it. */
export interface WaitingSpot extends WaitingContainer {
  namespace: string;
  kind: "container" | "init" | "ephemeral";
}

/** What a pod should show now; the pod watch's PullNotice. */
export interface PodPullWord {
  podKey: string;
  namespace: string;
  pod: string;
  container: string;
  kind: WaitingSpot["kind"];
  image: string;
  state: "pulling" | "stalled" | "pulled" | "ended";
  summary: string;
  fix?: string;
}

export interface PullWatchDeps {
  /** containerd's content store, or why there is none (CRI-O). */
  store(): Promise<ContentReader | { unavailable: string }>;
  waits(): WaitingSpot[];
  /** Image filesystem bytes used now, for the fallback. */
  imageFsUsed(): Promise<number | undefined>;
  /** The path from the node to the image's registry, run once per stall. */
  diagnose?(image: string): Promise<Diagnosis>;
  now?: () => number;
  stallAfterMs: number;
}

export interface PullRound {
  view: PullsView;
  words: PodPullWord[];
  /** Stalls whose finding is ready this round: report each once. */
  stalls: { pull: PullInFlight; finding: StallFinding }[];
}

export class PullWatch {
  private tracker: PullTracker | undefined;
  private readonly registries = new RegistryFigures();
  private readonly crio = new Map<string, number>() as CrioWaits;
  /** Containers seen waiting for each pull, so its end can be told to them. */
  private readonly attached = new Map<string, WaitingSpot[]>();
  private readonly stalls = new Map<string, { finding?: StallFinding; reported: boolean }>();
  private readonly now: () => number;

  constructor(private readonly deps: PullWatchDeps) {
    this.now = deps.now ?? Date.now;
  }

  async round(): Promise<PullRound> {
    const store = await this.deps.store();
    const waits = this.deps.waits();
    if ("unavailable" in store) {
      const view = crioView(waits, this.crio, await this.deps.imageFsUsed(), this.now(), store.unavailable);
      return { view: { ...view, registries: this.registries.of(view.pulls) }, words: [], stalls: [] };
    }
    this.tracker ??= new PullTracker({ store, now: this.now, stallAfterMs: this.deps.stallAfterMs });
    const poll = await this.tracker.poll();
    const pulls = orderPulls(joinWaiting(poll.pulls, waits));
    const words: PodPullWord[] = [];
    const stalls: PullRound["stalls"] = [];
    for (const p of pulls) {
      this.attached.set(p.manifest, p.waiting as WaitingSpot[]);
      if (!p.stalled) this.stalls.delete(p.manifest);
      const stall = p.stalled ? this.stallOf(p) : undefined;
      if (stall?.finding) {
        p.stall = stall.finding;
        if (!stall.reported) stalls.push({ pull: p, finding: stall.finding });
        stall.reported = true;
      }
      for (const w of p.waiting as WaitingSpot[]) words.push(word(w, p, stall?.finding));
    }
    for (const f of poll.finished) {
      const summary = endText(f);
      for (const w of this.attached.get(f.manifest) ?? []) words.push({ ...spot(w), state: f.complete ? "pulled" : "ended", summary });
      this.attached.delete(f.manifest);
      this.stalls.delete(f.manifest);
    }
    const note = poll.unclaimed > 0 ? `${poll.unclaimed} blob${poll.unclaimed === 1 ? "" : "s"} being written that no image manifest names yet` : undefined;
    const view: PullsView = { source: "content-store", ...(note ? { note } : {}), pulls, registries: this.registries.of(pulls) };
    return { view, words, stalls };
  }

  /** The stall's finding, once its diagnosis is done (one diagnosis at a time per pull). */
  private stallOf(p: PullInFlight): { finding?: StallFinding; reported: boolean } {
    let s = this.stalls.get(p.manifest);
    if (s === undefined) {
      const entry: { finding?: StallFinding; reported: boolean } = { reported: false };
      s = entry;
      this.stalls.set(p.manifest, entry);
      const diagnose = this.deps.diagnose;
      if (diagnose === undefined) entry.finding = stallFinding(p, undefined);
      else
        void diagnose(p.image).then(
          (path) => (entry.finding = stallFinding(p, path)),
          () => (entry.finding = stallFinding(p, undefined)),
        );
    }
    return s;
  }
}

/** "29.1 MiB, 4 layers in 15 s" or "stopped at 42 % (…) after 5 min" */
function endText(f: FinishedPull): string {
  const took = formatDuration(f.durationMs);
  if (f.complete) return `${humanBytes(f.bytesTotal)}, ${f.layersTotal} layer${f.layersTotal === 1 ? "" : "s"} in ${took}`;
  const percent = f.bytesTotal > 0 ? Math.floor((f.bytesDone * 100) / f.bytesTotal) : 0;
  return `the runtime stopped writing at ${amountText({ ...f, percent, layersDone: 0 })} after ${took}; kubelet reports why on the pod`;
}

function spot(w: WaitingSpot): Omit<PodPullWord, "state" | "summary"> {
  return { podKey: w.podKey, namespace: w.namespace, pod: w.pod.slice(w.pod.indexOf("/") + 1), container: w.container, kind: w.kind, image: w.image };
}

function word(w: WaitingSpot, p: PullInFlight, stall: StallFinding | undefined): PodPullWord {
  if (stall === undefined) return { ...spot(w), state: "pulling", summary: progressText(p) };
  return { ...spot(w), state: "stalled", summary: stall.summary, ...(stall.fix[0] ? { fix: stall.fix[0] } : {}) };
}
