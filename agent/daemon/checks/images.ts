import type { ImagesFinding } from "../../report/index.js";
import { type NodeImages, readNodeImages } from "../../runtime/index.js";
import { errorText } from "../error-text.js";
import { type Check, periodic } from "./check.js";
import type { CheckContext } from "./context.js";

const USAGE_SAVE_EVERY_MS = 5 * 60_000;

/** The node's images as the runtime lists them; keeps when each was last used, for prune. */
export function imagesCheck(ctx: CheckContext): Check {
  const { config, runtime, usage, log, facts } = ctx;
  let savedSize = -1;
  let savedAt = 0;
  return periodic(ctx.recorder, {
    name: "images",
    schedule: { every: config.images.interval },
    work: async () => readNodeImages(await runtime.get()),
    // The finding stored is a summary: the full list would make /v1/state grow with the node.
    keep: imagesFinding,
    describe: (node) => {
      const f = imagesFinding(node);
      return `${f.count} images, ${f.inUse} in use, sandbox image ${f.sandboxImage ?? "unknown"}`;
    },
    after: async (node) => {
      if (!node) return;
      facts.images = node;
      const now = Date.now();
      usage.observe(node.images, now);
      // In-use images get a new last-used time every round; writing (and fsyncing) that every 30 s
      // buys nothing. New or removed images are saved at once, time alone every few minutes.
      if (usage.size !== savedSize || now - savedAt >= USAGE_SAVE_EVERY_MS) {
        await usage.save().then(
          () => {
            savedSize = usage.size;
            savedAt = now;
          },
          (err: unknown) => log.warn(`cannot save image ages to ${config.stateFile}: ${errorText(err)}`),
        );
      }
    },
  });
}

function imagesFinding(node: NodeImages): ImagesFinding {
  return {
    count: node.images.length,
    bytes: node.images.reduce((s, i) => s + i.sizeBytes, 0),
    inUse: node.images.filter((i) => i.usedBy.length > 0).length,
    pinned: node.images.filter((i) => i.pinned).length,
    sandboxImage: node.sandboxImage ?? null,
  };
}
