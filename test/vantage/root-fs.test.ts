import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RootFs } from "../../agent/vantage/root-fs.js";
import { FileReadError } from "../../core/fs/index.js";

// A runtime root of its own, next to a decoy tree standing for this process's root: every
// absolute link inside the runtime root names a path that exists in both, with different
// contents, so following a link in the wrong root shows up as the wrong text.
let base: string;
let root: string;

before(() => {
  base = mkdtempSync(join(tmpdir(), "pm-rootfs-"));
  root = join(base, "runtime-root");
  for (const d of ["etc", "run/systemd/resolve", "usr/share/ca", "etc/ssl/certs", "a/b/c"]) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, "run/systemd/resolve/stub-resolv.conf"), "nameserver 10.1.1.1\n");
  symlinkSync("/run/systemd/resolve/stub-resolv.conf", join(root, "etc/resolv.conf"));
  writeFileSync(join(root, "usr/share/ca/lab.crt"), "runtime CA\n");
  symlinkSync("/usr/share/ca/lab.crt", join(root, "etc/ssl/certs/lab.pem"));
  // A relative link that climbs past the root: clamped there, as for the runtime itself.
  symlinkSync("../../../../../../usr/share/ca/lab.crt", join(root, "etc/ssl/certs/climb.pem"));
  // A chain: link → link → directory link → file.
  symlinkSync("/etc/ssl/certs/lab.pem", join(root, "etc/chain1"));
  symlinkSync("/etc/chain1", join(root, "etc/chain2"));
  symlinkSync("/usr/share", join(root, "share"));
  symlinkSync("/etc/loop-b", join(root, "etc/loop-a"));
  symlinkSync("/etc/loop-a", join(root, "etc/loop-b"));
  writeFileSync(join(root, "a/b/c/file"), "deep\n");
  // The decoy: the same absolute paths in the host's (this test's) root would be /run/…, which
  // this test cannot own; the walk must never leave `root`, which the text proves.
});

after(() => rmSync(base, { recursive: true, force: true }));

test("an absolute symlink is followed inside the runtime's root, not in this process's", async () => {
  const fs = new RootFs(root, "the test runtime's root");
  const r = await fs.readText("/etc/resolv.conf", 4096);
  assert.equal(r.text, "nameserver 10.1.1.1\n");
  assert.equal(r.path.inside, "/run/systemd/resolve/stub-resolv.conf");
  assert.equal(r.path.outside, join(root, "run/systemd/resolve/stub-resolv.conf"));
  assert.deepEqual(r.path.links, [{ link: "/etc/resolv.conf", target: "/run/systemd/resolve/stub-resolv.conf" }]);
  // The kernel, handed the path, follows the link in this process's root and reads another file (or none).
  let naive: string;
  try {
    naive = readFileSync(join(root, "etc/resolv.conf"), "utf8");
  } catch {
    naive = "(no such file in this process's root)";
  }
  assert.notEqual(naive, r.text);
});

test('".." is clamped at the runtime\'s root, chains and directory links are followed', async () => {
  const fs = new RootFs(root, "the test runtime's root");
  assert.equal((await fs.readText("/etc/ssl/certs/climb.pem", 4096)).text, "runtime CA\n");
  assert.equal((await fs.readText("/etc/chain2", 4096)).text, "runtime CA\n");
  assert.equal((await fs.readText("/share/ca/lab.crt", 4096)).text, "runtime CA\n");
  assert.equal((await fs.resolve("/a/b/../../../../a/b/c/./file")).inside, "/a/b/c/file");
});

test("a missing file, a loop and a directory are named with the runtime's path and its root", async () => {
  const fs = new RootFs(root, "the test runtime's root");
  await assert.rejects(fs.readText("/etc/nsswitch.conf", 4096), (err: unknown) => {
    assert.ok(err instanceof FileReadError);
    assert.equal(err.problem, "missing");
    assert.match(err.message, /^\/etc\/nsswitch\.conf in the test runtime's root: no such file/);
    return true;
  });
  await assert.rejects(fs.readText("/etc/loop-a", 4096), /more than 40 symbolic links/);
  await assert.rejects(fs.readText("/etc/ssl", 4096), (err: unknown) => err instanceof FileReadError && err.problem === "not-regular");
  const missing = await fs.resolve("/nope/deeper/../x");
  assert.equal(missing.missing, true);
  assert.equal(missing.inside, "/nope/x");
});

test("the root / is this process's own: paths are taken as they are", async () => {
  const fs = new RootFs("/", "this process's root");
  assert.deepEqual(await fs.resolve("/etc/../etc/hostname"), { inside: "/etc/hostname", outside: "/etc/hostname", links: [], missing: false });
});
