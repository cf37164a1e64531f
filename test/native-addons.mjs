// Preloaded (NODE_OPTIONS=--import) by `node test/run.mjs --node <binary>` into every process of a
// test run on a second Node.js: node_modules holds better-sqlite3 built for the Node that ran
// `npm ci`, and a native module loads only in the Node it was built for. When
// scripts/native-build.mjs made a copy for this process's NODE_MODULE_VERSION, `better-sqlite3`
// resolves to that copy; otherwise (the first Node, or a Node without hooks) nothing changes.

import { existsSync } from "node:fs";
import * as nodeModule from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const root = new URL("..", import.meta.url).pathname;
// The folder scripts/native-build.mjs writes.
const copy = join(root, "node_modules", ".cache", "pullmedic-native", `abi${process.versions.modules}`, "better-sqlite3");

if (typeof nodeModule.registerHooks === "function" && existsSync(join(copy, "built-for.json"))) {
  const entry = pathToFileURL(join(copy, "lib", "index.js")).href;
  nodeModule.registerHooks({
    resolve(specifier, context, nextResolve) {
      return specifier === "better-sqlite3" ? { url: entry, format: "commonjs", shortCircuit: true } : nextResolve(specifier, context);
    },
  });
}
