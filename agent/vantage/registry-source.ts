// Which registry configuration the runtime acts on, and the hosts it tries for a registry under
// it. containerd: config_path (a hosts dir) when set, else the older registry.mirrors/configs
// (containerd refuses to start with both, so one of them is it), else its built-in default:
// 2.x reads /etc/containerd/certs.d:/etc/docker/certs.d, 1.x reads no hosts dir at all (its CRI
// status shows config_path ""). The CRI verbose Status is containerd's own merged config and wins
// over re-reading config.toml. CRI-O: registries.conf, with certificates in
// /etc/containers/certs.d (docs/facts/containerd-hosts.md, docs/facts/runtime-view.md).

import { DOCKER_HUB_API_HOST, DOCKER_HUB_DOMAIN } from "../../core/image/index.js";
import { type HostsConfig, HostsConfigError, type RegistryHost, readHostsConfig } from "../registry/index.js";
import { type ContainerdRegistry, loadContainerdConfig, registryFromStatus } from "./containerd-config.js";
import { legacyHosts } from "./legacy-hosts.js";
import { loadRegistriesConf, pullSources, type RegistriesConf } from "./registries-conf.js";
import type { RootFs } from "./root-fs.js";

const CONTAINERD_DEFAULT_HOSTS_DIR = "/etc/containerd/certs.d:/etc/docker/certs.d";
const CONTAINERD_CONFIG = "/etc/containerd/config.toml";
const CRIO_CERTS_DIRS = "/etc/containers/certs.d:/etc/docker/certs.d";

export type RegistrySource =
  /** A hosts dir as the runtime names it, read inside its root. */
  | { kind: "hosts-dir"; dir: string; from: string }
  /** --hosts-dir: a path of this process, read as given. */
  | { kind: "flag"; dir: string }
  | { kind: "legacy"; registry: ContainerdRegistry; from: string }
  | { kind: "registries-conf"; conf: RegistriesConf; certsDirs: string };

export interface SourceInput {
  fs: RootFs;
  runtimeName: string;
  runtimeVersion: string | undefined;
  configFlag: string | undefined;
  statusInfo: Record<string, string> | undefined;
  hostsDirFlag: string | undefined;
  problems: string[];
}

export async function registrySource(input: SourceInput): Promise<RegistrySource> {
  if (input.hostsDirFlag !== undefined) return { kind: "flag", dir: input.hostsDirFlag };
  if (input.runtimeName === "cri-o") {
    const conf = await loadRegistriesConf(input.fs);
    input.problems.push(...conf.problems);
    return { kind: "registries-conf", conf, certsDirs: CRIO_CERTS_DIRS };
  }
  const fromStatus = input.statusInfo !== undefined ? registryFromStatus(input.statusInfo) : undefined;
  if (fromStatus !== undefined) return decide(fromStatus, "containerd's CRI status (its merged config)", input.runtimeVersion);
  const path = input.configFlag ?? CONTAINERD_CONFIG;
  const config = await loadContainerdConfig(input.fs, path);
  input.problems.push(...config.problems);
  const from = config.files.length > 0 ? config.files.join(" + ") : `${path} (absent: containerd's defaults)`;
  return decide(config.registry ?? { configPath: undefined, mirrors: {}, tls: {}, authHosts: [] }, from, input.runtimeVersion);
}

function decide(registry: ContainerdRegistry, from: string, version: string | undefined): RegistrySource {
  if (registry.configPath !== undefined) return { kind: "hosts-dir", dir: registry.configPath, from: `config_path in ${from}` };
  if (Object.keys(registry.mirrors).length > 0 || Object.keys(registry.tls).length > 0) {
    return { kind: "legacy", registry, from: `registry.mirrors/configs in ${from}` };
  }
  if (majorVersion(version) === 1)
    return { kind: "legacy", registry, from: `containerd ${version} without config_path (${from}): built-in defaults, no hosts dir` };
  return { kind: "hosts-dir", dir: CONTAINERD_DEFAULT_HOSTS_DIR, from: `containerd's default (no config_path in ${from})` };
}

function majorVersion(version: string | undefined): number | undefined {
  const m = version === undefined ? null : /(\d+)\.\d+/.exec(version);
  return m ? Number(m[1]) : undefined;
}

export interface HostsRequest {
  containerdVersion?: string | undefined;
  /** The image's repository path and whether it pins a digest (CRI-O's mirrors may serve only one kind). */
  repository?: string;
  digested?: boolean;
  reference?: string;
}

/** The hosts the runtime tries for `domain`, in its order. Throws HostsConfigError as readHostsConfig does. */
export async function hostsFor(source: RegistrySource, fs: RootFs, domain: string, req: HostsRequest = {}): Promise<HostsConfig> {
  const options = req.containerdVersion !== undefined ? { containerdVersion: req.containerdVersion } : {};
  switch (source.kind) {
    case "flag":
      return readHostsConfig(source.dir, domain, options);
    case "hosts-dir":
      return insideNames(fs, await readHostsConfig(await outsideDirs(fs, source.dir), domain, options));
    case "legacy":
      return legacyHosts(domain, source.registry, source.from);
    case "registries-conf":
      return crioHosts(source, fs, domain, req);
  }
}

async function outsideDirs(fs: RootFs, dirs: string): Promise<string> {
  const roots = dirs.split(":").filter((d) => d !== "");
  return (await Promise.all(roots.map(async (r) => (await fs.resolve(r)).outside))).join(":");
}

/** File names in evidence are the runtime's: the root prefix comes off. */
function insideNames(fs: RootFs, config: HostsConfig): HostsConfig {
  if (fs.root === "/") return config;
  const strip = (p: string | undefined): string | undefined => (p?.startsWith(`${fs.root}/`) ? p.slice(fs.root.length) : p);
  const out: HostsConfig = { ...config, file: strip(config.file) };
  const dir = strip(config.dir);
  if (dir !== undefined) out.dir = dir;
  return out;
}

async function crioHosts(source: Extract<RegistrySource, { kind: "registries-conf" }>, fs: RootFs, domain: string, req: HostsRequest): Promise<HostsConfig> {
  const reference = req.reference ?? `${domain}/${req.repository ?? "x"}`;
  let sources: ReturnType<typeof pullSources>;
  try {
    sources = pullSources(source.conf, reference, req.digested ?? false);
  } catch (err) {
    throw new HostsConfigError(source.conf.files.join(", ") || "/etc/containers/registries.conf", (err as Error).message, {
      consequence: "CRI-O refuses to pull it",
    });
  }
  const notes: string[] = [];
  const hosts: RegistryHost[] = [];
  for (const s of sources) {
    const host = s.reference.split("/")[0] ?? domain;
    if (s.reference.slice(host.length) !== reference.slice(domain.length)) {
      notes.push(`CRI-O pulls ${s.reference}; its repository path differs from the image's, which pullmedic checks on ${host}`);
    }
    const certs = await readHostsConfig(await outsideDirs(fs, source.certsDirs), host).catch(() => undefined);
    const tls = certs?.hosts[certs.hosts.length - 1];
    const apiHost = host === DOCKER_HUB_DOMAIN ? DOCKER_HUB_API_HOST : host;
    hosts.push({
      url: `${s.insecure ? "http" : "https"}://${apiHost}`,
      capabilities: ["pull", "resolve"],
      caFiles: tls?.caFiles ?? [],
      clientCerts: tls?.clientCerts ?? [],
      skipVerify: s.insecure,
      overridePath: false,
      headers: {},
      mirror: s.mirror,
      ...(s.insecure ? { httpsFirst: true } : {}),
    });
  }
  const config: HostsConfig = { domain, file: source.conf.files.join(" + ") || undefined, hosts };
  if (notes.length > 0) config.notes = notes;
  return config;
}
