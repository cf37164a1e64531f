import { RUNTIME_READ_OPTIONS, type JsonFlag } from "../options.js";
import type { RuntimeFlags } from "../runtime-options.js";
import type { Verb } from "../verb.js";

const summary = "this node at a glance, once: runtime health, images and disk";

export const status: Verb<[], RuntimeFlags & JsonFlag> = {
  name: "status",
  summary,
  description: `${summary}\n\nOne read of the runtime's conditions, its images and its image filesystem.`,
  options: RUNTIME_READ_OPTIONS,
  run: async ({ flags, env }) => (await import("../status.js")).statusVerb(flags, env),
};
