// A lab where the runtime's view differs from the test process's: containerd started in a mount
// namespace of its own, where /etc is a directory of the lab's (its own hosts, nsswitch.conf, a
// resolv.conf and a CA bundle that are absolute symlinks to files this process sees with other
// contents), with a proxy and NO_PROXY in its environment, a hosts dir that only its config names,
// and its socket bound under another name than the one this process uses. Around it: the lab
// registry over TLS (a cert for names only the runtime resolves), its plain-http twin, a second
// registry with a certificate from a CA nobody trusts, a real forward proxy on loopback that
// alone resolves some names, and a DNS server on a loopback address of its own. A second
// containerd, without config_path, pulls through a mirror named in its config.toml.

import { randomInt } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DnsServer, startDnsServer } from "../support/dns-server.js";
import { type ForwardProxy, startForwardProxy } from "../support/forward-proxy.js";
import { makeTestCerts, type TestCerts } from "./certs.js";
import { requireContainerd } from "./containerd.js";
import type { BuiltImage, BuiltIndex } from "./image.js";
import { type Daemon, run, SYSTEM_PATH, startDaemon, tailFile, waitUntil } from "./process.js";
import { push as pushImage } from "./push.js";
import { type RegistryServer, startRegistry } from "./registry.js";
import { type LabRuntime, OWNER_FILE, reapStaleLabs, stopLab, trackLab, untrackLab } from "./teardown.js";

const DIR_PREFIX = "/tmp/pm-lab-";
const CONTAINERD = "/usr/bin/containerd";
const CTR = "/usr/bin/ctr";

/** Names, and who resolves them: the runtime's /etc/hosts, its DNS server, or only its proxy. */
export const NAMES = {
  hostsFile: "hosts.vantage.test",
  plain: "plain.vantage.test",
  direct: "direct.vantage.test",
  untrusted: "untrusted.vantage.test",
  dns: "reg.dns.vantage.test",
  dnsGone: "gone.dns.vantage.test",
  proxied: "proxied.vantage.test",
  plainProxied: "plain-proxied.vantage.test",
  mirrorSource: "mirror-src.vantage.test",
} as const;

export const PROXY_CREDENTIALS = { username: "puller", password: "pr0xy-pa55" };

export interface RuntimeUnderTest {
  /** The CRI socket as this process reaches it. */
  socket: string;
  criEndpoint: string;
  /** containerd's pid (unshare and sh exec into it). */
  pid: number;
  /** Where the runtime binds its socket, in its own namespace. */
  boundAs: string;
}

export interface VantageLab {
  dir: string;
  /** containerd in its own mount namespace, proxy environment and hosts dir. */
  runtime: RuntimeUnderTest;
  /** containerd without config_path, with a registry.mirrors entry. */
  legacy: RuntimeUnderTest;
  /** The TLS registry's port (its certificate names every lab name), its plain-http twin's, and the untrusted one's. */
  ports: { tls: number; plain: number; untrusted: number };
  proxy: ForwardProxy;
  dns: DnsServer;
  /** The hosts dir only the runtime's config names. */
  hostsDir: string;
  certs: TestCerts;
  push(image: BuiltImage | BuiltIndex, repoAndTag: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startVantageLab(): Promise<VantageLab> {
  requireContainerd();
  reapStaleLabs(DIR_PREFIX);
  const dir = mkdtempSync(DIR_PREFIX);
  const lab: LabRuntime = { dir, daemons: [], keep: false };
  trackLab(lab);
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  const servers: { stop(): Promise<void> }[] = [];
  try {
    const certs = await makeTestCerts(join(dir, "certs"), { names: ["localhost", "127.0.0.1", ...Object.values(NAMES)] });
    const main = await startRegistry(join(dir, "reg-main"), undefined, { certificate: certs.certs.valid.cert, key: certs.certs.valid.key });
    const untrusted = await startRegistry(join(dir, "reg-untrusted"), undefined, { certificate: certs.certs.unknownCa.cert, key: certs.certs.unknownCa.key });
    lab.daemons.push(...registryDaemons(main), ...registryDaemons(untrusted));
    const ports = { tls: port(main.host), plain: port(main.pushUrl), untrusted: port(untrusted.host) };
    const dns = await startDnsServer(`127.53.${randomInt(1, 255)}.${randomInt(1, 255)}`, { [NAMES.dns]: "127.0.0.1" });
    servers.push(dns);
    const proxy = await startForwardProxy({
      // direct.vantage.test through the proxy leads nowhere: only NO_PROXY gets its pulls through.
      names: { [NAMES.proxied]: "127.0.0.1", [NAMES.plainProxied]: "127.0.0.1", [NAMES.direct]: "127.0.0.2" },
      credentials: PROXY_CREDENTIALS,
    });
    servers.push({ stop: () => proxy.stop().catch(() => undefined) });
    const hostsDir = writeHostsDir(dir, ports.plain);
    writeRuntimeRoot(dir, certs, dns.address);
    const runtime = await startIsolatedContainerd(dir, lab, hostsDir, proxy.port);
    const legacy = await startLegacyContainerd(dir, lab, ports.plain);
    const push = async (image: BuiltImage | BuiltIndex, repoAndTag: string): Promise<void> => {
      await pushImage({ url: main.pushUrl, host: main.host, auth: undefined }, image, repoAndTag);
      await pushImage({ url: untrusted.pushUrl, host: untrusted.host, auth: undefined }, image, repoAndTag);
    };
    let stopping: Promise<void> | undefined;
    const stop = async (): Promise<void> => {
      await Promise.all(servers.map((s) => s.stop()));
      await stopLab(lab);
      untrackLab(lab);
    };
    return { dir, runtime, legacy, ports, proxy, dns, hostsDir, certs, push, stop: () => (stopping ??= stop()) };
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    await stopLab(lab).catch(() => undefined);
    untrackLab(lab);
    throw err;
  }
}

function registryDaemons(r: RegistryServer): Daemon[] {
  return r.pushDaemon ? [r.daemon, r.pushDaemon] : [r.daemon];
}

function port(hostOrUrl: string): number {
  return Number(/:(\d+)$/.exec(hostOrUrl.replace(/\/$/, ""))?.[1]);
}

/** Plain http for two names, in a hosts dir nothing but the runtime's config.toml names. */
function writeHostsDir(dir: string, plainPort: number): string {
  const hostsDir = join(dir, "elsewhere", "certs.d");
  for (const name of [NAMES.plain, NAMES.plainProxied]) {
    const host = `${name}:${plainPort}`;
    mkdirSync(join(hostsDir, host), { recursive: true });
    writeFileSync(join(hostsDir, host, "hosts.toml"), `server = "http://${host}"\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n`);
  }
  return hostsDir;
}

/**
 * The runtime's /etc: every entry of the real /etc as a link into a read-only bind of it, except
 * the files the view is made of. resolv.conf and the CA bundle are absolute links into
 * <dir>/side, which in the runtime's namespace is <dir>/rt/side and here holds decoys: a
 * reader that lets the kernel follow them from here reads the decoys.
 */
function writeRuntimeRoot(dir: string, certs: TestCerts, nameserver: string): void {
  const etc = join(dir, "rt", "etc");
  for (const d of [etc, join(dir, "rt", "host-etc"), join(dir, "rt", "side"), join(dir, "side"), join(etc, "ssl", "certs")]) mkdirSync(d, { recursive: true });
  const own = new Set(["hosts", "nsswitch.conf", "resolv.conf", "ssl"]);
  for (const name of readdirSync("/etc")) if (!own.has(name)) symlinkSync(join(dir, "rt", "host-etc", name), join(etc, name));
  writeFileSync(join(etc, "hosts"), `127.0.0.1 localhost\n::1 localhost\n127.0.0.1 ${NAMES.hostsFile} ${NAMES.plain} ${NAMES.direct} ${NAMES.untrusted}\n`);
  writeFileSync(join(etc, "nsswitch.conf"), "passwd: files\nhosts: files dns\n");
  symlinkSync(join(dir, "side", "resolv.conf"), join(etc, "resolv.conf"));
  symlinkSync(join(dir, "side", "ca-certificates.crt"), join(etc, "ssl", "certs", "ca-certificates.crt"));
  symlinkSync(join(dir, "side", "lab-ca.pem"), join(etc, "ssl", "certs", "lab-ca.pem"));
  const labCa = readFileSync(certs.caCert, "utf8");
  const otherCa = readFileSync(certs.otherCaCert, "utf8");
  const system = readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8");
  writeFileSync(join(dir, "rt", "side", "resolv.conf"), `nameserver ${nameserver}\nsearch vantage.test\noptions timeout:1 attempts:2\n`);
  writeFileSync(join(dir, "rt", "side", "ca-certificates.crt"), `${system}\n${labCa}`);
  writeFileSync(join(dir, "rt", "side", "lab-ca.pem"), labCa);
  // The decoys, what this process finds at the same paths.
  writeFileSync(join(dir, "side", "resolv.conf"), "nameserver 127.0.0.9\noptions timeout:1 attempts:1\n");
  writeFileSync(join(dir, "side", "ca-certificates.crt"), otherCa);
  writeFileSync(join(dir, "side", "lab-ca.pem"), otherCa);
}

async function startIsolatedContainerd(dir: string, lab: LabRuntime, hostsDir: string, proxyPort: number): Promise<RuntimeUnderTest> {
  const run = join(dir, "run");
  const boundDir = join(dir, "rt-run");
  mkdirSync(run, { recursive: true });
  mkdirSync(boundDir, { recursive: true });
  const config = join(dir, "rt", "containerd.toml");
  writeFileSync(config, containerdConfig(dir, "rt-state", join(boundDir, "containerd.sock"), `config_path = ${q(hostsDir)}`));
  const q1 = (s: string) => `'${s}'`;
  const script = [
    "set -e",
    // /etc as the lab writes it, the real /etc reachable read-only through its links.
    `mount --bind /etc ${q1(join(dir, "rt", "host-etc"))}`,
    `mount -o remount,bind,ro ${q1(join(dir, "rt", "host-etc"))}`,
    `mount --bind ${q1(join(dir, "rt", "etc"))} /etc`,
    `mount --bind ${q1(join(dir, "rt", "side"))} ${q1(join(dir, "side"))}`,
    // The socket's directory under another name: the runtime binds rt-run/, this process uses run/.
    `mount --bind ${q1(run)} ${q1(boundDir)}`,
    `exec ${CONTAINERD} --config ${q1(config)}`,
  ].join("\n");
  const proxy = `http://${PROXY_CREDENTIALS.username}:${PROXY_CREDENTIALS.password}@127.0.0.1:${proxyPort}`;
  const env = {
    PATH: SYSTEM_PATH,
    HTTPS_PROXY: proxy,
    HTTP_PROXY: proxy,
    NO_PROXY: `${NAMES.hostsFile},${NAMES.plain},.dns.vantage.test,${NAMES.direct},${NAMES.untrusted}`,
  };
  const daemon = startDaemon("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script], { logFile: join(dir, "rt-containerd.log"), env });
  lab.daemons.unshift(daemon);
  const socket = join(run, "containerd.sock");
  await waitReady(daemon, socket, join(dir, "rt-containerd.log"));
  return { socket, criEndpoint: `unix://${socket}`, pid: daemon.pid, boundAs: join(boundDir, "containerd.sock") };
}

async function startLegacyContainerd(dir: string, lab: LabRuntime, plainPort: number): Promise<RuntimeUnderTest> {
  const socket = join(dir, "legacy.sock");
  const config = join(dir, "legacy.toml");
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  writeFileSync(
    config,
    containerdConfig(
      dir,
      "legacy-state",
      socket,
      `[${cri}.registry.mirrors.${q(NAMES.mirrorSource)}]\n      endpoint = [${q(`http://127.0.0.1:${plainPort}`)}]`,
    ),
  );
  const daemon = startDaemon(CONTAINERD, ["--config", config], { logFile: join(dir, "legacy.log"), env: { PATH: SYSTEM_PATH } });
  lab.daemons.unshift(daemon);
  await waitReady(daemon, socket, join(dir, "legacy.log"));
  return { socket, criEndpoint: `unix://${socket}`, pid: daemon.pid, boundAs: socket };
}

async function waitReady(daemon: Daemon, socket: string, log: string): Promise<void> {
  const up = await waitUntil(
    async () =>
      daemon.exit !== undefined ||
      (await run(CTR, ["--address", socket, "version"], { env: { PATH: SYSTEM_PATH } }).then(
        () => true,
        () => false,
      )),
    20_000,
  );
  if (!up || daemon.exit !== undefined) throw new Error(`lab containerd did not come up on ${socket}; log ${log}:\n${tailFile(log)}`);
}

function q(value: string): string {
  return JSON.stringify(value);
}

/** A containerd of the lab: state under the lab dir, no cgroups or AppArmor of its own, the native snapshotter. */
function containerdConfig(dir: string, name: string, socket: string, registry: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = ${q(join(dir, name, "root"))}
state = ${q(join(dir, name, "state"))}
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = ${q(socket)}
[ttrpc]
  address = ${q(`${socket}.ttrpc`)}
[debug]
  address = ""
[metrics]
  address = ""
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = ${q(join(dir, name, "opt"))}
  [${cri}]
    restrict_oom_score_adj = true
    disable_cgroup = true
    disable_apparmor = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    [${cri}.containerd]
      snapshotter = "native"
    [${cri}.cni]
      bin_dir = ${q(join(dir, name, "cni-bin"))}
      conf_dir = ${q(join(dir, name, "cni-conf"))}
    [${cri}.registry]
      ${registry}
`;
}
