// Before the tests: the lab needs real Debian packages. Say in one place which are missing and
// the one command that installs them, instead of failing every lab test with the same cause.
import { accessSync, constants } from "node:fs";

const needs = [
  ["/usr/bin/containerd", "containerd"],
  ["/usr/bin/ctr", "containerd"],
  ["/usr/bin/containerd-shim-runc-v2", "containerd"],
  ["/usr/sbin/runc", "runc"],
  ["/usr/bin/docker-registry", "docker-registry"],
  ["/usr/bin/htpasswd", "apache2-utils"],
  ["/usr/bin/openssl", "openssl"],
  ["/bin/busybox", "busybox-static"],
  ["/usr/bin/chromium", "chromium"],
  ["/usr/bin/unshare", "util-linux"],
  ["/usr/bin/setpriv", "util-linux"],
  ["/usr/sbin/ip", "iproute2"],
];

const problems = [];
if (process.platform !== "linux") problems.push(`the lab runs containerd and needs Linux, not ${process.platform}`);
if (process.getuid?.() !== 0) problems.push("the lab starts containerd and mounts a tmpfs: run the tests as root");
const missing = new Set();
for (const [path, pkg] of needs) {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    missing.add(pkg);
  }
}
if (missing.size) {
  problems.push(
    `missing lab packages: ${[...missing].join(" ")}\n` +
      `  install them with: apt-get update && apt-get install -y --no-install-recommends ${[...missing].join(" ")}\n` +
      `  (or run bash .ci/run, which installs them and runs the tests as CI does)`,
  );
}
if (problems.length) {
  console.error(`npm test cannot run the integration tests against the real runtime lab:\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
