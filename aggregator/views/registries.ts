// /api/v1/registries: the registry × node health matrix, with which step fails where.

import type { NodeRecord } from "../cluster-state.js";
import { compareText, staleness, type ViewOptions } from "./common.js";
import { defineView } from "./view.js";

export interface RegistryCell {
  registry: string;
  node: string;
  ok: boolean;
  /** dns, tcp, tls or http; "" when ok. */
  failingStep: string;
  error: string;
  /** The node is stale: the cell is its last known answer. */
  stale: boolean;
  latencyMs: number;
  certificateExpiresMs: number;
}

export interface RegistrySummary {
  registry: string;
  /** Fresh (non-stale) nodes that reach the registry. */
  okNodes: number;
  /** Fresh nodes that do not. */
  failingNodes: number;
  /** Nodes whose last answer is stale, counted in neither of the above. */
  staleNodes: number;
  /** Failing step → fresh nodes failing at it ("unknown" when the agent named none). */
  failingSteps: Record<string, number>;
}

export interface RegistriesView {
  /** Every registry any node probes, by name. */
  registries: string[];
  /** Nodes that have reported, by name. */
  nodes: string[];
  /** One cell per (registry, node) the node probes; a registry a node does not probe has no cell. Ordered by registry, then node. */
  cells: RegistryCell[];
  /** One per registry, in the order of `registries`. */
  summary: RegistrySummary[];
}

export function registriesView(nodes: NodeRecord[], now: number, opts?: ViewOptions): RegistriesView {
  const isStale = staleness(opts);
  const cells: RegistryCell[] = [];
  const summaries = new Map<string, RegistrySummary>();
  const reported: string[] = [];
  for (const rec of nodes) {
    const r = rec.report;
    if (r === undefined) continue;
    reported.push(rec.node);
    const stale = isStale(rec, now);
    const seen = new Set<string>();
    for (const reg of r.registries) {
      // One answer per registry and node: the first, should a report repeat one.
      if (seen.has(reg.registry)) continue;
      seen.add(reg.registry);
      cells.push({
        registry: reg.registry,
        node: rec.node,
        ok: reg.ok,
        failingStep: reg.ok ? "" : reg.failingStep,
        error: reg.ok ? "" : reg.error,
        stale,
        latencyMs: reg.latencyMs,
        certificateExpiresMs: reg.certificateExpiresMs,
      });
      let s = summaries.get(reg.registry);
      if (s === undefined) {
        s = { registry: reg.registry, okNodes: 0, failingNodes: 0, staleNodes: 0, failingSteps: {} };
        summaries.set(reg.registry, s);
      }
      if (stale) s.staleNodes++;
      else if (reg.ok) s.okNodes++;
      else {
        s.failingNodes++;
        const step = reg.failingStep === "" ? "unknown" : reg.failingStep;
        s.failingSteps[step] = (s.failingSteps[step] ?? 0) + 1;
      }
    }
  }
  const registries = [...summaries.keys()].sort(compareText);
  cells.sort((a, b) => compareText(a.registry, b.registry) || compareText(a.node, b.node));
  return {
    registries,
    nodes: reported.sort(compareText),
    cells,
    summary: registries.map((name) => summaries.get(name)!),
  };
}

export const registriesApi = defineView({
  name: "registries",
  path: "/api/v1/registries",
  compute: ({ state, now, options }) => ({ ...registriesView(state.nodes(), now, options) }),
});
