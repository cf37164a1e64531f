// The lab: a real containerd and a real registry on loopback, under one temp dir.
// Tests and tools import only this module.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { containerdPaths, ctr as runCtr, requireContainerd, startContainerd, writeRegistryHost } from "./containerd.js";
import { buildPauseImage } from "./pause.js";
import { run } from "./process.js";
import { push as pushImage, type PushTarget } from "./push.js";
import { startRegistry, type Credentials } from "./registry.js";
import { OWNER_FILE, reapStaleLabs, stopLab, trackLab, untrackLab, type LabRuntime } from "./teardown.js";
import type { BuiltImage, BuiltIndex } from "./image.js";

export { buildImage, buildIndex, nodePlatform, sha256, MEDIA_TYPES } from "./image.js";
export type { BuiltImage, BuiltIndex, BuiltLayer, FileSpec, ImageSpec, Platform } from "./image.js";
export { CommandError } from "./process.js";

export interface LabOptions {
  /** Protects the registry with htpasswd (bcrypt) basic auth. */
  registryAuth?: Credentials;
  /** Puts containerd's root on a tmpfs of this size, to make the image filesystem fill up. */
  imageFsSizeMiB?: number;
  /** Leaves the lab directory in place after stop(), for debugging. */
  keep?: boolean;
}

export interface Lab {
  dir: string;
  criEndpoint: string; // unix:///…/containerd.sock
  socketPath: string;
  containerdRoot: string;
  registry: { host: string; url: string };
  hostsDir: string; // containerd's registry config_path (certs.d)
  /** The sandbox_image, already in the registry and already pulled into containerd. */
  sandboxImage: string;
  /** repoAndTag like "app/web:1.0" → ref "127.0.0.1:PORT/app/web:1.0". Pushing an index pushes its images first. */
  push(image: BuiltImage | BuiltIndex, repoAndTag: string): Promise<{ ref: string; digest: string }>;
  /** Runs ctr against the lab in the k8s.io namespace; resolves to stdout, rejects with a CommandError carrying stderr. */
  ctr(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

// Short on purpose: the containerd socket lives inside and unix socket paths max out at 108 bytes.
const DIR_PREFIX = "/tmp/pm-lab-";

export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  if (process.platform !== "linux") throw new Error(`the lab runs containerd and needs Linux, not ${process.platform}`);
  if (process.getuid?.() !== 0) throw new Error("the lab runs containerd and mounts filesystems: run the tests as root");
  if (opts.imageFsSizeMiB !== undefined && !(Number.isInteger(opts.imageFsSizeMiB) && opts.imageFsSizeMiB > 0)) {
    throw new Error(`imageFsSizeMiB must be a positive whole number, got ${opts.imageFsSizeMiB}`);
  }
  requireContainerd();
  const pauseImage = buildPauseImage();
  reapStaleLabs(DIR_PREFIX);

  const dir = mkdtempSync(DIR_PREFIX);
  const runtime: LabRuntime = { dir, daemons: [], keep: opts.keep ?? false };
  trackLab(runtime);
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  const paths = containerdPaths(dir);

  try {
    if (opts.imageFsSizeMiB !== undefined) {
      mkdirSync(paths.root, { recursive: true });
      await run("mount", ["-t", "tmpfs", "-o", `size=${opts.imageFsSizeMiB}m`, "pm-lab-imagefs", paths.root]);
    }

    const registry = await startRegistry(dir, opts.registryAuth);
    runtime.daemons.unshift(registry.daemon);
    const target: PushTarget = { url: registry.url, host: registry.host, auth: opts.registryAuth };
    writeRegistryHost(paths.hostsDir, registry.host);
    const { ref: sandboxImage } = await pushImage(target, pauseImage, "pause:lab");

    const containerd = await startContainerd(dir, paths, sandboxImage);
    // containerd stops before the registry, so it never sees the registry vanish mid-pull.
    runtime.daemons.unshift(containerd);
    const ctr = (...args: string[]): Promise<string> => runCtr(paths.socketPath, ["--namespace", "k8s.io", ...args]);

    // Kubelet never sends credentials for the sandbox image, so with an authenticated
    // registry RunPodSandbox could not pull it; real nodes have it preloaded too.
    const user = opts.registryAuth ? ["--user", `${opts.registryAuth.username}:${opts.registryAuth.password}`] : [];
    await ctr("images", "pull", "--hosts-dir", paths.hostsDir, ...user, sandboxImage);

    let stopping: Promise<void> | undefined;
    return {
      dir,
      criEndpoint: `unix://${paths.socketPath}`,
      socketPath: paths.socketPath,
      containerdRoot: paths.root,
      registry: { host: registry.host, url: registry.url },
      hostsDir: paths.hostsDir,
      sandboxImage,
      push: (image, repoAndTag) => pushImage(target, image, repoAndTag),
      ctr,
      stop: () =>
        (stopping ??= stopLab(runtime).finally(() => untrackLab(runtime))),
    };
  } catch (error) {
    await stopLab(runtime).catch(() => undefined);
    untrackLab(runtime);
    throw error;
  }
}
