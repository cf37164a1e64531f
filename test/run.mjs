// Runs the *.test.ts files under test/ with Node's own runner (tsx for TypeScript).
// Node 20's --test does not expand globs, so the files are listed here.
//
//   node test/run.mjs [--unit | --lab] [substring...]
//
// A file named *.lab.test.ts needs the lab: it starts containerd, a registry, Chromium or network
// namespaces, or needs root and the lab's Debian packages. Every other test file needs none of
// that. --unit runs only those, --lab only the lab's; without either, all. Substrings narrow the
// choice to files whose path contains one of them.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const kinds = new Set(args.filter((a) => a === "--unit" || a === "--lab"));
const unknown = args.filter((a) => a.startsWith("--") && !kinds.has(a));
if (unknown.length || kinds.size > 1) {
  console.error(`usage: node test/run.mjs [--unit | --lab] [substring...]`);
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
const run = spawnSync(process.execPath, nodeArgs, { cwd: root, stdio: "inherit" });
process.exit(run.status ?? 1);
