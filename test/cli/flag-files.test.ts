import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runPullmedic } from "../support/cli.js";

// Every file a flag names is read as untrusted input: a FIFO nobody writes, a device that never
// ends or a file far too large is bad usage (exit 2) naming the flag and the file, at once.

const dir = mkdtempSync(join(tmpdir(), "pm-flag-files-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const fifo = join(dir, "blocking.fifo");
execFileSync("mkfifo", [fifo]);
const big = join(dir, "big.json");
writeFileSync(big, `{"auths":{},"pad":"${"x".repeat(5 * 1024 * 1024)}"}`);
const NOWHERE = ["--cri-endpoint", "unix:///nonexistent/pm.sock"];

const cases: [string, string[], RegExp][] = [
  [
    "diagnose --docker-config FIFO",
    ["diagnose", "reg.example/app:1", "--docker-config", fifo],
    /cannot read --docker-config .*blocking\.fifo: is a FIFO \(named pipe\), not a regular file/,
  ],
  [
    "diagnose --docker-config /dev/zero",
    ["diagnose", "reg.example/app:1", "--docker-config", "/dev/zero"],
    /cannot read --docker-config \/dev\/zero: is a character device/,
  ],
  [
    "diagnose --docker-config too large",
    ["diagnose", "reg.example/app:1", "--docker-config", big],
    /cannot read --docker-config .*big\.json: is \d+ bytes or more, over the 4194304-byte limit/,
  ],
  ["diagnose --secret FIFO", ["diagnose", "reg.example/app:1", "--secret", fifo], /cannot read --secret .*blocking\.fifo: is a FIFO/],
  ["quota --docker-config FIFO", ["quota", "--docker-config", fifo], /cannot read --docker-config .*blocking\.fifo: is a FIFO/],
  [
    "cluster prepull --token-file FIFO",
    ["cluster", "prepull", "nginx:1", "--aggregator", "http://127.0.0.1:1/", "--token-file", fifo],
    /cannot read the token file .*blocking\.fifo: is a FIFO/,
  ],
  ["agent --kubeconfig FIFO", ["agent", "--listen", "127.0.0.1:0", "--state-file", join(dir, "s.json"), "--kubeconfig", fifo], /blocking\.fifo.*is a FIFO/],
];

for (const [name, args, message] of cases) {
  test(`${name} is refused by name at once, exit 2`, { timeout: 30_000 }, async () => {
    const r = await runPullmedic([...args, ...(args[0] === "diagnose" ? NOWHERE : [])], {
      env: { KUBECONFIG: "", KUBERNETES_SERVICE_HOST: "" },
    });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, message);
  });
}

test("diagnose with a FIFO as the registry's hosts.toml answers at once, naming the file", { timeout: 30_000 }, async () => {
  const root = join(dir, "certs.d");
  execFileSync("mkdir", ["-p", join(root, "reg.example")]);
  execFileSync("mkfifo", [join(root, "reg.example", "hosts.toml")]);
  const r = await runPullmedic(["diagnose", "reg.example/app:1", "--hosts-dir", root, "--json"], { env: { CRI_ENDPOINT: "" } });
  assert.equal(r.code, 1, r.stderr);
  assert.match(JSON.parse(r.stdout).summary, /reg\.example\/hosts\.toml: cannot be read \(is a FIFO \(named pipe\), not a regular file\)/);
});
