// The node's pulls in flight as /v1/state, the metrics, the node report and the CLI show them:
// the tracker's pulls joined with the pods waiting for them.

import { registryOfImage } from "../../core/image/index.js";
import type { WaitingContainer } from "./match.js";
import { waitingFor } from "./match.js";
import type { PullFigures } from "./progress.js";
import type { PullProgress } from "./tracker.js";

/** A stall's finding: cause pull-timeout, what the path from the node looks like, and the fix. */
export interface StallFinding {
  cause: "pull-timeout";
  /** The registry host the image names. */
  registry: string;
  summary: string;
  fix: string[];
}

export interface PullInFlight extends PullFigures {
  /** As the first waiting pod names it; registry/repository@manifest when no pod waits. */
  image: string;
  /** The registry host the image names (without the port when only the labels tell). */
  registry: string;
  manifest: string;
  /** Pods waiting for it, namespace/name, sorted. */
  pods: string[];
  waiting: WaitingContainer[];
  stall?: StallFinding;
}

export interface PullsView {
  /** content-store: containerd's ingests; unavailable: the runtime has no such API (CRI-O). */
  source: "content-store" | "unavailable";
  /** Why progress is missing or partial, in words. */
  note?: string;
  pulls: PullInFlight[];
  /** Every registry seen pulling since start (bounded), with its figures now: 0 when idle. */
  registries: { registry: string; inFlight: number; stalled: number; bytesPerSecond: number }[];
}

const MAX_SHOWN_PODS = 50;

export function joinWaiting(pulls: readonly PullProgress[], waiting: readonly WaitingContainer[]): PullInFlight[] {
  return pulls.map((p) => {
    const w = waitingFor(p, waiting);
    const source = p.sources[0];
    const first = w[0];
    const image = first?.image ?? (source ? `${source.host}/${source.repository}@${p.manifest}` : p.manifest);
    const registry = first ? registryOfImage(first.image) : (source?.host ?? "");
    const { sources: _s, indexes: _i, ...figures } = p;
    return { ...figures, image, registry, pods: [...new Set(w.map((c) => c.pod))].sort().slice(0, MAX_SHOWN_PODS), waiting: w };
  });
}

/** Stalled pulls first, then the longest wait. */
export function orderPulls(pulls: PullInFlight[]): PullInFlight[] {
  return [...pulls].sort((a, b) => Number(b.stalled) - Number(a.stalled) || a.startedAt - b.startedAt || (a.image < b.image ? -1 : 1));
}

/** Per registry figures, with a 0 line for registries seen before and idle now. */
export class RegistryFigures {
  private readonly seen = new Set<string>();

  constructor(private readonly max = 50) {}

  of(pulls: readonly PullInFlight[]): PullsView["registries"] {
    const by = new Map<string, { registry: string; inFlight: number; stalled: number; bytesPerSecond: number }>();
    for (const r of this.seen) by.set(r, { registry: r, inFlight: 0, stalled: 0, bytesPerSecond: 0 });
    for (const p of pulls) {
      if (!this.seen.has(p.registry) && this.seen.size < this.max) this.seen.add(p.registry);
      const r = by.get(p.registry) ?? { registry: p.registry, inFlight: 0, stalled: 0, bytesPerSecond: 0 };
      r.inFlight++;
      if (p.stalled) r.stalled++;
      r.bytesPerSecond += p.bytesPerSecond;
      by.set(p.registry, r);
    }
    return [...by.values()].sort((a, b) => (a.registry < b.registry ? -1 : 1));
  }
}
