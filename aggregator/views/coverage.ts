// /api/v1/coverage: whether every critical image is on every node. Critical images are those any
// node pre-pulls (its prepull report) plus those a cluster pre-pull asked for (extraImages).

import { DOCKER_HUB_API_HOST, DOCKER_HUB_DOMAIN, DOCKER_HUB_LEGACY_DOMAIN, ImageReferenceError, tryParseReference } from "../../core/image/index.js";
import type { NodeRecord } from "../cluster-state.js";
import { oneOf } from "../query.js";
import { compareText, staleness, type ViewOptions } from "./common.js";
import { pageFields, pageOf, pageQuery } from "./page.js";
import { defineView } from "./view.js";

export type CoverageState = "present" | "pulling" | "failed" | "deferred" | "missing" | "unknown";

export interface CoverageCell {
  image: string;
  node: string;
  /**
   * The node's pre-pull state for the image; "missing" when its report does not list the image,
   * "unknown" when the node is stale, has not reported, or said a state this release does not know.
   */
  state: CoverageState;
  /** Why it failed or was deferred (a cause label); absent when none. */
  cause?: string;
}

export interface CoverageView {
  /** Critical images, by name (spelled as first seen; "nginx" and "docker.io/library/nginx:latest" are one). */
  images: string[];
  /** Every node, by name. */
  nodes: string[];
  /** images × nodes, ordered by image, then node. */
  cells: CoverageCell[];
  /** Per image, in the order of `images`: on how many of all nodes it is present. */
  complete: { image: string; presentOn: number; of: number; unknownOn: number }[];
}

const KNOWN_STATES = new Set<string>(["present", "pulling", "failed", "deferred"]);

/**
 * One spelling per image for matching: the reference as kubelet and containerd normalize it
 * (docker.io for a bare name, library/ for an official image, :latest when neither tag nor digest
 * is given), Docker Hub's API host counted as docker.io too.
 */
export function canonicalImage(ref: string): string {
  const parsed = tryParseReference(ref.trim());
  if (parsed instanceof ImageReferenceError || parsed.domain === DOCKER_HUB_API_HOST) return looseCanonicalImage(ref);
  return parsed.normalized;
}

/**
 * The same folding, by hand, for what the parser does not take (a digest too short, a capital
 * letter in the path: an agent's list is shown as it came) and for Docker Hub's API host, which
 * containerd keeps apart but which names the same images.
 */
function looseCanonicalImage(ref: string): string {
  let s = ref.trim();
  const slash = s.indexOf("/");
  const first = slash < 0 ? "" : s.slice(0, slash);
  let domain = DOCKER_HUB_DOMAIN;
  if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    domain = first === DOCKER_HUB_LEGACY_DOMAIN || first === DOCKER_HUB_API_HOST ? DOCKER_HUB_DOMAIN : first;
    s = s.slice(slash + 1);
  }
  if (domain === DOCKER_HUB_DOMAIN && !s.includes("/")) s = `library/${s}`;
  const lastPart = s.slice(s.lastIndexOf("/") + 1);
  if (!lastPart.includes(":") && !lastPart.includes("@")) s = `${s}:latest`;
  return `${domain}/${s}`;
}

/** One node's pre-pull list by canonical image, and whether its list can be trusted (reported, not stale). */
interface NodeImages {
  rec: NodeRecord;
  byImage: Map<string, { state: string; cause: string }>;
  blind: boolean;
}

/** A critical image: its canonical key, its spelling shown, and how many nodes pre-pull it. */
interface CriticalImage {
  key: string;
  image: string;
  nodes: number;
}

/** Every critical image (by spelling) and every node's list, each spelling parsed once (nodes mostly pre-pull the same list). */
function scan(nodes: NodeRecord[], now: number, extraImages: string[], opts?: ViewOptions): { images: CriticalImage[]; perNode: NodeImages[] } {
  const isStale = staleness(opts);
  const keys = new Map<string, string>();
  const canonical = (image: string): string => {
    let key = keys.get(image);
    if (key === undefined) {
      key = canonicalImage(image);
      keys.set(image, key);
    }
    return key;
  };
  const critical = new Map<string, CriticalImage>();
  const add = (image: string, count: number): void => {
    if (image.trim() === "") return;
    const key = canonical(image);
    const c = critical.get(key);
    if (c === undefined) critical.set(key, { key, image, nodes: count });
    else c.nodes += count;
  };
  const ordered = [...nodes].sort((a, b) => compareText(a.node, b.node));
  const perNode = ordered.map((rec) => {
    const byImage = new Map<string, { state: string; cause: string }>();
    for (const p of rec.report?.prepull ?? []) {
      const key = canonical(p.image);
      const first = !byImage.has(key);
      if (first) byImage.set(key, { state: p.state, cause: p.cause });
      add(p.image, first ? 1 : 0);
    }
    return { rec, byImage, blind: rec.report === undefined || isStale(rec, now) };
  });
  // A cluster pre-pull's images count before any node's own: someone asked for them by name.
  for (const image of extraImages) add(image, Number.MAX_SAFE_INTEGER / 2);
  const images = [...critical.values()].sort((a, b) => compareText(a.image, b.image));
  return { images, perNode };
}

function cellOf(image: CriticalImage, n: NodeImages): CoverageCell {
  const cell: CoverageCell = { image: image.image, node: n.rec.node, state: "unknown" };
  if (n.blind) return cell;
  const p = n.byImage.get(image.key);
  if (p === undefined) cell.state = "missing";
  else {
    cell.state = KNOWN_STATES.has(p.state) ? (p.state as CoverageState) : "unknown";
    if (p.cause !== "") cell.cause = p.cause;
  }
  return cell;
}

/** images × these nodes, ordered by image, then node. */
function cellsOf(images: CriticalImage[], nodes: NodeImages[]): CoverageCell[] {
  return images.flatMap((image) => nodes.map((n) => cellOf(image, n)));
}

/** Per image, on how many of all nodes it is present and unknown: counted from each node's own list, not images × nodes. */
function totalsOf(images: CriticalImage[], perNode: NodeImages[]): CoverageView["complete"] {
  const index = new Map(images.map((img, i) => [img.key, i]));
  const complete = images.map((img) => ({ image: img.image, presentOn: 0, of: perNode.length, unknownOn: 0 }));
  let blind = 0;
  for (const n of perNode) {
    if (n.blind) {
      blind++;
      continue;
    }
    for (const [key, p] of n.byImage) {
      const i = index.get(key);
      if (i === undefined) continue;
      const state = KNOWN_STATES.has(p.state) ? p.state : "unknown";
      if (state === "present") complete[i]!.presentOn++;
      else if (state === "unknown") complete[i]!.unknownOn++;
    }
  }
  for (const c of complete) c.unknownOn += blind;
  return complete;
}

export function coverageView(nodes: NodeRecord[], now: number, extraImages: string[] = [], opts?: ViewOptions): CoverageView {
  const { images, perNode } = scan(nodes, now, extraImages, opts);
  return {
    images: images.map((i) => i.image),
    nodes: perNode.map((n) => n.rec.node),
    cells: cellsOf(images, perNode),
    complete: totalsOf(images, perNode),
  };
}

/** Cluster pre-pulls whose images count as critical, the most recent first. */
const RECENT_PREPULLS = 5;
/** Critical images listed at most in one answer: the ones most nodes pre-pull (and the cluster pre-pulls' own) first. */
const MAX_IMAGES = 200;

/** A node where some critical image is not present (or not known to be): what order=attention puts first. */
function lacksSome(n: NodeImages, images: CriticalImage[]): boolean {
  return n.blind || images.some((img) => n.byImage.get(img.key)?.state !== "present");
}

export const coverageApi = defineView({
  name: "coverage",
  path: "/api/v1/coverage",
  // A page of nodes with their cells; the images and their totals cover every node.
  query: { ...pageQuery(100, 1000), order: oneOf(["name", "attention"] as const) },
  reads: { commands: RECENT_PREPULLS },
  compute: async ({ state, store, now, options }, { limit, continue: offset, order }) => {
    // Images of recent cluster pre-pulls count as critical too, next to the agents' own lists.
    const extra = [...new Set((await store.latestCommands(RECENT_PREPULLS)).filter((c) => c.plan.length > 0).flatMap((c) => c.images))];
    const { images: all, perNode } = scan(state.nodes(), now, extra, options);
    const images = [...all]
      .sort((a, b) => b.nodes - a.nodes || compareText(a.image, b.image))
      .slice(0, MAX_IMAGES)
      .sort((a, b) => compareText(a.image, b.image));
    const lacking = new Set(perNode.filter((n) => lacksSome(n, images)).map((n) => n.rec.node));
    const listed = order === "attention" ? [...perNode].sort((a, b) => Number(lacking.has(b.rec.node)) - Number(lacking.has(a.rec.node))) : perNode;
    const page = pageOf(listed, limit, offset);
    return {
      images: images.map((i) => i.image),
      imageCount: all.length,
      nodes: page.items.map((n) => n.rec.node),
      ...pageFields(page),
      attentionNodes: lacking.size,
      cells: cellsOf(images, page.items),
      complete: totalsOf(images, perNode),
    };
  },
});
