import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ViewCache } from "../../agent/vantage/cache.js";
import { vantageData, vantageLine } from "../../agent/vantage/describe.js";
import { parseNetUnix } from "../../agent/vantage/socket-owner.js";
import { readRuntimeView } from "../../agent/vantage/view.js";
import { waitFor } from "../support/wait.js";

// A stand-in runtime: a process of its own serving a unix socket, started with the environment a
// containerd would have from its systemd drop-in. The view must come from it, not from this test.
let dir: string;
let socketPath: string;
let child: ChildProcess;

const SERVE = `require("node:net").createServer(() => {}).listen(process.argv[1]); setInterval(() => {}, 1000);`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "pm-view-"));
  socketPath = join(dir, "runtime.sock");
  child = spawn(process.execPath, ["-e", SERVE, socketPath], {
    env: {
      PATH: process.env["PATH"] ?? "",
      HTTPS_PROXY: "http://user:s3cret@proxy.example:3128",
      NO_PROXY: ".corp.example,10.0.0.0/8",
      SSL_CERT_DIR: "/nonexistent-cert-dir",
    },
    stdio: "ignore",
  });
  await waitFor("the stand-in runtime's socket", async () => (await import("node:fs")).existsSync(socketPath), { timeoutMs: 10_000 });
});

after(() => {
  child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

test("/proc/net/unix: listening sockets bound to a path, by kernel inode", () => {
  const text = [
    "Num       RefCount Protocol Flags    Type St Inode Path",
    "0000000000000000: 00000002 00000000 00010000 0001 01 4242 /run/containerd/containerd.sock",
    "0000000000000000: 00000003 00000000 00000000 0001 03 4243 /run/containerd/containerd.sock",
    "0000000000000000: 00000002 00000000 00010000 0001 01 4244 @/containerd-shim/abc.sock",
    "0000000000000000: 00000002 00000000 00010000 0001 01 4245 /tmp/with space.sock",
  ].join("\n");
  assert.deepEqual(parseNetUnix(text), [
    { inode: "4242", path: "/run/containerd/containerd.sock" },
    { inode: "4245", path: "/tmp/with space.sock" },
  ]);
});

test("the view comes from the process serving the socket: its pid, its environment, its proxy", async () => {
  const view = await readRuntimeView({ socketPath, runtimeName: "containerd", runtimeVersion: "1.6.20" });
  assert.ok(view.origin.kind === "process" && view.origin.pid === child.pid, JSON.stringify(view.origin));
  assert.equal(view.network.proxyFor(new URL("https://registry.example.com/v2/"))?.url.host, "proxy.example:3128");
  assert.equal(view.network.proxyFor(new URL("https://reg.corp.example/v2/")), undefined);
  assert.equal(view.environment.sslCertDir, "/nonexistent-cert-dir");
  const line = vantageLine(view);
  assert.match(line, new RegExp(`pid ${child.pid} \\(serves ${socketPath}\\)`));
  assert.match(line, /proxy https via http:\/\/proxy\.example:3128 \(HTTPS_PROXY\), NO_PROXY \.corp\.example,10\.0\.0\.0\/8/);
  assert.doesNotMatch(`${line}${JSON.stringify(vantageData(view))}`, /s3cret|user:/);
});

test("the cache hands the same view out while nothing changed, and reads again when a file it read changes", async () => {
  let reads = 0;
  const cache = new ViewCache(async (req) => {
    reads++;
    return readRuntimeView(req);
  });
  const hostRoot = mkdtempSync(join(dir, "root-"));
  writeFileSync(join(hostRoot, "hosts"), "");
  const req = { hostRoot };
  const first = await cache.get(req);
  assert.equal(await cache.get(req), first);
  assert.equal(reads, 1);
  (await import("node:fs")).mkdirSync(join(hostRoot, "etc"));
  writeFileSync(join(hostRoot, "etc", "hosts"), "10.1.1.1 new.example\n");
  const second = await cache.get(req);
  assert.notEqual(second, first, "a hosts file that appeared is read");
  assert.equal(reads, 2);
  assert.deepEqual((await second.network.resolve("new.example", 1000)).addresses, [{ address: "10.1.1.1", family: 4 }]);
});

test("a runtime that is gone: a problem line and a stated fallback, never a silent switch", async () => {
  const gone = spawn(process.execPath, ["-e", SERVE, join(dir, "gone.sock")], { stdio: "ignore" });
  await waitFor("the second socket", async () => (await import("node:fs")).existsSync(join(dir, "gone.sock")), { timeoutMs: 10_000 });
  gone.kill("SIGKILL");
  await waitFor("the second runtime to exit", () => gone.exitCode !== null || gone.signalCode !== null, { timeoutMs: 10_000 });
  const view = await readRuntimeView({ socketPath: join(dir, "gone.sock"), hostRoot: dir });
  assert.equal(view.origin.kind, "host-root");
  assert.match(vantageLine(view), /node files under --host-root .* not the runtime process \(the process behind the CRI socket cannot be found/);
  const own = await readRuntimeView({ socketPath: join(dir, "gone.sock") });
  assert.equal(own.origin.kind, "own-root");
  assert.match(vantageLine(own), /this process's own files and no runtime environment, not the runtime's/);
  assert.match(own.environment.source, /no proxy is assumed/);
});
