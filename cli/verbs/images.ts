import { RUNTIME_READ_OPTIONS, type JsonFlag } from "../options.js";
import type { RuntimeFlags } from "../runtime-options.js";
import type { Verb } from "../verb.js";

const summary = "list the node's images: tags, digests, size, pinned, which containers use them";

export const images: Verb<[], RuntimeFlags & JsonFlag> = {
  name: "images",
  summary,
  description:
    `${summary}\n\n` +
    "Joins the runtime's images with its containers (running and exited) and pod sandboxes, so each\n" +
    "image shows whether it is in use, pinned by the runtime, or the sandbox (pause) image.",
  options: RUNTIME_READ_OPTIONS,
  run: async ({ flags, env }) => (await import("../images.js")).imagesVerb(flags, env),
};
