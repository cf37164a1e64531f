// The lab: a real containerd and a real registry on loopback, under one temp dir.
// Tests and tools import only this module.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CertAndKey, makeTestCerts, type TestCerts } from "./certs.js";
import { containerdPaths, requireContainerd, ctr as runCtr, startContainerd, writeRegistryHost } from "./containerd.js";
import type { BuiltImage, BuiltIndex } from "./image.js";
import { buildPauseImage } from "./pause.js";
import { run } from "./process.js";
import { type PushTarget, push as pushImage } from "./push.js";
import { type Credentials, startRegistry } from "./registry.js";
import { type LabRuntime, OWNER_FILE, reapStaleLabs, stopLab, trackLab, untrackLab } from "./teardown.js";

export { EXPIRING_SOON_DAYS } from "./certs.js";
export type { FaultServer } from "./faults.js";
export { HUB_SERVICE, startFaultServer, TOO_MANY_REQUESTS_MESSAGE } from "./faults.js";
export type { BuiltImage, BuiltIndex, Platform } from "./image.js";
export { buildImage, buildIndex, MEDIA_TYPES, nodePlatform, sha256 } from "./image.js";

export type RegistryTlsMode = "valid" | "expired" | "wrong-host" | "unknown-ca" | "expiring";

export interface LabOptions {
  /** Protects the registry with htpasswd (bcrypt) basic auth. */
  registryAuth?: Credentials;
  /**
   * Serves the registry over HTTPS with a certificate from the lab's test CA: a good one, an
   * expired one, one for another host, one from a CA nothing trusts, or a good one that expires
   * in EXPIRING_SOON_DAYS days ("expiring"). containerd's hosts.toml
   * then trusts the lab CA (and nothing more), so pulls see the certificate's real fault.
   */
  registryTls?: RegistryTlsMode;
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
  registry: { host: string; url: string }; // url is https://… with registryTls
  hostsDir: string; // containerd's registry config_path (certs.d)
  /** The lab CA's certificate (PEM file) when the registry serves HTTPS, for hosts.toml `ca` or probeTls. */
  caCertFile: string | undefined;
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

    const certs = opts.registryTls ? await makeTestCerts(join(dir, "certs")) : undefined;
    const serving = opts.registryTls && certs ? servingCert(certs, opts.registryTls) : undefined;
    const registry = await startRegistry(dir, opts.registryAuth, serving && { certificate: serving.cert, key: serving.key });
    runtime.daemons.unshift(registry.daemon);
    if (registry.pushDaemon) runtime.daemons.push(registry.pushDaemon);
    // Refs name the registry clients pull from; bytes go in through the push process when it is TLS.
    const target: PushTarget = { url: registry.pushUrl, host: registry.host, auth: opts.registryAuth };
    if (certs) {
      // A faulty certificate would keep containerd from ever getting the sandbox image, which
      // real nodes have preloaded anyway. So verification is off for that one pull and comes
      // back on (the lab CA trusted, nothing skipped) before startLab() returns.
      writeTlsRegistryHost(paths.hostsDir, registry.host, certs.caCert, opts.registryTls !== "valid");
    } else {
      writeRegistryHost(paths.hostsDir, registry.host);
    }
    const { ref: sandboxImage } = await pushImage(target, pauseImage, "pause:lab");

    const containerd = await startContainerd(dir, paths, sandboxImage);
    // containerd stops before the registry, so it never sees the registry vanish mid-pull.
    runtime.daemons.unshift(containerd);
    const ctr = (...args: string[]): Promise<string> => runCtr(paths.socketPath, ["--namespace", "k8s.io", ...args]);

    // Kubelet never sends credentials for the sandbox image, so with an authenticated
    // registry RunPodSandbox could not pull it; real nodes have it preloaded too.
    const user = opts.registryAuth ? ["--user", `${opts.registryAuth.username}:${opts.registryAuth.password}`] : [];
    await ctr("images", "pull", "--hosts-dir", paths.hostsDir, ...user, sandboxImage);
    // containerd reads hosts.toml at every pull, so rewriting it needs no restart.
    if (certs && opts.registryTls !== "valid") writeTlsRegistryHost(paths.hostsDir, registry.host, certs.caCert, false);

    let stopping: Promise<void> | undefined;
    return {
      dir,
      criEndpoint: `unix://${paths.socketPath}`,
      socketPath: paths.socketPath,
      containerdRoot: paths.root,
      registry: { host: registry.host, url: registry.url },
      hostsDir: paths.hostsDir,
      caCertFile: certs?.caCert,
      sandboxImage,
      push: (image, repoAndTag) => pushImage(target, image, repoAndTag),
      ctr,
      stop: () => (stopping ??= stopLab(runtime).finally(() => untrackLab(runtime))),
    };
  } catch (error) {
    await stopLab(runtime).catch(() => undefined);
    untrackLab(runtime);
    throw error;
  }
}

function servingCert(certs: TestCerts, mode: RegistryTlsMode): CertAndKey {
  switch (mode) {
    case "valid":
      return certs.certs.valid;
    case "expired":
      return certs.certs.expired;
    case "wrong-host":
      return certs.certs.wrongHost;
    case "unknown-ca":
      return certs.certs.unknownCa;
    case "expiring":
      return certs.certs.expiringSoon;
  }
}

/** hosts.toml for an HTTPS registry: trust the lab CA on top of the system roots, as a node would with a private CA. */
function writeTlsRegistryHost(hostsDir: string, registryHost: string, caFile: string, skipVerify: boolean): void {
  const dir = join(hostsDir, registryHost);
  mkdirSync(dir, { recursive: true });
  const url = JSON.stringify(`https://${registryHost}`);
  const lines = [`server = ${url}`, "", `[host.${url}]`, `  capabilities = ["pull", "resolve"]`, `  ca = ${JSON.stringify(caFile)}`];
  if (skipVerify) lines.push("  skip_verify = true");
  writeFileSync(join(dir, "hosts.toml"), `${lines.join("\n")}\n`);
}
