// /api/v1/registries: the registry × node health matrix, with which step fails where.

import type { RegistryReport } from "../../core/protocol/index.js";
import type { NodeRecord } from "../cluster-state.js";
import { oneOf } from "../query.js";
import { compareText, staleness, type ViewOptions } from "./common.js";
import { pageFields, pageOf, pageQuery } from "./page.js";
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

/** The answers of one node's report, one per registry (the first, should a report repeat one). */
function answersOf(rec: NodeRecord): RegistryReport[] {
  const seen = new Set<string>();
  const out: RegistryReport[] = [];
  for (const reg of rec.report?.registries ?? []) {
    if (seen.has(reg.registry)) continue;
    seen.add(reg.registry);
    out.push(reg);
  }
  return out;
}

/** Per registry, how many fresh nodes reach it, fail it and at which step, and how many are stale. */
function registrySummaries(nodes: NodeRecord[], now: number, opts?: ViewOptions): Map<string, RegistrySummary> {
  const isStale = staleness(opts);
  const summaries = new Map<string, RegistrySummary>();
  for (const rec of nodes) {
    if (rec.report === undefined) continue;
    const stale = isStale(rec, now);
    for (const reg of answersOf(rec)) {
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
  return summaries;
}

/** The cells of these nodes: one per registry each probes, ordered by registry, then node. */
function registryCells(nodes: NodeRecord[], now: number, opts?: ViewOptions): RegistryCell[] {
  const isStale = staleness(opts);
  const cells: RegistryCell[] = [];
  for (const rec of nodes) {
    if (rec.report === undefined) continue;
    const stale = isStale(rec, now);
    for (const reg of answersOf(rec)) {
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
    }
  }
  return cells.sort((a, b) => compareText(a.registry, b.registry) || compareText(a.node, b.node));
}

/** A node a registry fails from, fresh: what order=attention puts first. */
function failsSomewhere(rec: NodeRecord, now: number, isStale: (rec: NodeRecord, now: number) => boolean): boolean {
  return !isStale(rec, now) && answersOf(rec).some((reg) => !reg.ok);
}

export function registriesView(nodes: NodeRecord[], now: number, opts?: ViewOptions): RegistriesView {
  const summaries = registrySummaries(nodes, now, opts);
  const registries = [...summaries.keys()].sort(compareText);
  return {
    registries,
    nodes: nodes
      .filter((rec) => rec.report !== undefined)
      .map((rec) => rec.node)
      .sort(compareText),
    cells: registryCells(nodes, now, opts),
    summary: registries.map((name) => summaries.get(name)!),
  };
}

/** Registries listed at most in one answer: those failing on the most nodes first. */
const MAX_REGISTRIES = 1000;

export const registriesApi = defineView({
  name: "registries",
  path: "/api/v1/registries",
  // A page of nodes with their cells; the registries and their totals cover every node.
  query: { ...pageQuery(100, 1000), order: oneOf(["name", "attention"] as const) },
  compute: ({ state, now, options }, { limit, continue: offset, order }) => {
    const isStale = staleness(options);
    const reported = state.nodes().filter((rec) => rec.report !== undefined);
    const failing = new Set(reported.filter((rec) => failsSomewhere(rec, now, isStale)).map((rec) => rec.node));
    const listed = order === "attention" ? [...reported].sort((a, b) => Number(failing.has(b.node)) - Number(failing.has(a.node))) : reported;
    const page = pageOf(listed, limit, offset);
    const all = [...registrySummaries(reported, now, options).values()];
    const kept = all
      .sort((a, b) => b.failingNodes - a.failingNodes || b.okNodes + b.staleNodes - (a.okNodes + a.staleNodes) || compareText(a.registry, b.registry))
      .slice(0, MAX_REGISTRIES)
      .sort((a, b) => compareText(a.registry, b.registry));
    return {
      registries: kept.map((s) => s.registry),
      registryCount: all.length,
      nodes: page.items.map((rec) => rec.node),
      ...pageFields(page),
      attentionNodes: failing.size,
      cells: registryCells(page.items, now, options),
      summary: kept,
    };
  },
});
