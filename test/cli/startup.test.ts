import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

// --help and explain are what a person types first: they must not pay for gRPC, the HTTP client or
// the logger, which take tens of milliseconds each to load. The verbs are declared as data and
// each imports its implementation only when it runs; this test holds that in place.

const root = new URL("../..", import.meta.url).pathname;
const HEAVY = ["@grpc/grpc-js", "undici", "winston"];

// Module hooks that note every module the CLI imports (ES modules through the resolve hook; the
// CommonJS packages, grpc-js, undici and winston among them, from require's cache at exit).
const NOTE_IMPORTS = dataUrl(`
  import { appendFileSync } from "node:fs";
  export async function resolve(specifier, context, next) {
    const resolved = await next(specifier, context);
    appendFileSync(process.env.LOADED_OUT, resolved.url + "\\n");
    return resolved;
  }`);
const PRELOAD = dataUrl(`
  import { createRequire, register } from "node:module";
  import { appendFileSync } from "node:fs";
  register(${JSON.stringify(NOTE_IMPORTS)});
  const cache = createRequire(process.cwd() + "/").cache;
  process.on("exit", () => appendFileSync(process.env.LOADED_OUT, Object.keys(cache).join("\\n") + "\\n"));`);

function dataUrl(source: string): string {
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

/** The files a run of the CLI loaded, relative to the checkout, and the heavy packages among them. */
function loadedBy(args: string[], exitCode: number): { files: string[]; heavy: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "pullmedic-startup-"));
  try {
    const out = join(dir, "loaded.txt");
    const r = spawnSync(process.execPath, ["--import", "tsx", "--import", PRELOAD, join(root, "cli/main.ts"), ...args], {
      cwd: root,
      env: { ...process.env, CRI_ENDPOINT: "", LOADED_OUT: out },
      encoding: "utf8",
    });
    assert.equal(r.status, exitCode, `${args.join(" ")}: ${r.stderr}`);
    const loaded = readFileSync(out, "utf8").split("\n");
    const files = [
      ...new Set(
        loaded
          .map((l) => l.replace(/^file:\/\//, ""))
          .filter((f) => f.startsWith(root))
          .map((f) => f.slice(root.length)),
      ),
    ];
    return { files, heavy: HEAVY.filter((p) => loaded.some((f) => f.includes(`/node_modules/${p}/`))) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("--help loads the verbs' declarations only: nothing of the agent or the aggregator, no heavy package", () => {
  for (const args of [["--help"], ["prepull", "--help"], ["cluster", "prepull", "--help"]]) {
    const { files, heavy } = loadedBy(args, 0);
    assert.ok(files.includes("cli/verbs.ts"), files.join("\n"));
    assert.deepEqual(
      files.filter((f) => f.startsWith("agent/") || f.startsWith("aggregator/")),
      [],
      args.join(" "),
    );
    assert.deepEqual(heavy, [], args.join(" "));
  }
});

test("explain, answering or refusing, loads no gRPC, HTTP client or logger", () => {
  assert.deepEqual(loadedBy(["explain", "manifest unknown"], 0).heavy, []);
  assert.deepEqual(loadedBy(["explain", "--json", ""], 2).heavy, []);
});

test("a verb that talks HTTP loads the HTTP client when it runs (the checks above can see a load)", () => {
  const { files, heavy } = loadedBy(["quota", "--registry-url", "http://127.0.0.1:1", "--timeout", "1"], 1);
  assert.deepEqual(heavy, ["undici"]);
  assert.ok(files.includes("cli/quota.ts") && files.some((f) => f.startsWith("agent/")), files.join("\n"));
});
