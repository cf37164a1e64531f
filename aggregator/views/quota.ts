// /api/v1/quota: Docker Hub's pull quota per egress source. Docker Hub counts pulls per source
// address (docker-ratelimit-source), so nodes behind one NAT share one quota: they are one group,
// and the reading shown is the freshest any of them made.

import type { NodeRecord } from "../cluster-state.js";
import { compareText, MAX_LISTED } from "./common.js";
import { pageFields, pageOf, pageQuery } from "./page.js";
import { defineView } from "./view.js";

/** The source shown for readings whose source the registry did not say (one entry per node). */
const UNKNOWN_SOURCE = "unknown";

export interface QuotaSourceView {
  /** docker-ratelimit-source, or "unknown". */
  source: string;
  /** Pulls per window; 0 when the source has no limit (a paid account, an unlimited source). */
  limit: number;
  remaining: number;
  windowSeconds: number;
  /** When the reading shown was made: the freshest among the group's nodes. */
  observedAtMs: number;
  /** Nodes whose latest report has a reading for this source, by name. */
  nodes: string[];
  /** remaining < 10 % of limit, or < 10 pulls (never for an unlimited source). */
  low: boolean;
  /** No pull left (never for an unlimited source). */
  exhausted: boolean;
  unlimited: boolean;
  /** The reading is older than its window: the quota has likely refilled since. */
  outdated: boolean;
}

export interface QuotaView {
  /** The least remaining share first (exhausted sources on top), unlimited ones last. */
  sources: QuotaSourceView[];
  /** Nodes without any reading (no report yet, or no Docker Hub reading in it), by name. */
  unknown: string[];
}

export function quotaView(nodes: NodeRecord[], now: number): QuotaView {
  const groups = new Map<string, { view: QuotaSourceView; nodes: Set<string> }>();
  const unknown: string[] = [];
  for (const rec of nodes) {
    const readings = rec.report?.quota ?? [];
    if (readings.length === 0) {
      unknown.push(rec.node);
      continue;
    }
    for (const q of readings) {
      const source = q.source === "" ? UNKNOWN_SOURCE : q.source;
      // A limited reading that names no source is the node's own: nothing says another node shares
      // it, and merging them would show the freshest and hide an exhausted one. Unlimited ones
      // (a paid account: no source, no counts) have nothing to hide and stay one line.
      const key = q.source !== "" ? q.source : q.limit <= 0 ? "\u0000unlimited" : `\u0000${rec.node}`;
      let g = groups.get(key);
      if (g === undefined) {
        g = {
          view: {
            source,
            limit: q.limit,
            remaining: q.remaining,
            windowSeconds: q.windowSeconds,
            observedAtMs: q.observedAtMs,
            nodes: [],
            low: false,
            exhausted: false,
            unlimited: false,
            outdated: false,
          },
          nodes: new Set(),
        };
        groups.set(key, g);
      } else if (q.observedAtMs > g.view.observedAtMs) {
        Object.assign(g.view, { limit: q.limit, remaining: q.remaining, windowSeconds: q.windowSeconds, observedAtMs: q.observedAtMs });
      }
      g.nodes.add(rec.node);
    }
  }
  const sources = [...groups.values()].map(({ view, nodes: members }) => {
    view.nodes = [...members].sort(compareText);
    view.unlimited = view.limit <= 0;
    view.low = !view.unlimited && (view.remaining < view.limit * 0.1 || view.remaining < 10);
    view.exhausted = !view.unlimited && view.remaining <= 0;
    view.outdated = view.windowSeconds > 0 && now - view.observedAtMs > view.windowSeconds * 1000;
    return view;
  });
  const share = (v: QuotaSourceView): number => (v.unlimited ? Number.POSITIVE_INFINITY : v.remaining / v.limit);
  sources.sort((a, b) => share(a) - share(b) || compareText(a.source, b.source));
  return { sources, unknown: unknown.sort(compareText) };
}

export const quotaApi = defineView({
  name: "quota",
  path: "/api/v1/quota",
  query: pageQuery(500, 5000),
  compute: ({ state, now }, { limit, continue: offset }) => {
    const v = quotaView(state.nodes(), now);
    const page = pageOf(v.sources, limit, offset);
    // A source behind which the whole cluster pulls lists its first nodes, with their count.
    const sources = page.items.map((src) => ({ ...src, nodes: src.nodes.slice(0, MAX_LISTED), nodeCount: src.nodes.length }));
    return { sources, ...pageFields(page), unknown: v.unknown.slice(0, MAX_LISTED), unknownCount: v.unknown.length };
  },
});
