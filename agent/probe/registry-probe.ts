// The periodic registry probe: for each registry the node pulls from, every host containerd would
// try (mirrors in file order, then the upstream) is walked dns → tcp → tls → GET /v2/, so that a
// dead mirror or a certificate about to expire shows before a pull fails on it.

import { isIP, type Socket } from "node:net";
import { DOCKER_HUB_LEGACY_DOMAIN, tryParseReference } from "../../core/image/index.js";
import {
  dialDirect,
  dialTunnel,
  type HostsConfig,
  HostsConfigError,
  ProxyError,
  type ProxyRoute,
  type RateLimit,
  RegistryClient,
  RegistryError,
  type RegistryHost,
  type RegistryNetwork,
  readCaFile,
  readHostsConfig,
} from "../registry/index.js";
import { probeDns } from "./dns.js";
import { elapsedMs, ProbeError, unbracket } from "./probe-error.js";
import { probeTcp } from "./tcp.js";
import { probeTls, type TlsResult } from "./tls.js";

export type ProbeStepName = "dns" | "tcp" | "tls" | "ping";

/** One step of one host. Named HostProbeStep because the probe folder already exports `ProbeStep` (the step a ProbeError failed at). */
export interface HostProbeStep {
  step: ProbeStepName;
  ok: boolean;
  ms: number;
  detail: string;
  /** On a failed step: the ProbeError kind, the TLS problem, or the RegistryError kind. */
  errorKind?: string;
}

export interface HostCertificate {
  validTo: string;
  daysLeft: number;
  names: string[];
  issuer: string;
  /** Fewer than certWarnDays whole days left. */
  expiresSoon: boolean;
}

export interface HostProbe {
  /** As containerd's host config names it, e.g. "https://mirror.local:5000", "http://127.0.0.1:5000". */
  url: string;
  /** A [host] entry other than the upstream itself. */
  mirror: boolean;
  ok: boolean;
  steps: HostProbeStep[];
  certificate?: HostCertificate;
  /** The HTTP status of GET /v2/: 200 or 401 when ok, else what the registry answered, if it answered. */
  status?: number;
}

export interface RegistryProbe {
  /** The domain as image references name it: "docker.io", "ghcr.io", "127.0.0.1:5000". */
  registry: string;
  /** At least one host containerd would pull from answers GET /v2/ with 200 or 401. */
  ok: boolean;
  hosts: HostProbe[];
  /** When the probe started (ms since the epoch). */
  checkedAt: number;
  /** Things that do not stop pulls today but will, or that pulls silently work around. */
  warnings: string[];
}

/**
 * The runtime's view (agent/vantage's RuntimeView fits): its network, its hosts for a registry,
 * and CA files read as it reads them. Without one, hostsDir is read and this process's network used.
 */
export interface ProbeVantage {
  network: RegistryNetwork;
  hostsFor(domain: string, req?: { containerdVersion?: string | undefined }): Promise<HostsConfig>;
  readCa(path: string): Promise<string>;
}

export interface RegistryProbeOptions {
  /** containerd's config_path (certs.d), several roots separated by ":"; used when there is no vantage. */
  hostsDir: string;
  vantage?: ProbeVantage | undefined;
  /** Per network step. */
  timeoutMs: number;
  /** The node's containerd version: its hosts.toml defaults changed across releases. */
  containerdVersion?: string;
  now?: () => number;
  /** Warn when a certificate has fewer whole days left than this; default 14. */
  certWarnDays?: number;
  onRateLimit?: (r: RateLimit) => void;
}

const DEFAULT_CERT_WARN_DAYS = 14;
const DEFAULT_PROBE_CONCURRENCY = 4;
// Without a hosts.toml, containerd itself skips verification for loopback registries.
const SKIP_VERIFY_WHY = "hosts.toml skip_verify, or containerd's default for loopback registries";

/**
 * The registry domain `text` names, normalized as image references are ("index.docker.io" is
 * "docker.io"), or an Error saying why it is not a registry host.
 */
export function registryDomain(text: string): string | Error {
  if (text.includes("://"))
    return new Error(`registry ${JSON.stringify(text)} must be a host as image references name it, without a scheme, e.g. "registry.example.com:5000"`);
  if (text.includes("/")) return new Error(`registry ${JSON.stringify(text)} must be a host as image references name it, without a path, e.g. "ghcr.io"`);
  // A reference grammar check on "<text>/probe" is exactly "could this be the registry part of an image name".
  const ref = tryParseReference(`${text}/probe`);
  if (ref instanceof Error) return new Error(`registry ${JSON.stringify(text)} is not a valid registry host: ${ref.reason}`);
  // The parser takes a first part for a host only when it has ".", ":" or an upper-case letter, or is "localhost".
  if (ref.domain !== text && text !== DOCKER_HUB_LEGACY_DOMAIN) {
    return new Error(
      `registry ${JSON.stringify(text)} is not a registry host: image references read a first part without "." or ":" (other than localhost) as a Docker Hub repository`,
    );
  }
  return ref.domain;
}

/** Distinct registry domains of image references (tags or digests), sorted; unparsable references are skipped. */
export function registriesOfImages(refs: string[]): string[] {
  const domains = new Set<string>();
  for (const text of refs) {
    const ref = tryParseReference(text);
    if (!(ref instanceof Error)) domains.add(ref.domain);
  }
  return [...domains].sort();
}

/** Probes every host of `domain` that containerd would use. Never rejects: every failure is in the result. */
export async function probeRegistry(domain: string, opts: RegistryProbeOptions): Promise<RegistryProbe> {
  const now = opts.now ?? Date.now;
  const checkedAt = now();
  const result: RegistryProbe = { registry: domain, ok: false, hosts: [], checkedAt, warnings: [] };
  try {
    const normalized = registryDomain(domain);
    if (normalized instanceof Error) {
      result.warnings.push(normalized.message);
      return result;
    }
    result.registry = normalized;
    const config = await hostsConfig(normalized, opts, result.warnings);
    if (config === undefined) return result;
    const hosts = distinctHosts(config.hosts);
    const upstreamUrl = config.hosts[config.hosts.length - 1]?.url;
    const walked = await Promise.all(hosts.map((host) => probeHost(host, host.mirror && host.url !== upstreamUrl, normalized, opts)));
    result.hosts = walked.map((w) => w.probe);
    for (const w of walked) result.warnings.push(...w.warnings);
    judge(result, hosts);
  } catch (err) {
    // Only a bug gets here; it is reported like any other failure rather than rejecting.
    result.ok = false;
    result.warnings.push(`probing ${domain} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`);
  }
  return result;
}

/** Probes several registries, at most `concurrency` at once; the results are in the order of `domains`. */
export async function probeRegistries(domains: string[], opts: RegistryProbeOptions & { concurrency?: number }): Promise<RegistryProbe[]> {
  const concurrency = opts.concurrency ?? DEFAULT_PROBE_CONCURRENCY;
  if (!(Number.isInteger(concurrency) && concurrency > 0)) throw new RangeError(`probeRegistries: concurrency must be a whole number ≥ 1, got ${concurrency}`);
  const results: RegistryProbe[] = new Array<RegistryProbe>(domains.length);
  let next = 0;
  // Each worker takes the next registry as soon as it is free, so a registry that runs into its
  // timeouts holds up one worker, not the queue behind it.
  const worker = async (): Promise<void> => {
    while (next < domains.length) {
      const i = next++;
      results[i] = await probeRegistry(domains[i] ?? "", opts);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, domains.length) }, worker));
  return results;
}

async function hostsConfig(domain: string, opts: RegistryProbeOptions, warnings: string[]): Promise<HostsConfig | undefined> {
  let config: HostsConfig;
  const version = opts.containerdVersion !== undefined ? { containerdVersion: opts.containerdVersion } : {};
  try {
    config = opts.vantage !== undefined ? await opts.vantage.hostsFor(domain, version) : await readHostsConfig(opts.hostsDir, domain, version);
  } catch (err) {
    if (!(err instanceof HostsConfigError)) throw err;
    warnings.push(err.message);
    // containerd carries on without a file it cannot parse, and so does the probe; other errors fail its pulls too.
    if (err.fallback === undefined) return undefined;
    config = err.fallback;
  }
  for (const note of config.notes ?? []) warnings.push(`${config.file ?? domain}: ${note}`);
  return config;
}

/**
 * A URL listed twice (the usual `server = X` plus `[host."X"]` with a CA) is one endpoint:
 * containerd reaches it first with the first entry's settings, and only those decide a pull.
 */
function distinctHosts(hosts: RegistryHost[]): RegistryHost[] {
  const seen = new Set<string>();
  return hosts.filter((h) => {
    if (seen.has(h.url)) return false;
    seen.add(h.url);
    return true;
  });
}

function judge(result: RegistryProbe, hosts: RegistryHost[]): void {
  const probes = result.hosts;
  const can = (i: number, capability: "pull" | "resolve"): boolean => hosts[i]?.capabilities.includes(capability) ?? false;
  // containerd picks hosts by capability: a push-only host never serves a pull.
  const pulling = probes.filter((_, i) => can(i, "pull") || can(i, "resolve"));
  if (pulling.length === 0) {
    result.ok = false;
    result.warnings.push(`no host has the "pull" or "resolve" capability, so containerd cannot pull from ${result.registry} at all`);
    return;
  }
  result.ok = pulling.some((p) => p.ok);
  if (!result.ok) return;

  const working = pulling.filter((p) => p.ok).map((p) => p.url);
  if (!probes.some((p, i) => p.ok && can(i, "resolve"))) {
    result.warnings.push(`no host with the "resolve" capability answers: pulls by tag fail, pulls by digest still work through ${working.join(", ")}`);
  }
  for (const p of probes) {
    if (p.ok) continue;
    const failed = p.steps.find((s) => !s.ok);
    const where = failed ? `fails at ${failed.step}${failed.errorKind ? ` (${failed.errorKind})` : ""}: ${failed.detail}` : "fails";
    const impact = p.mirror ? `every pull tries it first and, once it fails, pulls from ${working.join(", ")}` : `pulls depend on ${working.join(", ")}`;
    result.warnings.push(`${p.mirror ? "mirror" : "upstream"} ${p.url} ${where}; ${impact}`);
  }
}

interface HostWalk {
  probe: HostProbe;
  warnings: string[];
}

/** What the registry request uses once the host is reached: https after a successful https-first turn, and the hosts.toml CAs. */
interface Reached {
  base: string;
  ca: string[];
}

async function probeHost(host: RegistryHost, mirror: boolean, domain: string, opts: RegistryProbeOptions): Promise<HostWalk> {
  const probe: HostProbe = { url: host.url, mirror, ok: false, steps: [] };
  const warnings: string[] = [];
  try {
    const reached = await reachHost(host, probe, warnings, opts);
    if (reached !== undefined) probe.ok = await pingHost(host, reached, mirror ? domain : undefined, probe, opts);
  } catch (err) {
    const step: ProbeStepName = (["dns", "tcp", "tls", "ping"] as const)[probe.steps.length] ?? "ping";
    probe.steps.push({ step, ok: false, ms: 0, detail: `unexpected failure: ${err instanceof Error ? err.message : String(err)}`, errorKind: "error" });
  }
  return { probe, warnings };
}

/** dns → tcp → tls, as containerd connects; undefined once a step failed (the step is recorded). */
async function reachHost(host: RegistryHost, probe: HostProbe, warnings: string[], opts: RegistryProbeOptions): Promise<Reached | undefined> {
  const url = new URL(host.url);
  const hostname = unbracket(url.hostname);
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  const proxy = opts.vantage?.network.proxyFor(url.protocol === "http:" && host.httpsFirst ? new URL(host.url.replace(/^http:/, "https:")) : url);
  if (proxy !== undefined && opts.vantage !== undefined)
    return reachThroughProxy(host, { url, hostname, port }, proxy, opts.vantage.network, probe, warnings, opts);
  const addresses = await resolveStep(hostname, probe.steps, opts);
  if (addresses === undefined) return undefined;
  const address = await connectStep(addresses, port, probe.steps, opts);
  if (address === undefined) return undefined;
  const reached: Reached = { base: host.url, ca: [] };
  if (url.protocol !== "https:" && !host.httpsFirst) return reached;
  return handshakeStep(host, { url, hostname, port, address }, reached, probe, warnings, opts);
}

/**
 * The runtime sends this host's requests to its proxy: the registry's name is the proxy's to
 * resolve, so the steps are the proxy's name, a connection to it and, for https, the tunnel.
 */
async function reachThroughProxy(
  host: RegistryHost,
  at: Omit<Connected, "address">,
  proxy: ProxyRoute,
  network: RegistryNetwork,
  probe: HostProbe,
  warnings: string[],
  opts: RegistryProbeOptions,
): Promise<Reached | undefined> {
  const started = performance.now();
  const proxyPort = Number(proxy.url.port) || (proxy.url.protocol === "https:" ? 443 : 80);
  const addresses = await resolveStep(unbracket(proxy.url.hostname), probe.steps, opts);
  if (addresses === undefined) return undefined;
  const https = at.url.protocol === "https:" || host.httpsFirst === true;
  try {
    const socket = https
      ? await dialTunnel(proxy, at.hostname, at.port, { network, timeoutMs: opts.timeoutMs })
      : await dialDirect(proxy.url.hostname, proxyPort, { network, timeoutMs: opts.timeoutMs });
    socket.destroy();
  } catch (err) {
    probe.steps.push({ ...failedStep("tcp", err, elapsedMs(started)), errorKind: "proxy" });
    return undefined;
  }
  probe.steps.push({
    step: "tcp",
    ok: true,
    ms: elapsedMs(started),
    detail: `through the proxy ${proxy.label}${https ? `: CONNECT ${at.url.host} → 200` : ""}`,
  });
  const reached: Reached = { base: host.url, ca: [] };
  if (!https) return reached;
  const connect = () => dialTunnel(proxy, at.hostname, at.port, { network, timeoutMs: opts.timeoutMs });
  return handshakeStep(host, { ...at, address: at.hostname, connect }, reached, probe, warnings, opts);
}

/** Where the TCP step connected: the host's URL, its name without brackets, the port and the address that answered. */
interface Connected {
  url: URL;
  hostname: string;
  port: number;
  address: string;
  /** How a TLS connection is opened when it is not TCP to `address` (a proxy tunnel). */
  connect?: () => Promise<Socket>;
}

/** The dns step: the host's addresses (an IP is its own), or undefined with the failed step recorded. */
async function resolveStep(hostname: string, steps: HostProbeStep[], opts: RegistryProbeOptions): Promise<string[] | undefined> {
  try {
    const dns = await probeDns(hostname, { timeoutMs: opts.timeoutMs, ...(opts.vantage ? { network: opts.vantage.network } : {}) });
    const addresses = dns.addresses.map((a) => a.address);
    const from = dns.source !== undefined && !isIP(hostname) ? ` (${dns.source})` : "";
    steps.push({ step: "dns", ok: true, ms: dns.ms, detail: isIP(hostname) ? `${hostname} is an address` : `${hostname} → ${addresses.join(", ")}${from}` });
    return addresses;
  } catch (err) {
    steps.push(failedStep("dns", err, 0));
    return undefined;
  }
}

/** The tcp step: the first address that accepts a connection, or undefined with the failed step recorded. */
async function connectStep(addresses: string[], port: number, steps: HostProbeStep[], opts: RegistryProbeOptions): Promise<string | undefined> {
  // Like Go's dialer, the next address is tried when one fails; the step fails only when all do.
  const tcpStart = performance.now();
  const failures: string[] = [];
  let address: string | undefined;
  let lastError: unknown;
  for (const candidate of addresses) {
    try {
      await probeTcp(candidate, port, { timeoutMs: opts.timeoutMs });
      address = candidate;
      break;
    } catch (err) {
      lastError = err;
      failures.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (address === undefined) {
    steps.push({ ...failedStep("tcp", lastError, 0), ms: elapsedMs(tcpStart), detail: failures.join("; ") });
    return undefined;
  }
  const after = failures.length > 0 ? ` after ${failures.join("; ")}` : "";
  steps.push({ step: "tcp", ok: true, ms: elapsedMs(tcpStart), detail: `connected to ${address.includes(":") ? `[${address}]` : address}:${port}${after}` });
  return address;
}

/**
 * The tls step, with the hosts.toml CAs: `reached` (switched to https after an https-first turn
 * that succeeded), or undefined with the failed step recorded. Records the certificate and warns
 * about one that expires soon or that only disabled verification lets through.
 */
async function handshakeStep(
  host: RegistryHost,
  at: Connected,
  reached: Reached,
  probe: HostProbe,
  warnings: string[],
  opts: RegistryProbeOptions,
): Promise<Reached | undefined> {
  const { url, hostname, port, address } = at;
  const steps = probe.steps;
  const tlsStart = performance.now();
  const vantage = opts.vantage;
  try {
    reached.ca = await Promise.all(host.caFiles.map((f) => (vantage ? vantage.readCa(f) : readCaFile(f))));
  } catch (err) {
    steps.push({
      step: "tls",
      ok: false,
      ms: elapsedMs(tlsStart),
      detail: `a CA file hosts.toml names for ${url.host} cannot be read: ${(err as Error).message}`,
      errorKind: "ca-unreadable",
    });
    return undefined;
  }
  let tls: TlsResult;
  try {
    tls = await probeTls(hostname, port, {
      timeoutMs: opts.timeoutMs,
      address,
      ca: reached.ca,
      skipVerify: host.skipVerify,
      ...(opts.now ? { now: opts.now } : {}),
      ...(vantage ? { roots: vantage.network.roots } : {}),
      ...(at.connect ? { connect: at.connect } : {}),
    });
  } catch (err) {
    // containerd (1.6.25+, 1.7.7+) tries https first on such hosts and uses http when the server answers the hello in plain HTTP.
    if (url.protocol === "http:" && err instanceof ProbeError && err.kind === "http-to-https") {
      steps.push({ step: "tls", ok: true, ms: err.ms, detail: `containerd tries https first; ${url.host} answers in plain HTTP, so it uses http` });
      return reached;
    }
    steps.push(failedStep("tls", err, elapsedMs(tlsStart)));
    return undefined;
  }
  if (url.protocol === "http:") reached.base = host.url.replace(/^http:/, "https:");

  const cert = tls.certificate;
  const warnDays = opts.certWarnDays ?? DEFAULT_CERT_WARN_DAYS;
  if (cert) {
    probe.certificate = { validTo: cert.validTo, daysLeft: cert.daysLeft, names: cert.names, issuer: cert.issuer, expiresSoon: cert.daysLeft < warnDays };
  }
  if (tls.problem !== undefined) {
    steps.push({ step: "tls", ok: false, ms: tls.ms, detail: tlsProblemText(url.host, tls), errorKind: tls.problem });
    return undefined;
  }
  steps.push({ step: "tls", ok: true, ms: tls.ms, detail: tlsSuccessText(tls) });
  warnings.push(...certificateWarnings(url.host, host.skipVerify, tls, warnDays));
  return reached;
}

function tlsSuccessText(tls: TlsResult): string {
  const cert = tls.certificate;
  const about = cert
    ? `certificate for ${cert.names.join(", ") || cert.subject}, issued by ${cert.issuer}, valid until ${cert.validTo.slice(0, 10)} (${cert.daysLeft} days left)`
    : "no certificate details";
  const unverified = !tls.authorized
    ? `; verification is off (${SKIP_VERIFY_WHY}), and a verifying client would reject it (${tls.authorizationError ?? "unknown reason"})`
    : "";
  return `${tls.protocol ?? "TLS"}, ${about}${unverified}`;
}

/** What a handshake that worked still warns about: a certificate near or past its end, or one only skip_verify lets through. */
function certificateWarnings(label: string, skipVerify: boolean, tls: TlsResult, warnDays: number): string[] {
  const cert = tls.certificate;
  const warnings: string[] = [];
  if (cert && cert.daysLeft < warnDays) {
    warnings.push(
      cert.daysLeft < 0
        ? `${label}: certificate expired on ${cert.validTo.slice(0, 10)}; pulls work only because TLS verification is off (${SKIP_VERIFY_WHY})`
        : `${label}: certificate expires in ${cert.daysLeft} day${cert.daysLeft === 1 ? "" : "s"} (${cert.validTo.slice(0, 10)}), under the ${warnDays}-day warning threshold`,
    );
  }
  if (!tls.authorized && skipVerify && !(cert && cert.daysLeft < 0)) {
    warnings.push(
      `${label}: TLS verification is off (${SKIP_VERIFY_WHY}) and hides a certificate a verifying client would reject (${tls.authorizationError ?? "unknown reason"})`,
    );
  }
  return warnings;
}

async function pingHost(host: RegistryHost, reached: Reached, namespace: string | undefined, probe: HostProbe, opts: RegistryProbeOptions): Promise<boolean> {
  const started = performance.now();
  let client: RegistryClient | undefined;
  try {
    client = new RegistryClient(
      {
        url: reached.base,
        ca: reached.ca,
        skipVerify: host.skipVerify,
        overridePath: host.overridePath,
        headers: host.headers,
        ...(namespace !== undefined ? { namespace } : {}),
        ...(opts.vantage ? { network: opts.vantage.network } : {}),
      },
      { timeoutMs: opts.timeoutMs, ...(opts.now ? { now: opts.now } : {}), ...(opts.onRateLimit ? { onRateLimit: opts.onRateLimit } : {}) },
    );
    const ping = await client.ping();
    const asks = ping.challenges.map((c) => c.scheme).join(", ");
    probe.status = ping.status;
    probe.steps.push({ step: "ping", ok: true, ms: round1(ping.ms), detail: `GET /v2/ → ${ping.status}${asks ? ` (asks for ${asks} auth)` : ""}` });
    return true;
  } catch (err) {
    if (err instanceof RegistryError && err.status !== undefined) probe.status = err.status;
    probe.steps.push(failedStep("ping", err, elapsedMs(started)));
    return false;
  } finally {
    await client?.close().catch(() => undefined);
  }
}

function failedStep(step: ProbeStepName, err: unknown, ms: number): HostProbeStep {
  if (err instanceof ProxyError) return { step, ok: false, ms, detail: err.message, errorKind: "proxy" };
  if (err instanceof ProbeError) return { step, ok: false, ms: err.ms, detail: err.message, errorKind: err.kind };
  if (err instanceof RegistryError) return { step, ok: false, ms, detail: err.message, errorKind: err.kind };
  return { step, ok: false, ms, detail: err instanceof Error ? err.message : String(err), errorKind: "error" };
}

function tlsProblemText(label: string, tls: TlsResult): string {
  const cert = tls.certificate;
  const code = tls.authorizationError ? ` (${tls.authorizationError})` : "";
  switch (tls.problem) {
    case "unknown-authority":
      return `the certificate of ${label} is signed by an authority this node does not trust (issuer: ${cert?.issuer ?? "unknown"})${code}`;
    case "self-signed":
      return `${label} presents a self-signed certificate this node does not trust${code}`;
    case "expired":
      return `the certificate of ${label} expired on ${cert?.validTo.slice(0, 10) ?? "an earlier date"}${code}`;
    case "not-yet-valid":
      return `the certificate of ${label} is not valid yet; check the node's clock${code}`;
    case "wrong-host":
      return `the certificate of ${label} is for ${cert?.names.join(", ") || "other names"}, not ${label.replace(/:\d+$/, "")}${code}`;
    default:
      return `TLS with ${label} failed: ${tls.problem ?? "unknown problem"}${code}`;
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
