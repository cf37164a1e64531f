import type { RuntimeClient } from "./client.js";
import type { VersionInfo } from "./types.js";
import { buildImageViews, type ImageView, sandboxImageFromStatusInfo } from "./view.js";

export interface NodeImages {
  runtime: VersionInfo;
  /** As the runtime configures it; undefined when the runtime does not say. */
  sandboxImage: string | undefined;
  images: ImageView[];
}

/** One consistent read of the runtime: images, containers, sandboxes and the sandbox image. */
export async function readNodeImages(client: RuntimeClient): Promise<NodeImages> {
  const [runtime, images, containers, sandboxes, status] = await Promise.all([
    client.version(),
    client.listImages(),
    client.listContainers(),
    client.listPodSandboxes(),
    client.status(true),
  ]);
  const sandboxImage = sandboxImageFromStatusInfo(status.info);
  return { runtime, sandboxImage, images: buildImageViews(images, containers, sandboxes, sandboxImage) };
}
