#!/usr/bin/env node
// The `pullmedic` command: everything lives in cli/, this file only runs it.
import { setFlagsFromString } from "node:v8";

// A one-shot verb parses a handful of HTTP answers with undici's llhttp WebAssembly. V8 would
// also recompile that module with its optimizing tier in the background, and the process waits
// ~200 ms for it at exit (measured: 0.46 s → 0.32 s wall for a request loop). Baseline code is
// plenty for a CLI; a long-running daemon keeps the optimizing tier.
if (process.argv[2] !== "agent") setFlagsFromString("--liftoff-only");

const { main } = await import("./cli/index.js");
const { redactText } = await import("./log.js");

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pullmedic: internal error: ${redactText(String(err))}\n`);
    process.exitCode = 1;
  },
);
