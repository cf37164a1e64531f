import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runPullmedic, runPullmedicJson } from "../support/cli.js";
import { closedPort } from "../support/net.js";

// A node root whose every file of the view is wrong in its own way: each is named with what is
// wrong, the diagnosis goes on from the stated fallback, and nothing crashes.
let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), "pm-bad-root-"));
  const files: Record<string, string> = {
    "etc/resolv.conf": "nameserver not-an-address\noptions ndots:seven\n\u0000garbage\n",
    "etc/hosts": "this line has no address\n999.1.1.1 bad.example\n",
    "etc/nsswitch.conf": "hosts: mdns4_minimal [NOTFOUND=return]\n",
    "etc/ssl/certs/ca-certificates.crt": "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
    "etc/containerd/config.toml": 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry\nconfig_path = "/x"\n',
    "etc/systemd/system/containerd.service.d/proxy.conf": '[Service]\nEnvironment="HTTPS_PROXY=::not a url::"\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  // A FIFO where a certificate belongs would hang a naive reader; it is passed over.
  execFileSync("mkfifo", [join(root, "etc/ssl/certs/stuck.pem")]);
});

after(() => rmSync(root, { recursive: true, force: true }));

test("every wrong file of the view is named, and the diagnosis goes on from the stated fallback", async () => {
  const port = await closedPort();
  const { code, out } = await runPullmedicJson<{ cause: string; vantage: { line: string; origin: { kind: string }; problems: string[] } }>([
    "diagnose",
    `127.0.0.1:${port}/app:1`,
    "--host-root",
    root,
    "--timeout",
    "2",
  ]);
  assert.equal(code, 1);
  assert.equal(out.cause, "connection-refused", JSON.stringify(out, null, 2));
  assert.equal(out.vantage.origin.kind, "host-root");
  const problems = out.vantage.problems.join("\n");
  assert.match(problems, /resolv\.conf in --host-root .*: line 1: nameserver "not-an-address" is not an IP address; Go ignores it/);
  assert.match(problems, /no usable nameserver line: Go asks 127\.0\.0\.1 and ::1/);
  assert.match(problems, /\/etc\/hosts in --host-root .*: line 1: "this line has no address" is not "address name…"; ignored/);
  assert.match(problems, /nsswitch\.conf in --host-root .*names neither files nor dns: Go falls back to files, then dns/);
  assert.match(problems, /ca-certificates\.crt in --host-root .* holds no PEM certificate; nothing is trusted from it/);
  assert.match(problems, /config\.toml in --host-root .*: not valid TOML at line 2 .*containerd's defaults are assumed/);
  assert.match(problems, /HTTPS_PROXY is not a URL Go can use; it is ignored \(no proxy\)/);
  assert.match(out.vantage.line, /node files under --host-root/);
});

test("the text output shows the vantage line and each problem before the steps", async () => {
  const port = await closedPort();
  const r = await runPullmedic(["diagnose", `127.0.0.1:${port}/app:1`, "--host-root", root, "--timeout", "2"]);
  assert.match(r.stdout, /^ {2}vantage: node files under --host-root /m);
  assert.match(r.stdout, /^ {2}vantage problem: .*resolv\.conf/m);
});
