// /api/v1/failures: the open pull failures of every node, grouped by (cause, image, registry), the
// biggest group first. One group is one problem to fix, whatever the number of pods it hits.

import { registryOfImage } from "../../core/image/index.js";
import type { NodeRecord } from "../cluster-state.js";
import { compareText, MAX_LISTED, staleness, type ViewOptions } from "./common.js";
import { pageFields, pageOf, pageQuery } from "./page.js";
import { defineView } from "./view.js";

/** The cause of a failure whose diagnosis has not finished yet. */
const PENDING_CAUSE = "pending";

export interface FailurePod {
  /** namespace/name */
  pod: string;
  node: string;
  container: string;
  /** When the pod started failing, ms epoch (0 when unknown). */
  since: number;
  /** kubelet's waiting reason (ErrImagePull, ImagePullBackOff, …). */
  reason: string;
  /** Its node is stale: the pod may have recovered since. */
  stale: boolean;
}

export interface FailureGroup {
  /** The cause label, "pending" while the diagnosis runs. */
  cause: string;
  image: string;
  registry: string;
  summary: string;
  /** Commands or steps that fix it (from the first node that has them). */
  fix: string[];
  /** The first MAX_LISTED pods, oldest failure first. */
  pods: FailurePod[];
  /** Distinct pods (node, pod) failing this way. */
  podCount: number;
  /** The first MAX_LISTED nodes by name. */
  nodes: string[];
  nodeCount: number;
  /** The earliest failure of the group, ms epoch (0 when none says). */
  sinceMs: number;
  /** Nodes of the group that are stale (first MAX_LISTED): their part may be out of date. */
  staleNodes: string[];
  staleNodeCount: number;
}

interface Building {
  group: FailureGroup;
  pods: FailurePod[];
  podKeys: Set<string>;
  nodes: Set<string>;
  staleNodes: Set<string>;
}

export function failuresView(nodes: NodeRecord[], now: number, opts?: ViewOptions): FailureGroup[] {
  const isStale = staleness(opts);
  const groups = new Map<string, Building>();
  for (const rec of nodes) {
    const failures = rec.report?.failures;
    if (failures === undefined || failures.length === 0) continue;
    const stale = isStale(rec, now);
    for (const f of failures) {
      const cause = f.cause === "" ? PENDING_CAUSE : f.cause;
      // An agent that left the registry out: the image names it.
      const registry = f.registry === "" ? registryOfImage(f.image) : f.registry;
      const key = `${cause}\u0000${f.image}\u0000${registry}`;
      let b = groups.get(key);
      if (b === undefined) {
        b = {
          group: {
            cause,
            image: f.image,
            registry,
            summary: "",
            fix: [],
            pods: [],
            podCount: 0,
            nodes: [],
            nodeCount: 0,
            sinceMs: 0,
            staleNodes: [],
            staleNodeCount: 0,
          },
          pods: [],
          podKeys: new Set(),
          nodes: new Set(),
          staleNodes: new Set(),
        };
        groups.set(key, b);
      }
      const g = b.group;
      if (g.summary === "" && f.summary !== "") g.summary = f.summary;
      if (g.fix.length === 0 && f.fix.length > 0) g.fix = [...f.fix];
      if (f.sinceMs > 0 && (g.sinceMs === 0 || f.sinceMs < g.sinceMs)) g.sinceMs = f.sinceMs;
      b.nodes.add(rec.node);
      if (stale) b.staleNodes.add(rec.node);
      // A pod with two containers failing on the same image is one pod.
      const podKey = `${rec.node}\u0000${f.pod}`;
      if (b.podKeys.has(podKey)) continue;
      b.podKeys.add(podKey);
      b.pods.push({ pod: f.pod, node: rec.node, container: f.container, since: f.sinceMs, reason: f.reason, stale });
    }
  }
  const out: FailureGroup[] = [];
  for (const b of groups.values()) {
    const g = b.group;
    b.pods.sort((x, y) => x.since - y.since || compareText(x.node, y.node) || compareText(x.pod, y.pod));
    g.pods = b.pods.slice(0, MAX_LISTED);
    g.podCount = b.podKeys.size;
    const names = [...b.nodes].sort(compareText);
    g.nodes = names.slice(0, MAX_LISTED);
    g.nodeCount = names.length;
    const staleNames = [...b.staleNodes].sort(compareText);
    g.staleNodes = staleNames.slice(0, MAX_LISTED);
    g.staleNodeCount = staleNames.length;
    out.push(g);
  }
  return out.sort((a, b) => b.podCount - a.podCount || compareText(a.cause, b.cause) || compareText(a.image, b.image) || compareText(a.registry, b.registry));
}

export const failuresApi = defineView({
  name: "failures",
  path: "/api/v1/failures",
  query: pageQuery(100, 1000),
  compute: ({ state, now, options }, { limit, continue: offset }) => {
    const groups = failuresView(state.nodes(), now, options);
    const page = pageOf(groups, limit, offset);
    // Pods of every group, not only the page's: what the cluster has failing.
    return { failures: page.items, ...pageFields(page), totalPods: groups.reduce((sum, g) => sum + g.podCount, 0) };
  },
});
