import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer, type Server } from "node:https";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CaFileError, readCaFile, readHostsConfig } from "../../agent/registry/index.js";
import { FileReadError } from "../../core/fs/index.js";
import { makeTestCerts, type TestCerts } from "../lab/certs.js";
import { runPullmedicJson } from "../support/cli.js";

// The files a host directory names, as a bad day writes them: a CA file of junk is a bad file (not
// an untrusted registry), and a FIFO or a device as hosts.toml or CA is refused by name at once.

const dir = mkdtempSync(join(tmpdir(), "pm-host-files-"));
let certs: TestCerts;
let server: Server;
let host = "";
const sockets = new Set<Socket>();

before(async () => {
  certs = await makeTestCerts(join(dir, "certs"), { names: ["127.0.0.1"] });
  server = createHttpsServer({ cert: readFileSync(certs.certs.valid.cert), key: readFileSync(certs.certs.valid.key) }, (_req, res) => {
    res.writeHead(200, { "Docker-Distribution-API-Version": "registry/2.0", "Content-Type": "application/json" });
    res.end("{}");
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  host = `127.0.0.1:${address.port}`;
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** A certs.d root whose directory for the test registry holds hosts.toml naming `ca`. */
function hostsDirWithCa(name: string, ca: string | ((at: string) => void)): string {
  const root = join(dir, name);
  const hostDir = join(root, host.replace(":", "_").concat("_"));
  mkdirSync(hostDir, { recursive: true });
  const caPath = join(hostDir, "ca.crt");
  if (typeof ca === "string") writeFileSync(caPath, ca);
  else ca(caPath);
  writeFileSync(join(hostDir, "hosts.toml"), `server = "https://${host}"\nca = "ca.crt"\n`);
  return root;
}

interface Diagnosis {
  cause: string;
  summary: string;
  evidence: { check: string; ok: boolean; detail: string }[];
}

async function diagnose(hostsDir: string): Promise<Diagnosis> {
  const r = await runPullmedicJson<Diagnosis>(["diagnose", `${host}/shop/app:1`, "--hosts-dir", hostsDir, "--timeout", "5"]);
  assert.equal(r.code, 1, r.stderr);
  return r.out;
}

test("a CA file of junk is reported as a bad file naming it, not as an untrusted certificate", async () => {
  const d = await diagnose(hostsDirWithCa("junk", "this is not a certificate\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
  assert.match(d.summary, /ca\.crt: holds no PEM certificate/, JSON.stringify(d, null, 2));
  assert.doesNotMatch(d.summary, /not trusted|unknown authority|self.signed|verify/i);
});

test("the good CA file in the same place is trusted (the junk was the difference)", async () => {
  const d = await diagnose(hostsDirWithCa("good", readFileSync(certs.caCert, "utf8")));
  const tls = d.evidence.find((e) => e.check === "tls");
  assert.equal(tls?.ok, true, JSON.stringify(d, null, 2));
});

test("a FIFO or /dev/zero as the CA file is refused by name, without waiting or reading it", async () => {
  const fifo = await diagnose(hostsDirWithCa("fifo", (at) => execFileSync("mkfifo", [at])));
  assert.match(fifo.summary, /ca\.crt: is a FIFO \(named pipe\), not a regular file/);
  const zero = await diagnose(hostsDirWithCa("zero", (at) => symlinkSync("/dev/zero", at)));
  assert.match(zero.summary, /ca\.crt: is a character device, not a regular file/);
});

test("readCaFile keeps the certificates of a bundle and refuses a file without one", async () => {
  const bundle = join(dir, "bundle.pem");
  writeFileSync(bundle, `# corporate roots\n${readFileSync(certs.caCert, "utf8")}\n${readFileSync(certs.otherCaCert, "utf8")}`);
  assert.equal((await readCaFile(bundle)).match(/BEGIN CERTIFICATE/g)?.length, 2);
  writeFileSync(join(dir, "empty.pem"), "");
  await assert.rejects(readCaFile(join(dir, "empty.pem")), CaFileError);
  await assert.rejects(readCaFile("/dev/zero"), FileReadError);
});

test("a FIFO or /dev/zero as hosts.toml is a hosts problem naming the file, at once", async () => {
  for (const [name, make, words] of [
    ["fifo", (at: string) => execFileSync("mkfifo", [at]), /hosts\.toml: .*is a FIFO \(named pipe\), not a regular file/],
    ["zero", (at: string) => symlinkSync("/dev/zero", at), /hosts\.toml: .*is a character device, not a regular file/],
  ] as const) {
    const root = join(dir, `toml-${name}`);
    mkdirSync(join(root, "reg.example"), { recursive: true });
    make(join(root, "reg.example", "hosts.toml"));
    await assert.rejects(readHostsConfig(root, "reg.example"), (err: Error) => {
      assert.match(err.message, words);
      return true;
    });
  }
});
