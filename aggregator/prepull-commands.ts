// Cluster-wide pre-pull: which node starts when (planPrepull, pure), sending the command to the
// agents and recording it (dispatchPrepull), and its progress as the agents' CommandUpdates tell
// it (commandStatus, pure).
//
// Docker Hub counts pulls per egress source: every node behind one NAT shares one quota. So the
// plan groups nodes by the source their latest quota reading names, lets start now only as many
// nodes as the source's remaining pulls (less a reserve kept for pods) allow, moves the rest to
// the end of the quota window, and spaces the nodes of a group so they do not hit the registry
// at the same moment. Starts that earlier commands planned and that the readings cannot show yet
// are taken from the budget first, so two commands in a row do not spend one quota twice.

import { randomBytes } from "node:crypto";
import { isDockerHub, tryParseReference } from "../core/image/index.js";
import { type Command, isFinalCommandState, type QuotaReport } from "../core/protocol/index.js";
import { isStaleRecord, type NodeRecord } from "./cluster-state.js";
import type { StoredCommand, StoredCommandUpdate } from "./store/index.js";

export interface PlanEntry {
  node: string;
  notBeforeMs: number;
}

export interface PlanOptions {
  /** Pulls of a source's quota left for pods, never planned. Default 10 (the agent's reserve too). */
  reserve?: number;
  /** Between two nodes of one egress source. Default 2 s. */
  spacingMs?: number;
  /** As ClusterState's; default 3. */
  staleAfterIntervals?: number;
  /**
   * Starts that earlier commands planned (their Docker Hub pulls per node): those at or after a
   * source's reading are not counted in it yet, so they are taken from its budget first.
   */
  scheduled?: ScheduledPulls[];
}

export interface ScheduledPulls {
  node: string;
  notBeforeMs: number;
  /** Docker Hub pulls the start makes (dockerHubPulls of its command's images). */
  pulls: number;
}

const DEFAULT_RESERVE = 10;
const DEFAULT_SPACING_MS = 2000;

/** The node's freshest quota reading with a source, if any. */
function latestQuota(rec: NodeRecord): QuotaReport | undefined {
  let best: QuotaReport | undefined;
  for (const q of rec.report?.quota ?? []) {
    if (!q.source) continue;
    if (!best || q.observedAtMs > best.observedAtMs) best = q;
  }
  return best;
}

/** How many of the images count against Docker Hub's quota when pulled (invalid ones do not count). */
export function dockerHubPulls(images: string[]): number {
  let n = 0;
  for (const image of images) {
    const ref = tryParseReference(image);
    if (!(ref instanceof Error) && isDockerHub(ref)) n++;
  }
  return n;
}

/**
 * When each eligible node (connected and not stale) should start pulling `images`. Nodes are
 * grouped by the egress source of their latest quota reading (nodes without one form one group
 * of their own). Within a group, sorted by name, a node starts now while the source's remaining
 * pulls minus the reserve cover its Docker Hub pulls; the others start when the window of the
 * reading ends (observedAtMs + windowSeconds), when the quota is whole again, and so on window
 * after window. Nodes that start together are spaced by spacingMs. Sorted by start, then name.
 */
export function planPrepull(images: string[], nodes: NodeRecord[], now: number, opts: PlanOptions = {}): PlanEntry[] {
  const reserve = Math.max(0, opts.reserve ?? DEFAULT_RESERVE);
  const spacing = Math.max(0, opts.spacingMs ?? DEFAULT_SPACING_MS);
  const stale = opts.staleAfterIntervals;
  const eligible = nodes.filter((n) => n.connected && !isStaleRecord(n, now, stale));
  const hubPulls = dockerHubPulls(images);

  const groups = new Map<string, { nodes: NodeRecord[]; quota: QuotaReport | undefined; scheduled: ScheduledPulls[] }>();
  for (const rec of eligible) {
    const q = latestQuota(rec);
    const key = q?.source ?? "";
    // Setting a key again keeps its place in the Map's order.
    const g = groups.get(key) ?? { nodes: [], quota: undefined, scheduled: [] };
    groups.set(key, g);
    g.nodes.push(rec);
    if (q && (!g.quota || q.observedAtMs > g.quota.observedAtMs)) g.quota = q;
  }
  // Earlier commands' starts, by the source their node pulls through (disconnected nodes too: a
  // command they hold still runs).
  if (opts.scheduled?.length) {
    const sourceOf = new Map(nodes.map((rec) => [rec.node, latestQuota(rec)?.source ?? ""]));
    for (const s of opts.scheduled) {
      const source = sourceOf.get(s.node);
      if (source) groups.get(source)?.scheduled.push(s);
    }
  }

  const plan: PlanEntry[] = [];
  for (const g of groups.values()) {
    g.nodes.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
    const q = g.quota;
    // Unknown quota, or nothing from Docker Hub: no limit to keep, only the spacing.
    if (!q || hubPulls === 0 || !(q.windowSeconds > 0)) {
      for (const [i, rec] of g.nodes.entries()) plan.push({ node: rec.node, notBeforeMs: now + i * spacing });
      continue;
    }
    const windowMs = q.windowSeconds * 1000;
    let windowEnd = q.observedAtMs + windowMs;
    const perWindow = q.limit - reserve;
    let budget = q.remaining - reserve;
    // The reading's window is over: the quota has been whole again since its end.
    if (windowEnd <= now) {
      windowEnd += (Math.floor((now - windowEnd) / windowMs) + 1) * windowMs;
      budget = perWindow;
    }
    // Pulls earlier commands start in each window from now on (0 = the current one) that the
    // reading cannot show yet: they come off that window's budget.
    const taken = new Map<number, number>();
    for (const s of g.scheduled) {
      if (s.pulls <= 0 || s.notBeforeMs < q.observedAtMs || s.notBeforeMs < windowEnd - windowMs) continue;
      const w = s.notBeforeMs < windowEnd ? 0 : 1 + Math.floor((s.notBeforeMs - windowEnd) / windowMs);
      taken.set(w, (taken.get(w) ?? 0) + s.pulls);
    }
    let window = 0;
    budget -= taken.get(0) ?? 0;
    let start = now;
    let slot = 0;
    for (const rec of g.nodes) {
      // Past this window's budget: the next window, whose budget is the whole limit less the reserve
      // (less what earlier commands start in it). A limit that cannot cover even one node leaves
      // the rest at the next window end; the agent's own quota gate then defers what still does not fit.
      while (budget < hubPulls && perWindow >= hubPulls) {
        start = windowEnd;
        windowEnd += windowMs;
        window++;
        budget = perWindow - (taken.get(window) ?? 0);
        slot = 0;
      }
      if (budget < hubPulls && start === now) {
        start = windowEnd;
        slot = 0;
      }
      plan.push({ node: rec.node, notBeforeMs: start + slot * spacing });
      slot++;
      budget -= hubPulls;
    }
  }
  return plan.sort((a, b) => a.notBeforeMs - b.notBeforeMs || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

// ---- dispatch -------------------------------------------------------------------------------------

export interface DispatchDeps {
  nodes(): NodeRecord[];
  store: {
    /** Awaited when it returns a promise. */
    saveCommand(c: StoredCommand): unknown;
    saveCommandUpdate(
      node: string,
      u: { commandId: string; image: string; state: string; cause: string; summary: string; durationMs: number; atMs: number },
    ): unknown;
  };
  /** Writes the command to the node's stream (here, or through the replica holding it); false when none is open. */
  sendCommand(node: string, cmd: Command): boolean | Promise<boolean>;
  now(): number;
  staleAfterIntervals?: number;
  reserve?: number;
  spacingMs?: number;
  newId?: () => string;
  /** Recent commands, newest first: the starts they planned are not yet in the quota readings. */
  recentCommands?: () => StoredCommand[] | Promise<StoredCommand[]>;
}

export interface SkippedNode {
  node: string;
  reason: "disconnected" | "stale";
}

export interface DispatchResult {
  id: string;
  createdMs: number;
  images: string[];
  plan: PlanEntry[];
  /** Known nodes left out of the plan, and why. */
  skipped: SkippedNode[];
  /** Planned nodes whose stream closed before the command could be written (recorded as failed). */
  unsent: string[];
}

function newCommandId(now: number): string {
  return `pp-${now.toString(36)}-${randomBytes(4).toString("hex")}`;
}

/**
 * Plans, records the command (before any agent sees it, so every update has a command to belong
 * to), then writes it to each planned node's stream. A node whose stream is gone by then gets a
 * `failed` update per image at once, so the command can still finish.
 */
export async function dispatchPrepull(images: string[], deps: DispatchDeps): Promise<DispatchResult> {
  const now = deps.now();
  const nodes = deps.nodes();
  const recent = (await deps.recentCommands?.()) ?? [];
  const plan = planPrepull(images, nodes, now, {
    ...(deps.reserve !== undefined ? { reserve: deps.reserve } : {}),
    ...(deps.spacingMs !== undefined ? { spacingMs: deps.spacingMs } : {}),
    ...(deps.staleAfterIntervals !== undefined ? { staleAfterIntervals: deps.staleAfterIntervals } : {}),
    scheduled: recent.flatMap((c) => {
      const pulls = dockerHubPulls(c.images);
      return pulls > 0 ? c.plan.map((p) => ({ node: p.node, notBeforeMs: p.notBeforeMs, pulls })) : [];
    }),
  });
  const planned = new Set(plan.map((p) => p.node));
  const skipped: SkippedNode[] = nodes
    .filter((n) => !planned.has(n.node))
    .map((n) => ({ node: n.node, reason: n.connected ? ("stale" as const) : ("disconnected" as const) }));
  const id = (deps.newId ?? (() => newCommandId(now)))();
  await deps.store.saveCommand({ id, createdMs: now, images, plan });
  const unsent: string[] = [];
  for (const p of plan) {
    if (await deps.sendCommand(p.node, { id, kind: "prepull", prepull: { images, notBeforeMs: p.notBeforeMs } })) continue;
    unsent.push(p.node);
    for (const image of images) {
      await deps.store.saveCommandUpdate(p.node, {
        commandId: id,
        image,
        state: "failed",
        cause: "not-connected",
        summary: "the node's agent disconnected before the command could be sent to it",
        durationMs: 0,
        atMs: now,
      });
    }
  }
  return { id, createdMs: now, images, plan, skipped, unsent };
}

// ---- progress -------------------------------------------------------------------------------------

export interface ImageProgress {
  image: string;
  /** pending (no word from the agent yet), waiting, pulling, pulled, unchanged, deferred, failed */
  state: string;
  final: boolean;
  cause: string;
  summary: string;
  durationMs: number;
  at: string | null;
}

export interface NodeProgress {
  node: string;
  notBefore: string;
  notBeforeMs: number;
  images: ImageProgress[];
}

export interface CommandStatus {
  id: string;
  createdAt: string;
  createdMs: number;
  images: string[];
  /** Every planned node has a final state for every image. */
  done: boolean;
  counts: Record<"pending" | "waiting" | "pulling" | "pulled" | "unchanged" | "deferred" | "failed", number>;
  nodes: NodeProgress[];
}

function sameImage(a: string, b: string): boolean {
  if (a === b) return true;
  const ra = tryParseReference(a);
  const rb = tryParseReference(b);
  return !(ra instanceof Error) && !(rb instanceof Error) && ra.normalized === rb.normalized;
}

/** The command as a person follows it: per planned node and image, the latest state. */
export function commandStatus(cmd: StoredCommand & { updates: StoredCommandUpdate[] }): CommandStatus {
  const counts: CommandStatus["counts"] = { pending: 0, waiting: 0, pulling: 0, pulled: 0, unchanged: 0, deferred: 0, failed: 0 };
  const byNode = new Map<string, StoredCommandUpdate[]>();
  for (const u of cmd.updates) {
    const list = byNode.get(u.node) ?? [];
    list.push(u);
    byNode.set(u.node, list);
  }
  let done = true;
  const nodes = cmd.plan.map((p): NodeProgress => {
    const updates = byNode.get(p.node) ?? [];
    const images = cmd.images.map((image): ImageProgress => {
      let latest: StoredCommandUpdate | undefined;
      for (const u of updates) if (sameImage(u.image, image) && (!latest || u.atMs >= latest.atMs)) latest = u;
      const state = latest?.state || "pending";
      const final = isFinalCommandState(state);
      if (!final) done = false;
      if (state in counts) counts[state as keyof typeof counts]++;
      return {
        image,
        state,
        final,
        cause: latest?.cause ?? "",
        summary: latest?.summary ?? "",
        durationMs: latest?.durationMs ?? 0,
        at: latest ? new Date(latest.atMs).toISOString() : null,
      };
    });
    return { node: p.node, notBefore: new Date(p.notBeforeMs).toISOString(), notBeforeMs: p.notBeforeMs, images };
  });
  return { id: cmd.id, createdAt: new Date(cmd.createdMs).toISOString(), createdMs: cmd.createdMs, images: cmd.images, done, counts, nodes };
}
