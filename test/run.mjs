// Runs every *.test.ts under test/ with Node's own runner (tsx for TypeScript).
// Node 20's --test does not expand globs, so the files are listed here.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const only = process.argv.slice(2);

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === "bench" ? [] : find(p);
    return e.name.endsWith(".test.ts") ? [relative(root, p)] : [];
  });
}

const files = find(join(root, "test"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${only.join(" ")}`);
  process.exit(2);
}
const args = ["--import", "tsx", "--test", "--test-concurrency=2", "--test-timeout=300000", ...files];
const run = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
process.exit(run.status ?? 1);
