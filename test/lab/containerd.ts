// Runs the real containerd (Debian package) with all of its state under the lab
// directory, its own socket, and the CRI plugin pointed at the lab registry.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Daemon, requireBinary, run, SYSTEM_PATH, startDaemon, tailFile, waitUntil } from "./process.js";

const CONTAINERD_BIN = "/usr/bin/containerd";
const CTR_BIN = "/usr/bin/ctr";
const RUNC_BIN = "/usr/sbin/runc";
const SHIM_BIN = "/usr/bin/containerd-shim-runc-v2";
const READY_TIMEOUT_MS = 20_000;

export interface ContainerdPaths {
  socketPath: string;
  root: string;
  state: string;
  hostsDir: string;
  configFile: string;
  logFile: string;
}

export function containerdPaths(labDir: string): ContainerdPaths {
  return {
    // unix socket paths are limited to 108 bytes, so the socket sits at the top of a short lab dir.
    socketPath: join(labDir, "containerd.sock"),
    root: join(labDir, "root"),
    state: join(labDir, "state"),
    hostsDir: join(labDir, "certs.d"),
    configFile: join(labDir, "containerd.toml"),
    logFile: join(labDir, "containerd.log"),
  };
}

export function requireContainerd(): void {
  requireBinary(CONTAINERD_BIN, "containerd not installed: apt-get install containerd");
  requireBinary(CTR_BIN, "ctr not installed (it ships with containerd): apt-get install containerd");
  requireBinary(SHIM_BIN, "containerd-shim-runc-v2 not installed (it ships with containerd): apt-get install containerd");
  requireBinary(RUNC_BIN, "runc not installed: apt-get install runc");
}

/** Tells containerd to reach the lab registry over plain http (the config_path / hosts.toml way). */
export function writeRegistryHost(hostsDir: string, registryHost: string): void {
  const dir = join(hostsDir, registryHost);
  mkdirSync(dir, { recursive: true });
  const url = `http://${registryHost}`;
  writeFileSync(
    join(dir, "hosts.toml"),
    [`server = ${q(url)}`, "", `[host.${q(url)}]`, `  capabilities = ["pull", "resolve"]`, "  skip_verify = true", ""].join("\n"),
  );
}

export async function startContainerd(labDir: string, paths: ContainerdPaths, sandboxImage: string): Promise<Daemon> {
  for (const dir of [paths.root, paths.state, paths.hostsDir, join(labDir, "cni", "bin"), join(labDir, "cni", "net.d")]) {
    mkdirSync(dir, { recursive: true });
  }
  writeFileSync(paths.configFile, containerdConfig(labDir, paths, sandboxImage));
  const daemon = startDaemon(CONTAINERD_BIN, ["--config", paths.configFile], { logFile: paths.logFile, env: { PATH: SYSTEM_PATH } });

  const up = await waitUntil(async () => {
    if (daemon.exit !== undefined) return true;
    if (!existsSync(paths.socketPath)) return false;
    return ctr(paths.socketPath, ["version"]).then(
      () => true,
      () => false,
    );
  }, READY_TIMEOUT_MS);
  if (!up || daemon.exit !== undefined) {
    const why = daemon.exit
      ? `exited (${daemon.exit.error?.message ?? `code ${daemon.exit.code}, signal ${daemon.exit.signal}`})`
      : `did not answer on ${paths.socketPath} within ${READY_TIMEOUT_MS / 1000} s`;
    throw new Error(`lab containerd ${why}; log ${paths.logFile}:\n${tailFile(paths.logFile)}`);
  }

  // containerd serves even when the CRI plugin failed to load, so check it explicitly.
  const plugins = await ctr(paths.socketPath, ["plugins", "ls"]);
  const cri = plugins.split("\n").find((line) => /^io\.containerd\.grpc\.v1\s+cri\s/.test(line));
  if (!cri || !/\sok\s*$/.test(cri)) {
    throw new Error(`lab containerd's CRI plugin is not healthy (${cri?.trim() ?? "not listed"}); log ${paths.logFile}:\n${tailFile(paths.logFile)}`);
  }
  return daemon;
}

export function ctr(socketPath: string, args: readonly string[]): Promise<string> {
  // CRI unpacks into the native snapshotter; ctr must use the same one or its pulls
  // would leave images that CRI considers not unpacked.
  // Generous: a pull of a big test image is slow but not stuck.
  return run(CTR_BIN, ["--address", socketPath, ...args], { env: { PATH: SYSTEM_PATH, CONTAINERD_SNAPSHOTTER: "native" }, timeoutMs: 300_000 });
}

// TOML basic strings accept JSON's escapes for everything a path can contain.
function q(value: string): string {
  return JSON.stringify(value);
}

function containerdConfig(labDir: string, paths: ContainerdPaths, sandboxImage: string): string {
  const cri = `plugins."io.containerd.grpc.v1.cri"`;
  return `version = 2
root = ${q(paths.root)}
state = ${q(paths.state)}
# Snapshotters the lab never uses; left on, they show up as "skip" or "error" in
# plugin listings and make a healthy lab look broken.
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]

[grpc]
  address = ${q(paths.socketPath)}

[ttrpc]
  address = ${q(`${paths.socketPath}.ttrpc`)}

# Empty addresses switch the debug and metrics listeners off.
[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = ${q(join(labDir, "opt"))}

  [${cri}]
    sandbox_image = ${q(sandboxImage)}
    # The lab runs inside whatever container or VM the tests run in: no cgroup or
    # AppArmor management of its own, and no raising of OOM scores it may not raise.
    restrict_oom_score_adj = true
    disable_cgroup = true
    disable_apparmor = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"

    [${cri}.containerd]
      # overlayfs needs kernel support that containers and tmpfs roots may lack.
      snapshotter = "native"
      default_runtime_name = "runc"

      [${cri}.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"

        [${cri}.containerd.runtimes.runc.options]
          BinaryName = ${q(RUNC_BIN)}
          # Keeps runc's container state inside the lab instead of /run/containerd/runc.
          Root = ${q(join(paths.state, "runc"))}

    # There is no CNI here: pods use the node's network. Empty directories let the
    # plugin start (it only warns) instead of reading the host's CNI setup.
    [${cri}.cni]
      bin_dir = ${q(join(labDir, "cni", "bin"))}
      conf_dir = ${q(join(labDir, "cni", "net.d"))}

    [${cri}.registry]
      config_path = ${q(paths.hostsDir)}
`;
}
