// npm run build: dist/cli/main.js, the `pullmedic` command, bundled by esbuild after tsc has
// type-checked the sources (tsc emits nothing: esbuild writes dist/).
//
// Why a bundle: a one-shot verb spent most of its time opening, reading and compiling some 150 of
// our modules one by one; in a bundle they are a few files. It is split at every dynamic import
// (each verb's implementation, the agent, the aggregator, gRPC's loaders), so --help and explain
// still load none of the agent, the aggregator, gRPC, the HTTP client or the logger: those chunks
// load only when a verb asks for them. Packages stay in node_modules (better-sqlite3 is native;
// lazyModule() loads the others by name when first used), so they are loaded as before.
//
// dist/cli/main.js stays where the bin, the Dockerfile and npm start look for it; the chunks go to
// dist/chunks/. findPackageRoot() walks up from a chunk to package.json, proto/ and aggregator/web/.
import { chmodSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");

rmSync(dist, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { "cli/main": "cli/main.ts" },
  outdir: dist,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  // The oldest Node the engines field allows: the bundle runs on 20 and on the 26 the image ships.
  target: "node20.18",
  packages: "external",
  chunkNames: "chunks/[name]-[hash]",
  // A chunk named after the module it starts with (an index.ts makes an empty name).
  entryNames: "[dir]/[name]",
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
});
chmodSync(join(dist, "cli", "main.js"), 0o755);

const outputs = Object.entries(result.metafile.outputs);
const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0);
console.log(`dist/: ${outputs.length} files, ${Math.round(bytes / 1024)} KiB (cli/main.js and its chunks)`);
