import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { buildImage, type Lab, startLab } from "../lab/index.js";
import { runPullmedic } from "../support/cli.js";

// The verbs as a person runs them: a real process, real flags, against a real containerd whose
// image filesystem is a small tmpfs so that "disk full" is a real condition we can create.

let lab: Lab;
let webRef = "";
const pullmedic = (args: string[], env: NodeJS.ProcessEnv = {}) => runPullmedic(args, { env });

before(async () => {
  lab = await startLab({ imageFsSizeMiB: 64 });
  webRef = (await lab.push(buildImage({ files: { "srv/index.html": "hi" }, padBytes: 200_000, label: "verbs" }), "shop/web:1.0")).ref;
  const client = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
  try {
    await client.pullImage(webRef);
  } finally {
    client.close();
  }
});

after(async () => {
  await lab?.stop();
});

test("images --json lists what was pulled, with size, digests and the sandbox image marked", async () => {
  const r = await pullmedic(["images", "--json", "--cri-endpoint", lab.criEndpoint]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    runtime: { name: string };
    sandboxImage: string;
    images: { repoTags: string[]; sizeBytes: number; sandbox: boolean; inUse: boolean; repoDigests: string[] }[];
  };
  assert.equal(out.runtime.name, "containerd");
  const web = out.images.find((i) => i.repoTags.includes(webRef));
  assert.ok(web, r.stdout);
  assert.ok(web.sizeBytes > 200_000);
  assert.equal(web.inUse, false);
  assert.match(web.repoDigests[0] ?? "", /@sha256:[0-9a-f]{64}$/);
  assert.equal(out.sandboxImage, lab.sandboxImage);
  assert.equal(out.images.find((i) => i.repoTags.includes(lab.sandboxImage))?.sandbox, true);
});

test("images prints an aligned table for a person; CRI_ENDPOINT works like the flag", async () => {
  const r = await pullmedic(["images"], { CRI_ENDPOINT: lab.criEndpoint });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.match(lines[0] ?? "", /^containerd 1\.\d+/);
  assert.match(lines[1] ?? "", /^IMAGE\s+ID\s+SIZE\s+PROTECTED\s+USED BY$/);
  const row = lines.find((l) => l.startsWith(webRef));
  assert.ok(row, r.stdout);
  assert.match(row, /KiB\s+-\s+-$/);
  assert.match(r.stdout, /sandbox/);
  assert.match(r.stdout, /\d+ images, .* in use; sandbox image: /);
});

test("disk reports the tmpfs image filesystem and exits 0 while it is below kubelet's GC threshold", async () => {
  const r = await pullmedic(["disk", "--json", "--cri-endpoint", lab.criEndpoint]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    imageFilesystems: { mountpoint: string; host: { capacityBytes: number; usedPercent: number; inodesTotal: number } }[];
    problems: string[];
  };
  const fs = out.imageFilesystems[0];
  assert.ok(fs, r.stdout);
  assert.ok(fs.mountpoint.startsWith(lab.containerdRoot), r.stdout);
  assert.equal(fs.host.capacityBytes, 64 * 1024 * 1024);
  assert.ok(fs.host.usedPercent < 85);
  assert.ok(fs.host.inodesTotal > 0);
  assert.deepEqual(out.problems, []);
});

test("disk exits 1 and says why once the image filesystem passes 85 %", async () => {
  const filler = join(lab.containerdRoot, "filler.bin");
  writeFileSync(filler, Buffer.alloc(58 * 1024 * 1024));
  const r = await pullmedic(["disk", "--cri-endpoint", lab.criEndpoint]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^capacity\s+64\.0 MiB$/m);
  assert.match(r.stdout, /problem: .* is 9\d(\.\d)? % full: kubelet image GC starts at 85 %/);
});

test("status shows runtime conditions, images and disk in one go, and exits 1 for the full disk", async () => {
  // The previous test left the image filesystem past 85 %: status reports it as its problem.
  const r = await pullmedic(["status", "--json", "--cri-endpoint", lab.criEndpoint]);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { conditions: { type: string; status: boolean }[]; images: unknown[]; imageFilesystems: unknown[]; problems: string[] };
  assert.equal(out.conditions.find((c) => c.type === "RuntimeReady")?.status, true);
  assert.ok(out.images.length >= 2);
  assert.equal(out.imageFilesystems.length, 1);
  assert.equal(out.problems.length, 1);
  assert.match(out.problems[0] ?? "", /% full: kubelet image GC starts at 85 %/);
});

test("a socket that does not exist: exit 2, one line naming it, no stack trace", async () => {
  for (const args of [["images"], ["images", "--json"], ["disk"]]) {
    const r = await pullmedic([...args, "--cri-endpoint", "unix:///nonexistent.sock"]);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stderr, "pullmedic: CRI socket /nonexistent.sock does not exist\n");
    if (args.includes("--json"))
      assert.deepEqual(JSON.parse(r.stdout), { error: { kind: "socket-missing", message: "CRI socket /nonexistent.sock does not exist" } });
    else assert.equal(r.stdout, "");
  }
});

test("bad usage exits 2 and names the problem", async () => {
  const cases: [string[], RegExp][] = [
    [["images", "--timeout", "soon"], /--timeout "soon" must be a number of seconds/],
    [["images", "--cri-endpoint", "tcp://127.0.0.1:1"], /--cri-endpoint "tcp:\/\/127\.0\.0\.1:1" is not a unix socket/],
    [["imagez"], /unknown command 'imagez'/],
    [["disk", "--colour"], /unknown option '--colour'/],
  ];
  for (const [args, message] of cases) {
    const r = await pullmedic(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});

test("--help lists the verbs and explains exit codes", async () => {
  const r = await pullmedic(["--help"]);
  assert.equal(r.code, 0);
  for (const verb of ["images", "disk", "status"]) assert.match(r.stdout, new RegExp(`^  ${verb} `, "m"));
  assert.match(r.stdout, /Exit codes: 0 healthy or done, 1 a problem was found, 2 bad usage/);
});
