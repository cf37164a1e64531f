#!/usr/bin/env node
// The `pullmedic` command: everything lives in cli/, this file only runs it.
import { main } from "./cli/index.js";
import { redactText } from "./log.js";

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pullmedic: internal error: ${redactText(String(err))}\n`);
    process.exitCode = 1;
  },
);
