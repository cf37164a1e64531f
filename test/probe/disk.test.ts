import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { test } from "node:test";
import { type MountInfo, mountFor, readHostFilesystem } from "../../agent/probe/index.js";

test("the mount for a path is the longest mount point that contains it", () => {
  const mounts: MountInfo[] = [
    { mount: "/", device: "/dev/vda", fsType: "ext4" },
    { mount: "/var/lib", device: "/dev/vdb", fsType: "xfs" },
    { mount: "/var/lib/containerd", device: "/dev/vdc", fsType: "xfs" },
  ];
  assert.equal(mountFor("/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs", mounts)?.device, "/dev/vdc");
  assert.equal(mountFor("/var/lib/kubelet", mounts)?.device, "/dev/vdb");
  assert.equal(mountFor("/var/library", mounts)?.device, "/dev/vda", "a prefix of the name is not a parent folder");
  assert.equal(mountFor("/etc", []), undefined);
});

test("host figures match what df reports for the same path", async () => {
  const path = tmpdir();
  const fs = await readHostFilesystem(path, async () => [{ mount: "/", device: "dev", fsType: "t" }]);
  const [size, avail, itotal] = execFileSync("df", ["-B1", "--output=size,avail,itotal", path], { encoding: "utf8" })
    .trim()
    .split("\n")[1]!
    .trim()
    .split(/\s+/)
    .map(Number);
  assert.equal(fs.capacityBytes, size);
  // The disk is live: allow for other writers between the two reads.
  assert.ok(Math.abs(fs.availableBytes - avail!) < 64 * 1024 * 1024, `${fs.availableBytes} vs df ${avail}`);
  assert.equal(fs.inodesTotal, itotal);
  assert.ok(fs.usedPercent >= 0 && fs.usedPercent <= 100);
  assert.equal(fs.device, "dev");
});

test("mounts come from the kernel's mountinfo, escapes decoded", async () => {
  const { parseMountInfo } = await import("../../agent/probe/index.js");
  const text = [
    "26 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
    "99 26 0:52 / /var/lib/containerd rw,nosuid - xfs /dev/mapper/data rw,attr2",
    "100 26 0:53 / /mnt/with\\040space rw - tmpfs tmpfs rw,size=16384k",
    "garbage line",
    "",
  ].join("\n");
  assert.deepEqual(parseMountInfo(text), [
    { mount: "/", fsType: "ext4", device: "/dev/vda" },
    { mount: "/var/lib/containerd", fsType: "xfs", device: "/dev/mapper/data" },
    { mount: "/mnt/with space", fsType: "tmpfs", device: "tmpfs" },
  ]);
});
