// The runtime's view, read once: where it comes from, its environment, resolver, trust store and
// registry configuration, and the network and host lookups built on them. Every file problem is
// a line in `problems` naming the file and the fallback taken; reading goes on.

import { FileReadError } from "../../core/fs/index.js";
import { caCertificates, type HostsConfig, type RegistryNetwork } from "../registry/index.js";
import { RuntimeResolver } from "./name-resolver.js";
import { registryNetwork } from "./network.js";
import { findOrigin, type OriginRequest, type ViewOrigin } from "./origin.js";
import { type ProxySettings, proxySettings } from "./proxy.js";
import { type HostsRequest, hostsFor, type RegistrySource, registrySource } from "./registry-source.js";
import { type HostSource, parseHostsFile, parseNsswitch, parseResolvConf, type ResolvConf } from "./resolver-files.js";
import { RootFs, type WatchedFile } from "./root-fs.js";
import { loadTrustStore, type TrustStore } from "./trust.js";

const RESOLVER_FILE_LIMIT = 1024 * 1024;
const CA_FILE_LIMIT = 4 * 1024 * 1024;

export interface ViewRequest extends OriginRequest {
  /** From the CRI Version call: "containerd", "cri-o". */
  runtimeName?: string | undefined;
  runtimeVersion?: string | undefined;
  /** The CRI verbose Status info; asked only when the view is (re)read. */
  statusInfo?: (() => Promise<Record<string, string> | undefined>) | undefined;
  /** --hosts-dir: overrides the runtime's registry configuration. */
  hostsDirFlag?: string | undefined;
}

export interface ResolverView {
  order: HostSource[];
  hostsFile: string;
  resolvConf: string;
  conf: ResolvConf;
}

export interface RuntimeView {
  origin: ViewOrigin;
  runtime: { name: string; version: string | undefined };
  environment: { source: string; proxy: ProxySettings; sslCertFile: string | undefined; sslCertDir: string | undefined };
  resolver: ResolverView;
  trust: TrustStore;
  registry: RegistrySource;
  /** Each a sentence naming the file or source and the fallback taken. */
  problems: string[];
  network: RegistryNetwork;
  /** The hosts the runtime tries for a registry, under its own configuration (or --hosts-dir). */
  hostsFor(domain: string, req?: HostsRequest): Promise<HostsConfig>;
  /** A CA (or client certificate) file the registry configuration names, read as the runtime would. */
  readCa(path: string): Promise<string>;
  /** What the cache checks before handing this view out again. */
  watched: WatchedFile[];
  /** How long reading it took. */
  readMs: number;
}

export async function readRuntimeView(req: ViewRequest): Promise<RuntimeView> {
  const started = performance.now();
  const found = await findOrigin(req);
  const { fs, env, problems } = found;
  const runtimeName = runtimeNameOf(req.runtimeName, found.origin);
  // The CRI status is the runtime's own merged config, and needs no access to its process.
  const statusInfo = await req.statusInfo?.().catch(() => undefined);
  const [resolver, trust, registry] = await Promise.all([
    readResolver(fs, problems),
    loadTrustStore(fs, env),
    registrySource({
      fs,
      runtimeName,
      runtimeVersion: req.runtimeVersion,
      configFlag: found.configFlag,
      statusInfo,
      hostsDirFlag: req.hostsDirFlag,
      problems,
    }),
  ]);
  problems.push(...trust.problems);
  const proxy = proxySettings(env);
  problems.push(...proxy.notes);
  const settings = {
    hosts: resolver.hosts,
    hostsLabel: fs.name("/etc/hosts"),
    order: resolver.order,
    conf: resolver.view.conf,
    confLabel: resolver.view.resolvConf,
  };
  const whose = found.origin.kind === "process" ? `${found.origin.name}'s` : "the runtime's";
  return {
    origin: found.origin,
    runtime: { name: runtimeName, version: req.runtimeVersion },
    environment: { source: found.envSource, proxy, sslCertFile: env.get("SSL_CERT_FILE"), sslCertDir: env.get("SSL_CERT_DIR") },
    resolver: resolver.view,
    trust,
    registry,
    problems,
    network: registryNetwork(trust, new RuntimeResolver(settings), proxy, whose),
    hostsFor: (domain, hostsReq) => hostsFor(registry, fs, domain, hostsReq),
    readCa: (path) => readCa(fs, registry, path),
    watched: dedupe(fs.watched),
    readMs: performance.now() - started,
  };
}

function runtimeNameOf(fromCri: string | undefined, origin: ViewOrigin): string {
  const name = fromCri ?? (origin.kind === "process" ? origin.name : "containerd");
  return /cri-?o/i.test(name) ? "cri-o" : name;
}

async function readResolver(
  fs: RootFs,
  problems: string[],
): Promise<{ view: ResolverView; hosts: ReturnType<typeof parseHostsFile>; order: ReturnType<typeof parseNsswitch> }> {
  const read = async (path: string, fallback: string): Promise<{ text: string | undefined; label: string }> => {
    try {
      const r = await fs.readText(path, RESOLVER_FILE_LIMIT);
      return { text: r.text, label: fs.name(path, r.path) };
    } catch (err) {
      if (!(err instanceof FileReadError)) throw err;
      problems.push(`${err.message}; ${fallback}`);
      return { text: undefined, label: fs.name(path) };
    }
  };
  const [resolv, hosts, nss] = await Promise.all([
    read("/etc/resolv.conf", "Go's defaults apply: nameservers 127.0.0.1 and ::1, ndots 1, timeout 5 s, 2 attempts"),
    read("/etc/hosts", "no names come from a hosts file"),
    read("/etc/nsswitch.conf", "Go's order applies: files, then dns"),
  ]);
  const conf = parseResolvConf(resolv.text ?? "");
  const hostsFile = parseHostsFile(hosts.text ?? "");
  const order = parseNsswitch(nss.text);
  if (resolv.text !== undefined) problems.push(...conf.notes.map((n) => `${resolv.label}: ${n}`));
  problems.push(...hostsFile.notes.map((n) => `${hosts.label}: ${n}`), ...order.notes.map((n) => `${nss.label}: ${n}`));
  return { view: { order: order.order, hostsFile: hosts.label, resolvConf: resolv.label, conf }, hosts: hostsFile, order };
}

/**
 * A CA path from the registry configuration: a runtime path (hosts.toml `ca = "/etc/…"`, a
 * legacy ca_file) or one under the runtime's root already (relative to a hosts dir read there).
 */
async function readCa(fs: RootFs, registry: RegistrySource, path: string): Promise<string> {
  // --hosts-dir names files of this process, and so does the hosts.toml under it.
  if (registry.kind === "flag") return caCertificates(path, (await new RootFs("/", "this process's root").readText(path, CA_FILE_LIMIT, false)).text);
  const inside = fs.root !== "/" && path.startsWith(`${fs.root}/`) ? path.slice(fs.root.length) : path;
  return caCertificates(path, (await fs.readText(inside, CA_FILE_LIMIT, false)).text);
}

function dedupe(watched: WatchedFile[]): WatchedFile[] {
  const byPath = new Map<string, WatchedFile>();
  for (const w of watched) if (!byPath.has(`${w.kind}\0${w.outside}`)) byPath.set(`${w.kind}\0${w.outside}`, w);
  return [...byPath.values()];
}
