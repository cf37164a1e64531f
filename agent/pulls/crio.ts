// Without a content store to read (CRI-O has no API for pulls in flight), what can be known: the
// pods waiting for each image and since when, and, while exactly one image is being waited for,
// how much the image filesystem grew since the wait began.

import { registryOfImage } from "../../core/image/index.js";
import type { WaitingContainer } from "./match.js";
import type { PullInFlight, PullsView } from "./view.js";

/** Image → when the first wait for it was seen; the key "\0fs" holds the filesystem's baseline. */
export type CrioWaits = Map<string, number>;
const BASELINE = "\0fs";

export function crioView(
  waits: readonly WaitingContainer[],
  seen: CrioWaits,
  imageFsUsed: number | undefined,
  now: number,
  why: string,
): Omit<PullsView, "registries"> {
  const byImage = new Map<string, WaitingContainer[]>();
  for (const w of waits) byImage.set(w.image, [...(byImage.get(w.image) ?? []), w]);
  for (const image of [...seen.keys()]) if (image !== BASELINE && !byImage.has(image)) seen.delete(image);
  for (const image of byImage.keys()) if (!seen.has(image)) seen.set(image, now);
  // The filesystem's growth says something only while one pull can be causing it.
  if (byImage.size !== 1 || imageFsUsed === undefined) seen.delete(BASELINE);
  else if (!seen.has(BASELINE)) seen.set(BASELINE, imageFsUsed);
  const grown = seen.has(BASELINE) && imageFsUsed !== undefined ? Math.max(0, imageFsUsed - (seen.get(BASELINE) ?? imageFsUsed)) : 0;
  const pulls = [...byImage].map(([image, waiting]): PullInFlight => {
    const startedAt = seen.get(image) ?? now;
    return {
      image,
      registry: registryOfImage(image),
      manifest: "",
      pods: [...new Set(waiting.map((w) => w.pod))].sort(),
      waiting,
      bytesDone: grown,
      bytesTotal: 0,
      layersDone: 0,
      layersTotal: 0,
      bytesPerSecond: now > startedAt ? (grown * 1000) / (now - startedAt) : 0,
      etaSeconds: undefined,
      percent: 0,
      startedAt,
      elapsedMs: now - startedAt,
      stalled: false,
      idleMs: 0,
    };
  });
  const note = `${why}: the runtime has no API for pulls in flight, so there is no percent, ETA or stall; shown are the pods waiting for each image, for how long, and while one image is pulled, the image filesystem's growth since the wait began`;
  return { source: "unavailable", note, pulls };
}
