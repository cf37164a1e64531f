// What the node already has for an image, as the runtime reports it.

import type { ImageReference } from "../../core/image/index.js";
import type { RuntimeClient } from "../runtime/index.js";

export interface LocalImage {
  present: boolean;
  /** Digests of this repository the image was pulled by ("sha256:…"), from the runtime's repo digests. */
  digests: string[];
  bytes: number | undefined;
}

export async function localImage(client: RuntimeClient, image: string, ref: ImageReference): Promise<LocalImage> {
  const status = await client.imageStatus(image);
  const found = status.image;
  if (found === null) return { present: false, digests: [], bytes: undefined };
  // One image can carry digests of several repositories (same bytes pushed twice); only this one's count.
  const name = `${ref.domain}/${ref.path}`;
  const digests: string[] = [];
  for (const repoDigest of found.repoDigests) {
    const at = repoDigest.lastIndexOf("@");
    if (at > 0 && repoDigest.slice(0, at) === name) digests.push(repoDigest.slice(at + 1));
  }
  const bytes = Number(found.size);
  return { present: true, digests, bytes: Number.isFinite(bytes) && bytes >= 0 ? bytes : undefined };
}
