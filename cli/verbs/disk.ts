import { RUNTIME_READ_OPTIONS, type JsonFlag } from "../options.js";
import type { RuntimeFlags } from "../runtime-options.js";
import type { Verb } from "../verb.js";

const summary = "show the image filesystem: runtime usage plus the host's capacity, free space and inodes";

export const disk: Verb<[], RuntimeFlags & JsonFlag> = {
  name: "disk",
  summary,
  description:
    `${summary}\n\n` +
    "Reads CRI ImageFsInfo for the image filesystem's mount point, then statfs(2) on it for capacity,\n" +
    "free bytes and inodes. Exits 1 when the disk is past kubelet's image GC threshold (85 %).",
  options: RUNTIME_READ_OPTIONS,
  run: async ({ flags, env }) => (await import("../disk.js")).diskVerb(flags, env),
};
