import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { buildImage, type Lab, startLab } from "../lab/index.js";
import { diagnose, expectCause, step } from "./diagnose-support.js";

// containerd's root on a 16 MiB tmpfs: an image bigger than the free space is a real disk-full.

let lab: Lab;
before(async () => {
  lab = await startLab({ imageFsSizeMiB: 16 });
});
after(async () => {
  await lab?.stop();
});

test("an image larger than the image filesystem's free space: disk-full, with sizes", async () => {
  const { ref } = await lab.push(buildImage({ padBytes: 24 * 1024 * 1024, label: "big" }), "big/app:1.0");
  const r = await diagnose(ref, "--hosts-dir", lab.hostsDir, "--cri-endpoint", lab.criEndpoint);
  expectCause(r, "disk-full");
  const disk = step(r.d, "disk");
  assert.ok((disk.data?.["availableBytes"] as number) < 16 * 1024 * 1024);
  assert.match(r.d.summary, /only .* is free on \/tmp\/pm-lab-/);
  assert.ok(r.d.fix.some((f) => f.includes("crictl rmi --prune")));
});

test("a small image fits: ok", async () => {
  const { ref } = await lab.push(buildImage({ label: "small" }), "small/app:1.0");
  expectCause(await diagnose(ref, "--hosts-dir", lab.hostsDir, "--cri-endpoint", lab.criEndpoint), "ok");
});

test("without a runtime the disk step is skipped, and says why", async () => {
  const { ref } = await lab.push(buildImage({ label: "small2" }), "small/app:2.0");
  const r = await diagnose(ref, "--hosts-dir", lab.hostsDir);
  expectCause(r, "ok");
  assert.equal(step(r.d, "disk").skipped, true);
  assert.match(step(r.d, "disk").detail, /skipped: no container runtime reachable/);
});
