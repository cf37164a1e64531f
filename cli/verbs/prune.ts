import { JSON_OUTPUT, criEndpoint, stateFile, timeoutSeconds } from "../options.js";
import type { PruneFlags } from "../prune.js";
import type { Verb } from "../verb.js";

export const prune: Verb<[], PruneFlags> = {
  name: "prune",
  summary: "remove unused images by policy: watermarks, minimum age, protected list (try --dry-run first)",
  description:
    "Remove unused images by policy (try --dry-run first).\n\n" +
    "Works like kubelet's image GC, with the protections it lacks. When the image\n" +
    "filesystem is at least --high full, removes images least recently used first\n" +
    "until it would be under --low. Never removes a pinned image, the sandbox (pause)\n" +
    "image, an image any container uses (running, created or exited), a --protect\n" +
    "match, or an image unused for less than --min-age. Image ages are kept in\n" +
    "--state-file across restarts; a dry run only reads it.\n" +
    "Exit 0 when done, 1 when an image could not be removed.",
  options: [
    { flags: "--dry-run", description: "show the plan; remove nothing and write nothing" },
    { flags: "--force", description: "act as if the disk were past --high: down to --low, or, already under it, every image the rules allow" },
    { flags: "--high <percent>", description: "start pruning at this image filesystem usage, 1-99 (default: 80)" },
    { flags: "--low <percent>", description: "stop once usage would be under this, below --high (default: 70)" },
    { flags: "--min-age <duration>", description: "keep images unused for less than this, e.g. 30m, 24h, 7d (default: 24h)" },
    { flags: "--max-age <duration>", description: "remove images unused for longer than this even under --high (default: off)" },
    { flags: "--protect <pattern>", description: "never remove: repo:tag, repo:* or registry/* (repeatable)", repeatable: true },
    stateFile("where image ages are kept (default: /var/lib/pullmedic/state.json)"),
    criEndpoint(),
    timeoutSeconds("runtime call"),
    JSON_OUTPUT,
  ],
  run: async ({ flags, env }) => (await import("../prune.js")).pruneVerb(flags, env),
};
