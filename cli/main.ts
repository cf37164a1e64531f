#!/usr/bin/env node
// The `pullmedic` command: everything lives in cli/, this file only runs it.
import { setFlagsFromString } from "node:v8";

// undici parses HTTP with llhttp, a WebAssembly module. By default V8 compiles it twice, the
// second time with its optimizing tier in the background: a one-shot verb then waits ~200 ms for
// that at exit (0.46 s → 0.32 s wall measured for a request loop), and a long-running agent keeps
// both compilations (~9 MB resident measured). The baseline tier parses a registry's few answers
// a minute just as well.
setFlagsFromString("--liftoff-only");

// `pullmedic diagnose … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
    throw err;
  });
}

const { main } = await import("./index.js");
const { terminalText } = await import("./render.js");

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pullmedic: internal error: ${terminalText(String(err))}\n`);
    process.exitCode = 1;
  },
);
