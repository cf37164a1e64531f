// Before the lab tests (*.lab.test.ts): the lab needs root and real Debian packages. Say in one
// place which are missing and the one command that installs them, instead of failing every lab
// test with the same cause. The other tests need neither: `npm run test:unit` runs them anywhere.
import { accessSync, constants, existsSync, readdirSync } from "node:fs";

/** Debian installs PostgreSQL's server binaries under /usr/lib/postgresql/<major>/bin. */
function postgresBin() {
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)) : [];
  return `${root}/${majors.sort((a, b) => Number(b) - Number(a))[0] ?? "<major>"}/bin`;
}

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
  ["/usr/bin/tmux", "tmux"],
  ["/usr/bin/skopeo", "skopeo"],
  ["/usr/bin/promtool", "prometheus"],
  ["/usr/bin/prometheus", "prometheus"],
  [`${postgresBin()}/initdb`, "postgresql"],
  [`${postgresBin()}/postgres`, "postgresql"],
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
  console.error(
    `the lab tests cannot run against the real runtime lab:\n- ${problems.join("\n- ")}\n` +
      "(npm run test:unit runs the tests that need no lab, no root and none of these packages)",
  );
  process.exit(1);
}
