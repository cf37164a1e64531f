import { tryParseReference } from "../../core/image/index.js";
import type { ContainerState, CriContainer, CriImage, CriPodSandbox } from "./types.js";

/** A container that keeps an image in use, named the way a person finds it with kubectl. */
export interface ImageUser {
  containerId: string;
  container: string;
  pod: string | undefined;
  namespace: string | undefined;
  state: ContainerState;
}

/** One image on the node, joined with what uses it. */
export interface ImageView {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  sizeBytes: number;
  /** The runtime asks that the image never be garbage-collected. */
  pinned: boolean;
  /** The pod sandbox ("pause") image: every pod needs it, whether or not the runtime pins it. */
  sandbox: boolean;
  /** Containers (created, running or exited) whose image this is. */
  usedBy: ImageUser[];
}

/**
 * Joins images with containers and sandboxes. A container names its image by ID on containerd,
 * but by tag or digest on other runtimes, so every identifier is tried. Exited containers count:
 * kubelet needs their image to restart them.
 */
export function buildImageViews(images: CriImage[], containers: CriContainer[], sandboxes: CriPodSandbox[], sandboxImage: string | undefined): ImageView[] {
  const byKey = new Map<string, number>();
  images.forEach((img, index) => {
    for (const key of [img.id, ...img.repoTags, ...img.repoDigests]) byKey.set(key, index);
  });
  const users: ImageUser[][] = images.map(() => []);
  const sandboxById = new Map(sandboxes.map((s) => [s.id, s]));
  for (const c of containers) {
    const index = [c.imageId, c.imageRef, c.image?.image, c.image?.userSpecifiedImage]
      .filter((k): k is string => !!k)
      .map((k) => byKey.get(k))
      .find((i) => i !== undefined);
    if (index === undefined) continue;
    const sandbox = sandboxById.get(c.podSandboxId);
    users[index]?.push({
      containerId: c.id,
      container: c.metadata?.name ?? c.labels["io.kubernetes.container.name"] ?? c.id.slice(0, 13),
      pod: sandbox?.metadata?.name ?? c.labels["io.kubernetes.pod.name"],
      namespace: sandbox?.metadata?.namespace ?? c.labels["io.kubernetes.pod.namespace"],
      state: c.state,
    });
  }
  const sandboxIndex = sandboxImage === undefined ? undefined : (byKey.get(sandboxImage) ?? byKey.get(normalized(sandboxImage)));
  return images.map((img, index) => ({
    id: img.id,
    repoTags: [...img.repoTags],
    repoDigests: [...img.repoDigests],
    sizeBytes: Number(img.size),
    pinned: img.pinned,
    sandbox: index === sandboxIndex,
    usedBy: users[index] ?? [],
  }));
}

/**
 * containerd before 1.7.3 does not pin its sandbox image; its effective config, in the verbose
 * Status info, names it (1.x: `sandboxImage`; 2.x: `pinnedImages.sandbox`, when present).
 */
export function sandboxImageFromStatusInfo(info: Record<string, string>): string | undefined {
  const raw = info["config"];
  if (!raw) return undefined;
  let config: unknown;
  try {
    config = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof config !== "object" || config === null) return undefined;
  const c = config as { sandboxImage?: unknown; pinnedImages?: { sandbox?: unknown } };
  if (typeof c.sandboxImage === "string" && c.sandboxImage) return c.sandboxImage;
  const pinned = c.pinnedImages?.sandbox;
  return typeof pinned === "string" && pinned ? pinned : undefined;
}

/** Config files may name the sandbox image in short form ("pause:3.6"); runtimes store it in full. */
function normalized(image: string): string {
  const ref = tryParseReference(image);
  return ref instanceof Error ? image : ref.normalized;
}
