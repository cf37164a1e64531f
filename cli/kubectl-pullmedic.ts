#!/usr/bin/env node
// `kubectl pullmedic …`: kubectl runs any executable named kubectl-pullmedic on PATH as its
// `pullmedic` subcommand, passing the arguments after it. This file only runs the plugin's program.

for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
    throw err;
  });
}

const { main } = await import("./index.js");
const { KUBECTL_PLUGIN } = await import("./kubectl-verbs.js");
const { redactText } = await import("../core/log/index.js");

main(process.argv.slice(2), process.env, KUBECTL_PLUGIN).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`kubectl pullmedic: internal error: ${redactText(String(err))}\n`);
    process.exitCode = 1;
  },
);
