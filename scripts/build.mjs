// npm run build: dist/cli/main.js, the `pullmedic` command, bundled by esbuild after tsc has
// type-checked the sources (tsc emits nothing: esbuild writes dist/).
//
// Why a bundle: a one-shot verb spent most of its start opening, reading and compiling our modules
// one by one (explain: 77 of them). The bundle is split at every dynamic import (each verb's
// implementation, the agent, the aggregator), so --help and explain still load none of the agent,
// the aggregator, gRPC, the HTTP client or the logger: those chunks load only when a verb asks for
// them. Two rewrites, in the bundle only, keep a verb from loading what it does not use: imports
// through a room's door go to the module behind it (roomsFlattened), and Node's built-ins are
// taken from process.getBuiltinModule() rather than imported (builtinsFromProcess). And what every
// run loads, then what explain loads, are one chunk each rather than one per combination of verbs
// sharing them (layersMerged): explain reads 5 files, not 27. Packages stay in
// node_modules (better-sqlite3 is native; lazyModule() loads the others by name when first used),
// commander excepted (packagesExternalButCommander).
//
// dist/cli/main.js stays where the bin, the Dockerfile and npm start look for it; the chunks go to
// dist/chunks/. findPackageRoot() walks up from a chunk to package.json, proto/ and aggregator/web/.
import { chmodSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { build } from "esbuild";
import { writeProtoDescriptors } from "./proto-descriptors.js";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");
const sourceDirs = ["core", "agent", "aggregator", "cli"].map((d) => join(root, d));

// What every `pullmedic` run loads (the program, its verbs' declarations, commander, the logger),
// then what explain loads: each made one chunk (layersMerged).
const LAYER_SEEDS = ["cli/index.ts", "cli/explain.ts"];

const options = {
  absWorkingDir: root,
  // The view thread's entry too: a worker thread is started from a file (aggregator/view-thread).
  entryPoints: { "cli/main": "cli/main.ts", "cli/kubectl-pullmedic": "cli/kubectl-pullmedic.ts", "aggregator/view-thread": "aggregator/view-thread/worker.ts" },
  outdir: dist,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  // The oldest Node the engines field allows: the bundle runs on 20 and on the 26 the image ships.
  target: "node20.18",
  chunkNames: "chunks/[name]-[hash]",
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
};
// A first build, not written, for the module graph the layers are read from.
const graph = await build({ ...options, write: false, plugins: [packagesExternalButCommander(), roomsFlattened(), builtinsFromProcess()] });
const layers = layersOf(graph.metafile, LAYER_SEEDS);
rmSync(dist, { recursive: true, force: true });
const result = await build({
  ...options,
  plugins: [layersMerged(layers), packagesExternalButCommander(), roomsFlattened(layerImports(graph.metafile, layers)), builtinsFromProcess()],
});
for (const bin of ["main.js", "kubectl-pullmedic.js"]) chmodSync(join(dist, "cli", bin), 0o755);
// The gRPC contracts, parsed now rather than at each start (core/protocol/grpc-package.ts).
const descriptors = writeProtoDescriptors(root, dist);

const outputs = Object.entries(result.metafile.outputs);
const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0);
console.log(
  `dist/: ${outputs.length} files, ${Math.round(bytes / 1024)} KiB (cli/main.js, cli/kubectl-pullmedic.js and their chunks), ${descriptors} proto descriptors`,
);

/**
 * Node's built-in modules taken from process.getBuiltinModule() (Node 20.16+) instead of imported.
 * An ES module importing a built-in gets a facade whose creation reads every export of it,
 * getters included: on Node 26 `import { STATUS_CODES } from "node:http"` so loads Node's internal
 * undici for http's WebSocket getter (about 90 ms of explain's start), and node:crypto's
 * webcrypto, node:fs's streams and others load that way too. Each import declaration of our
 * sources becomes, in the bundle only, a destructuring of the names it imports
 * (builtinImportsInlined), in the module itself: a stand-in module per built-in would be one more
 * chunk for every verb to find, read and link. The bundled commander's require() calls get the
 * built-in the same way, and its child_process, which it needs only for executable subcommands (we
 * have none) and which loads net, dgram and streams, only when touched.
 */
function builtinsFromProcess() {
  const get = (id) => `process.getBuiltinModule(${JSON.stringify(id)})`;
  return {
    name: "builtins-from-process",
    setup(b) {
      b.onResolve({ filter: /^node:/ }, (args) => {
        if (args.kind === "require-call") return { path: args.path, namespace: "builtin-required" };
        if (args.kind === "import-statement" && args.namespace === "file" && sourceDirs.some((d) => args.importer.startsWith(`${d}/`)))
          throw new Error(`${args.importer}: import from ${args.path} that builtinImportsInlined did not rewrite`);
        return { path: args.path, external: true };
      });
      b.onLoad({ filter: /.*/, namespace: "builtin-required" }, (args) => ({
        loader: "js",
        contents:
          args.path === "node:child_process"
            ? `let loaded; module.exports = new Proxy({}, { get: (_, name) => (loaded ??= ${get(args.path)})[name] });`
            : `module.exports = ${get(args.path)};`,
      }));
    },
  };
}

/** `import a, { b, c as d } from "node:x";` as `const a = process.getBuiltinModule("node:x"); const { b, c: d } = a;`. */
function builtinImportsInlined(text, file) {
  return text.replace(/^import\s+(?!type\b)([^;]*?)\s+from\s+"(node:[^"]+)";/gms, (_, clause, mod) => {
    const braces = /\{([^}]*)\}/.exec(clause);
    const head = clause
      .replace(/\{[^}]*\}/, "")
      .replace(/,\s*$/, "")
      .trim();
    if (head.startsWith("* as")) throw new Error(`${file}: import * from ${mod}: name the imports, or teach scripts/build.mjs namespaces`);
    const names = (braces?.[1].split(",") ?? [])
      .map((part) => part.trim())
      .filter((part) => part && !part.startsWith("type "))
      .map((part) => part.split(/\s+as\s+/).join(": "));
    const builtin = `process.getBuiltinModule(${JSON.stringify(mod)})`;
    if (!head) return names.length ? `const { ${names.join(", ")} } = ${builtin};` : "";
    return `const ${head} = ${builtin};${names.length ? ` const { ${names.join(", ")} } = ${head};` : ""}`;
  });
}

/**
 * Packages stay in node_modules and load as they always did, but commander: every verb, --help
 * included, starts by loading it, and bundled it is one file less to find and read, and its
 * child_process can wait (builtinsFromProcess).
 */
function packagesExternalButCommander() {
  return {
    name: "packages-external-but-commander",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) =>
        args.path.startsWith("node:") || args.path === "commander" ? undefined : { path: args.path, external: true },
      );
    },
  };
}

/**
 * Imports through a room's door (an index.ts made only of re-exports) rewritten, in the bundle
 * only, to import each name from the module that defines it. esbuild splits code by files, so a
 * verb importing one function through a door loaded every module behind it: explain, which needs
 * the message rules, loaded the registry client, the network probes and the pipeline of diagnose
 * behind agent/diagnose/index.ts, and the Node built-ins they use. The sources keep the doors
 * (test/architecture checks them); a name the door does not re-export fails the build.
 */
function roomsFlattened(prefixOf = () => "") {
  const doors = new Map(); // index.ts path → Map(name → { file, name }) | null when not only re-exports
  const door = (file) => {
    if (!doors.has(file)) doors.set(file, readDoor(file));
    return doors.get(file);
  };
  // A door's value names, each followed through inner doors to the module defining it.
  const readDoor = (file) => {
    const text = readFileSync(file, "utf8").replace(/^\s*\/\/.*$/gm, "");
    const statements = text
      .split(";")
      .map((x) => x.trim())
      .filter(Boolean);
    const names = new Map();
    for (const st of statements) {
      if (/^export\s+type\s/.test(st)) continue;
      const m = /^export\s*\{([^}]*)\}\s*from\s*"(\.[^"]+)"$/s.exec(st);
      if (!m) return null;
      const from = resolve(dirname(file), m[2].replace(/\.js$/, ".ts"));
      for (const part of m[1]
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean)) {
        if (part.startsWith("type ")) continue;
        const [orig, alias = orig] = part.split(/\s+as\s+/);
        const inner = from.endsWith("/index.ts") ? door(from) : null;
        names.set(alias, inner?.get(orig) ?? { file: from, name: orig });
      }
    }
    return names;
  };
  return {
    name: "rooms-flattened",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!sourceDirs.some((d) => args.path.startsWith(`${d}/`))) return undefined;
        const text = readFileSync(args.path, "utf8");
        const contents = text.replace(/^import\s*\{([^}]*)\}\s*from\s*"(\.[^"]*\/index\.js)";/gms, (whole, clause, spec) => {
          const names = door(resolve(dirname(args.path), spec.replace(/\.js$/, ".ts")));
          if (!names) return whole;
          const bySource = new Map();
          const kept = [];
          for (const part of clause
            .split(",")
            .map((x) => x.trim())
            .filter(Boolean)) {
            if (part.startsWith("type ")) continue;
            const [name, local = name] = part.split(/\s+as\s+/);
            const target = names.get(name);
            if (!target) {
              kept.push(part); // a type imported without `type`, or a mistake esbuild will name
              continue;
            }
            const list = bySource.get(target.file) ?? [];
            list.push(target.name === local ? local : `${target.name} as ${local}`);
            bySource.set(target.file, list);
          }
          const lines = [...bySource].map(([file, list]) => {
            const rel = relative(dirname(args.path), file).replace(/\.ts$/, ".js");
            return `import { ${list.join(", ")} } from "${rel.startsWith(".") ? rel : `./${rel}`}";`;
          });
          if (kept.length) lines.push(`import { ${kept.join(", ")} } from "${spec}";`);
          return lines.join("\n");
        });
        return { contents: prefixOf(args.path) + builtinImportsInlined(contents, args.path), loader: "ts", resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * Layers of modules that load together, each made one chunk. esbuild puts modules in the same
 * chunk only when the same entry points reach them, and every verb's implementation is an entry
 * (a dynamic import), so what every run loads was cut into a chunk per combination of verbs that
 * share it: explain found, read and linked 27 files, at about half a millisecond each. A layer is
 * the modules a seed imports, directly or not, less those of the layers before it; a module
 * outside the layer that imports one inside it also imports, first, a module importing the whole
 * layer (layerImports). Then any entry reaching one module of a layer reaches them all, and esbuild
 * makes the layer one chunk. A module is still evaluated only after the modules it imports, and a
 * layer imports nothing outside itself and the layers before it: evaluation order moves only in
 * that a layer's modules all evaluate as soon as one of them is needed, which changes nothing for
 * `pullmedic` (its first import is the first layer) and little for the verbs sharing explain's.
 */
function layersOf(metafile, seeds) {
  const dynamicTargets = new Set(Object.values(metafile.inputs).flatMap((i) => i.imports.filter((x) => x.kind === "dynamic-import").map((x) => x.path)));
  const taken = new Set();
  return seeds.map((seed, n) => {
    const members = new Set();
    const visit = (file) => {
      for (const x of metafile.inputs[file]?.imports ?? []) {
        if (x.external || x.kind === "dynamic-import" || taken.has(x.path) || members.has(x.path) || x.path === seed) continue;
        if (dynamicTargets.has(x.path)) throw new Error(`layer of ${seed}: ${x.path} is also imported dynamically, so esbuild cannot merge it`);
        members.add(x.path);
        visit(x.path);
      }
    };
    visit(seed);
    for (const m of members) taken.add(m);
    return { name: `layer-${n}`, seed, members };
  });
}

/** For each source file outside a layer importing a module inside it: the import of that layer, first. */
function layerImports(metafile, layers) {
  return (path) => {
    const imported = new Set((metafile.inputs[relative(root, path)]?.imports ?? []).filter((x) => x.kind !== "dynamic-import").map((x) => x.path));
    return layers
      .filter((l) => !l.members.has(relative(root, path)) && [...imported].some((x) => l.members.has(x)))
      .map((l) => `import "pullmedic-layer:${l.name}";\n`)
      .join("");
  };
}

/** A layer's module: imports of its source files (the packages and built-ins in it follow from them). */
function layersMerged(layers) {
  return {
    name: "layers-merged",
    setup(b) {
      b.onResolve({ filter: /^pullmedic-layer:/ }, (args) => ({ path: args.path.slice("pullmedic-layer:".length), namespace: "pullmedic-layer" }));
      b.onLoad({ filter: /.*/, namespace: "pullmedic-layer" }, (args) => {
        const layer = layers.find((l) => l.name === args.path);
        const files = [...(layer?.members ?? [])].map((m) => join(root, m)).filter((f) => sourceDirs.some((d) => f.startsWith(`${d}/`)));
        return { loader: "js", contents: files.map((f) => `import ${JSON.stringify(f)};`).join("\n"), resolveDir: root };
      });
    },
  };
}
