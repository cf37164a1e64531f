import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RootFs } from "../../agent/vantage/root-fs.js";
import { loadTrustStore } from "../../agent/vantage/trust.js";
import { makeTestCerts, type TestCerts } from "../lab/certs.js";

// Go's search, run over runtime roots of their own: the bundle and the directory members are
// absolute links into /usr/share, as on Debian, and the OpenSSL hash links repeat them.
let base: string;
let certs: TestCerts;
let lab: string;
let other: string;

before(async () => {
  base = mkdtempSync(join(tmpdir(), "pm-trust-"));
  certs = await makeTestCerts(join(base, "certs"));
  lab = readFileSync(certs.caCert, "utf8");
  other = readFileSync(certs.otherCaCert, "utf8");
});
after(() => rmSync(base, { recursive: true, force: true }));

function runtimeRoot(name: string, files: Record<string, string>, links: Record<string, string> = {}): RootFs {
  const root = join(base, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  for (const [path, target] of Object.entries(links)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    symlinkSync(target, join(root, path));
  }
  return new RootFs(root, `${name}'s root`);
}

test("Debian layout: the first bundle of Go's list plus /etc/ssl/certs, through absolute links, counted once", async () => {
  const fs = runtimeRoot(
    "debian",
    { "usr/share/ca-certificates/lab.crt": lab, "usr/share/ca-certificates/other.crt": other, "etc/ssl/certs/ca-certificates.crt": lab },
    {
      "etc/ssl/certs/lab.pem": "/usr/share/ca-certificates/lab.crt",
      "etc/ssl/certs/other.pem": "/usr/share/ca-certificates/other.crt",
      "etc/ssl/certs/abcd1234.0": "lab.pem",
    },
  );
  const t = await loadTrustStore(fs, new Map());
  assert.equal(t.roots.length, 2);
  assert.match(t.source, /^\/etc\/ssl\/certs\/ca-certificates\.crt \+ \/etc\/ssl\/certs: 2 certificates$/);
  assert.deepEqual(t.problems, []);
});

test("SSL_CERT_FILE and SSL_CERT_DIR replace Go's list and directories", async () => {
  const fs = runtimeRoot("custom", { "opt/ca/only.pem": other, "etc/ssl/certs/ca-certificates.crt": lab, "opt/dir-a/x.pem": other, "opt/dir-b/y.crt": lab });
  const fileOnly = await loadTrustStore(
    fs,
    new Map([
      ["SSL_CERT_FILE", "/opt/ca/only.pem"],
      ["SSL_CERT_DIR", "/nonexistent"],
    ]),
  );
  assert.equal(fileOnly.roots.length, 1);
  assert.equal(fileOnly.roots[0]?.replace(/\s/g, ""), other.replace(/\s/g, ""));
  assert.match(fileOnly.source, /\/opt\/ca\/only\.pem \(SSL_CERT_FILE\): 1 certificate$/);
  const dirs = await loadTrustStore(
    fs,
    new Map([
      ["SSL_CERT_FILE", "/opt/ca/only.pem"],
      ["SSL_CERT_DIR", "/opt/dir-a:/opt/dir-b"],
    ]),
  );
  assert.equal(dirs.roots.length, 2);
});

test("a bundle without certificates, a broken PEM block and an unreadable SSL_CERT_FILE are named", async () => {
  const broken = `${lab}\n-----BEGIN CERTIFICATE-----\nAAAAnotacert\n-----END CERTIFICATE-----\n`;
  const fs = runtimeRoot("bad", { "etc/pki/tls/certs/ca-bundle.crt": broken, "etc/ssl/certs/ca-certificates.crt": "not pem at all\n" });
  const t = await loadTrustStore(fs, new Map());
  // The first bundle of the list that reads is the one: Go does not go on to the RHEL one.
  assert.equal(t.roots.length, 1, "the lab CA from /etc/pki/tls/certs (a directory of Go's) and nothing broken");
  assert.match(t.problems.join("\n"), /ca-certificates\.crt in bad's root holds no PEM certificate/);
  const missing = await loadTrustStore(fs, new Map([["SSL_CERT_FILE", "/etc/nope.pem"]]));
  assert.match(missing.problems.join("\n"), /\/etc\/nope\.pem in bad's root: no such file; Go skips it/);
});
