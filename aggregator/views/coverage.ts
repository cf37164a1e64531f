// /api/v1/coverage: whether every critical image is on every node. Critical images are those any
// node pre-pulls (its prepull report) plus those a cluster pre-pull asked for (extraImages).

import { DOCKER_HUB_API_HOST, DOCKER_HUB_DOMAIN, DOCKER_HUB_LEGACY_DOMAIN, ImageReferenceError, tryParseReference } from "../../core/image/index.js";
import type { NodeRecord } from "../cluster-state.js";
import { compareText, staleness, type ViewOptions } from "./common.js";
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

export function coverageView(nodes: NodeRecord[], now: number, extraImages: string[] = [], opts?: ViewOptions): CoverageView {
  const isStale = staleness(opts);
  // Nodes mostly pre-pull the same list: each spelling is parsed once per view.
  const keys = new Map<string, string>();
  const canonical = (image: string): string => {
    let key = keys.get(image);
    if (key === undefined) {
      key = canonicalImage(image);
      keys.set(image, key);
    }
    return key;
  };
  // canonical → the spelling shown
  const spelled = new Map<string, string>();
  const add = (image: string): void => {
    if (image.trim() === "") return;
    const key = canonical(image);
    if (!spelled.has(key)) spelled.set(key, image);
  };
  const ordered = [...nodes].sort((a, b) => compareText(a.node, b.node));
  for (const rec of ordered) for (const p of rec.report?.prepull ?? []) add(p.image);
  for (const image of extraImages) add(image);

  const images = [...spelled.entries()].sort((a, b) => compareText(a[1], b[1]));
  const cells: CoverageCell[] = [];
  const complete: CoverageView["complete"] = images.map(([, image]) => ({ image, presentOn: 0, of: ordered.length, unknownOn: 0 }));

  // Each node's prepull list once, by canonical image.
  const perNode = ordered.map((rec) => {
    const byImage = new Map<string, { state: string; cause: string }>();
    for (const p of rec.report?.prepull ?? []) {
      const key = canonical(p.image);
      if (!byImage.has(key)) byImage.set(key, { state: p.state, cause: p.cause });
    }
    return { rec, byImage, blind: rec.report === undefined || isStale(rec, now) };
  });

  images.forEach(([key, image], i) => {
    const totals = complete[i]!;
    for (const { rec, byImage, blind } of perNode) {
      const cell: CoverageCell = { image, node: rec.node, state: "unknown" };
      if (!blind) {
        const p = byImage.get(key);
        if (p === undefined) cell.state = "missing";
        else {
          cell.state = KNOWN_STATES.has(p.state) ? (p.state as CoverageState) : "unknown";
          if (p.cause !== "") cell.cause = p.cause;
        }
      }
      if (cell.state === "present") totals.presentOn++;
      else if (cell.state === "unknown") totals.unknownOn++;
      cells.push(cell);
    }
  });
  return { images: images.map(([, image]) => image), nodes: ordered.map((r) => r.node), cells, complete };
}

/** Cluster pre-pulls whose images count as critical, the most recent first. */
const RECENT_PREPULLS = 5;

export const coverageApi = defineView({
  name: "coverage",
  path: "/api/v1/coverage",
  compute: ({ state, store, now, options }) => {
    // Images of recent cluster pre-pulls count as critical too, next to the agents' own lists.
    const extra = [
      ...new Set(
        store
          .latestCommands(RECENT_PREPULLS)
          .filter((c) => c.plan.length > 0)
          .flatMap((c) => c.images),
      ),
    ];
    return { ...coverageView(state.nodes(), now, extra, options) };
  },
});
