#!/usr/bin/env node
// The `pullmedic` command: everything lives in cli/, this file only runs it.
import nodeModule from "node:module";
import { join } from "node:path";

// `pullmedic diagnose … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
    throw err;
  });
}

enableCompileCache();
webAssemblyBaselineOnly();

// One import: the program and what it loads are one chunk of the bundle (scripts/build.mjs).
const { main, terminalText } = await import("./index.js");

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pullmedic: internal error: ${terminalText(String(err))}\n`);
    process.exitCode = 1;
  },
);

/**
 * Node 22.1+ keeps V8's compiled code of each module on disk and reuses it while the file is
 * unchanged: a one-shot verb then skips most of its compile time. The image names a cache warmed
 * at build time (NODE_COMPILE_CACHE, and Node has enabled it before this runs). Elsewhere the cache
 * lives in the user's own cache folder ($XDG_CACHE_HOME, else $HOME/.cache) rather than Node's
 * default in the shared /tmp, whose entries another user could have placed there. Only the built
 * CLI uses it: under tsx the sources change at every edit. NODE_DISABLE_COMPILE_CACHE=1 turns it
 * off; a folder that cannot be written leaves it off, silently. Node 20 has no compile cache.
 */
function enableCompileCache(): void {
  const enable = (nodeModule as { enableCompileCache?: (directory?: string) => unknown }).enableCompileCache;
  if (!enable || !import.meta.url.endsWith(".js") || process.env["NODE_COMPILE_CACHE"]) return;
  const cacheHome = process.env["XDG_CACHE_HOME"] || (process.env["HOME"] ? join(process.env["HOME"], ".cache") : undefined);
  if (cacheHome) enable(join(cacheHome, "pullmedic", "node-compile-cache"));
}

/**
 * undici parses HTTP with llhttp, a WebAssembly module. By default V8 compiles it twice, the
 * second time with its optimizing tier in the background: a one-shot verb then waits ~200 ms for
 * that at exit (0.46 s → 0.32 s wall measured for a request loop), and a long-running agent keeps
 * both compilations (~9 MB resident measured). The baseline tier parses a registry's few answers
 * a minute just as well. Set at every start, before any of our code loads (offline verbs and
 * --help too, ~2 ms): V8's code cache is keyed by its flags, so a chunk compiled once with the flag
 * and once without would be rejected by one of them in the image's compile cache (the Dockerfile
 * test checks that every entry is accepted).
 */
function webAssemblyBaselineOnly(): void {
  process.getBuiltinModule("node:v8").setFlagsFromString("--liftoff-only");
}
