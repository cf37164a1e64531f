import { DEFAULT_PRUNE_POLICY, type ImageUsage, type PruneImage, type PruneInput, type PrunePolicy } from "../../agent/prune/index.js";
import type { ImageUser } from "../../agent/runtime/index.js";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const CAPACITY = 1_000_000;

/** An image unused by anything, named by one tag; `id` doubles as a readable label. */
export function image(id: string, tag: string | undefined, extra: Partial<PruneImage> = {}): PruneImage {
  return {
    id,
    repoTags: tag === undefined ? [] : [tag],
    repoDigests: [],
    sizeBytes: 10_000,
    pinned: false,
    sandbox: false,
    usedBy: [],
    ...extra,
  };
}

export function user(state: ImageUser["state"], pod = "web-7d9f", namespace = "shop", container = "nginx"): ImageUser {
  return { containerId: `c-${pod}-${container}`, container, pod, namespace, state };
}

/** The image filesystem at `usedPercent` of CAPACITY, by kubelet's measure. */
export function disk(usedPercent: number): { capacityBytes: number; availableBytes: number } {
  return { capacityBytes: CAPACITY, availableBytes: Math.round((CAPACITY * (100 - usedPercent)) / 100) };
}

export function unusedFor(ms: number): ImageUsage {
  return { firstSeen: NOW - ms - 30 * DAY, lastUsed: NOW - ms };
}

export function input(
  images: PruneImage[],
  usage: Record<string, ImageUsage>,
  extra: Omit<Partial<PruneInput>, "policy"> & { policy?: Partial<PrunePolicy> } = {},
): PruneInput {
  const { policy, ...rest } = extra;
  return {
    images,
    usage,
    prepull: [],
    disk: disk(95),
    now: NOW,
    ...rest,
    policy: { ...DEFAULT_PRUNE_POLICY, ...policy },
  };
}
