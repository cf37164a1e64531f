// /api/v1/pulls: the image pulls in flight on every node, each with the pods waiting for it,
// percent, rate and ETA; stalled pulls first (the longest stalled first), then the slowest to end.

import type { NodeRecord } from "../cluster-state.js";
import { compareText, MAX_LISTED, staleness, type ViewOptions } from "./common.js";
import { defineView } from "./view.js";

export interface PullView {
  image: string;
  registry: string;
  node: string;
  /** The first MAX_LISTED pods waiting, namespace/name. */
  pods: string[];
  podCount: number;
  /** 0..100, whole; null when the node's runtime cannot tell (CRI-O). */
  percent: number | null;
  bytesDone: number;
  bytesTotal: number;
  layersDone: number;
  layersTotal: number;
  bytesPerSecond: number;
  /** Seconds left at the node's smoothed rate; null when unknown. */
  etaSeconds: number | null;
  startedMs: number;
  stalled: boolean;
  /** How long nothing was written, seconds. */
  idleSeconds: number;
  /** For a stall: what the path from the node shows, and the fix. */
  summary: string;
  fix: string[];
  /** The node is stale: the pull may be over. */
  stale: boolean;
}

export function pullsView(nodes: NodeRecord[], now: number, opts?: ViewOptions): PullView[] {
  const isStale = staleness(opts);
  const out: PullView[] = [];
  for (const rec of nodes) {
    const stale = isStale(rec, now);
    for (const p of rec.report?.pulls ?? []) {
      out.push({
        image: p.image,
        registry: p.registry,
        node: rec.node,
        pods: p.pods.slice(0, MAX_LISTED),
        podCount: p.pods.length,
        percent: p.bytesTotal > 0 ? Math.floor((Math.min(p.bytesDone, p.bytesTotal) * 100) / p.bytesTotal) : null,
        bytesDone: p.bytesDone,
        bytesTotal: p.bytesTotal,
        layersDone: p.layersDone,
        layersTotal: p.layersTotal,
        bytesPerSecond: p.bytesPerSecond,
        etaSeconds: p.etaSeconds > 0 ? p.etaSeconds : null,
        startedMs: p.startedMs,
        stalled: p.stalled,
        idleSeconds: Math.round(p.idleMs / 1000),
        summary: p.summary,
        fix: [...p.fix],
        stale,
      });
    }
  }
  return out.sort(
    (a, b) =>
      Number(b.stalled) - Number(a.stalled) ||
      b.idleSeconds - a.idleSeconds ||
      (b.etaSeconds ?? Number.POSITIVE_INFINITY) - (a.etaSeconds ?? Number.POSITIVE_INFINITY) ||
      compareText(a.node, b.node) ||
      compareText(a.image, b.image),
  );
}

export const pullsApi = defineView({
  name: "pulls",
  path: "/api/v1/pulls",
  compute: ({ state, now, options }) => {
    const pulls = pullsView(state.nodes(), now, options);
    return { pulls, stalled: pulls.filter((p) => p.stalled).length };
  },
});
