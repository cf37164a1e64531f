// Fills a Node.js module compile cache (Node 22.1+) by running the built CLI the way people run it
// by hand, so the image's one-shot verbs start from V8's cached code instead of compiling every
// module again (the Dockerfile's build stage runs this; the image names the folder in
// NODE_COMPILE_CACHE):
//
//   node scripts/warm-compile-cache.mjs <folder>
//
// The cache is portable (NODE_COMPILE_CACHE_PORTABLE=1): entries are keyed by the module's path
// relative to the folder and not by user, so a folder made here by root next to dist/ and
// node_modules/ serves the same layout in the image, for root (the agent) and 65532 alike. An
// entry is used only by the same Node.js version with the same V8 flags, so every run here uses
// the image's ENTRYPOINT flags. The verbs run against a registry of this script's own on loopback
// and a socket where no runtime answers: no network is needed.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const [folderArg] = process.argv.slice(2);
if (!folderArg) {
  console.error("usage: node scripts/warm-compile-cache.mjs <folder>");
  process.exit(2);
}
const folder = resolve(folderArg);
// The flags of the Dockerfile's ENTRYPOINT.
const NODE_FLAGS = ["--max-semi-space-size=2"];

// A registry that knows no image: /v2/ answers, every manifest is unknown.
const registry = createServer((req, res) => {
  res.setHeader("docker-distribution-api-version", "registry/2.0");
  res.setHeader("content-type", "application/json");
  if (req.url === "/v2/") return void res.end("{}");
  res.statusCode = 404;
  res.end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }));
});
await new Promise((done) => registry.listen(0, "127.0.0.1", done));
const host = `127.0.0.1:${registry.address().port}`;
const scratch = mkdtempSync(join(tmpdir(), "pullmedic-warm-"));
const hostsDir = join(scratch, "certs.d");
mkdirSync(join(hostsDir, host), { recursive: true });
const url = `http://${host}`;
writeFileSync(join(hostsDir, host, "hosts.toml"), `server = "${url}"\n\n[host."${url}"]\n  capabilities = ["pull", "resolve"]\n`);
// A socket where no CRI runtime answers: the runtime verbs load gRPC and the CRI contract, then fail.
const notCri = createNetServer((socket) => socket.destroy());
const notCriPath = join(scratch, "not-cri.sock");
await new Promise((done) => notCri.listen(notCriPath, done));

// Each run with the exit code and output it must give: the warm-up doubles as a check that the
// bundle works on the Node that runs it (in the image build, the image's own).
const runs = [
  { args: ["--help"], exit: 0, out: /Usage: pullmedic/ },
  { args: ["diagnose", "--help"], exit: 0, out: /Usage: pullmedic diagnose/ },
  { args: ["explain", "manifest unknown"], exit: 0, out: /cause: +not-found/ },
  {
    args: [
      "explain",
      "--json",
      'rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/api:2.4": failed to resolve reference "ghcr.io/acme/api:2.4": ghcr.io/acme/api:2.4: not found',
    ],
    exit: 0,
    out: /"cause":"not-found"/,
  },
  { args: ["diagnose", `${host}/warm/up:1`, "--hosts-dir", hostsDir, "--timeout", "5"], exit: 1, out: /not-found/ },
  { args: ["diagnose", `${host}/warm/up:1`, "--hosts-dir", hostsDir, "--timeout", "5", "--json"], exit: 1, out: /"cause":"not-found"/ },
  { args: ["probe", host, "--hosts-dir", hostsDir, "--timeout", "5"], exit: 0, out: new RegExp(host.replace(/\./g, "\\.")) },
  { args: ["status", "--cri-endpoint", `unix://${notCriPath}`, "--timeout", "2"], exit: 1, out: /./ },
];
try {
  for (const { args, exit, out } of runs) {
    const env = { ...process.env, NODE_COMPILE_CACHE: folder, NODE_COMPILE_CACHE_PORTABLE: "1", CRI_ENDPOINT: "" };
    delete env["NODE_COMPILE_CACHE_READONLY"];
    delete env["NODE_DISABLE_COMPILE_CACHE"];
    const started = Date.now();
    // Not spawnSync: the registry answers from this process's event loop.
    const r = await run(process.execPath, [...NODE_FLAGS, join(root, "dist", "cli", "main.js"), ...args], env);
    if (r.status !== exit || !out.test(r.output))
      throw new Error(`pullmedic ${args.join(" ")}: exit ${r.status ?? r.signal}, expected ${exit} and output matching ${out}:\n${r.output}`);
    console.log(`pullmedic ${args.join(" ")}: exit ${r.status}, ${Date.now() - started} ms`);
  }
} finally {
  registry.close();
  notCri.close();
  rmSync(scratch, { recursive: true, force: true });
}

// Root makes the entries 0600; the image's other users read them.
const entries = [];
const open = (dir) => {
  chmodSync(dir, 0o755);
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) open(p);
    else {
      chmodSync(p, 0o644);
      entries.push(p);
    }
  }
};
open(folder);
if (entries.length === 0) {
  console.error(`no compile cache was written to ${folder}: this Node.js (${process.version}) has none (22.1 and later do)`);
  process.exit(1);
}
console.log(`compile cache for Node ${process.version}: ${entries.length} modules in ${folder}`);

/** @returns {Promise<{ status: number | null, signal: string | null, output: string }>} */
function run(cmd, args, env) {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", fail);
    child.on("close", (status, signal) => done({ status, signal, output }));
  });
}
