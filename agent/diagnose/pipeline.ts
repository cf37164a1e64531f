import { isIP, type Socket } from "node:net";
import { formatPlatform, type ImageReference, manifestReference, type Platform, platformMatches, tryParseReference } from "../../core/image/index.js";
import { formatDuration, humanBytes as mib } from "../../core/text/index.js";
import { type ImageFilesystem, ProbeError, probeDns, probeTcp, probeTls } from "../probe/index.js";
import {
  type DockerConfig,
  describeCredential,
  type HostsConfig,
  HostsConfigError,
  kubeletRegistryCredential,
  type Manifest,
  type ManifestDescriptor,
  matchCredentials,
  ProxyError,
  type ProxyRoute,
  type RegistryAuthEntry,
  RegistryClient,
  type RegistryCredential,
  RegistryError,
  type RegistryHost,
  readCaFile,
  readHostsConfig,
  redactUrls,
} from "../registry/index.js";
import { type RuntimeView, type VantageData, vantageData } from "../vantage/index.js";
import type { Cause } from "./causes.js";
import { classifyMessage } from "./classify.js";
import type { ProviderCoverage } from "./credential-provider/index.js";
import { type DiagnosisStep, type Evidence, elapsedMs, now } from "./evidence.js";
import type { DiagnosisFacts } from "./facts.js";
import { fixCommands } from "./fixes.js";
import { closestTags } from "./suggest.js";
import { httpVerdict, transportVerdict, type Verdict } from "./verdict.js";
import { dialThrough, proxyFixes, proxyVerdict } from "./via-proxy.js";

/** What the node side can tell the pipeline; absent when no runtime is reachable. */
export interface NodeRuntime {
  /** containerd's version, when the runtime is containerd: its hosts.toml rules changed across releases. */
  containerdVersion(): Promise<string | undefined>;
  imageFilesystems(): Promise<ImageFilesystem[]>;
  imagePresent(image: string): Promise<boolean>;
  pull(image: string, auth: RegistryAuthEntry | undefined, timeoutMs: number): Promise<string>;
}

export interface DiagnoseOptions {
  image: string;
  /** Parsed pull credentials (--docker-config, --secret), already validated. */
  credentials?: { configs: DockerConfig[]; secretName?: string; secretNamespace?: string };
  /** The given Secret or config file could not be used (wrong type, undecodable, …). */
  credentialProblem?: string;
  platform: Platform;
  hostsDir: string;
  /**
   * The runtime's view (agent/vantage): its hosts, trust store, resolver and proxy. Without it the
   * diagnosis reads hostsDir and connects as this process would, and says so.
   */
  vantage?: RuntimeView | undefined;
  timeoutMs: number;
  pullDeadlineMs: number;
  runtime?: NodeRuntime;
  /** Why no runtime is available, shown on the steps that need one. */
  runtimeUnavailable?: string;
  pull: boolean;
  /**
   * A kubelet image credential provider covers the image (credential-provider/): auth answers
   * then point at the plugin and the node's identity instead of at pull secrets.
   */
  provider?: ProviderCoverage;
  /** Called as each step finishes, for progress output. */
  onEvidence?: (e: Evidence) => void;
}

export interface Diagnosis {
  image: string;
  cause: Cause;
  summary: string;
  evidence: Evidence[];
  fix: string[];
  registry: string;
  /** Whose network the diagnosis was made from: one line for people, the rest as data (diagnoseImage always sets it). */
  vantage?: VantageData | { line: string };
}

/** What a diagnosis without a runtime view is taken from. */
const OWN_VANTAGE = "no runtime view given: this process's own resolver, Node's bundled CA list and no proxy, and --hosts-dir";

/** The throughput sample stops at whichever comes first. */
const SAMPLE_MAX_BYTES = 8 * 1024 * 1024;
const SAMPLE_MAX_MS = 3000;
/** containerd keeps compressed blobs and unpacks them: an image needs at least twice its size. */
const UNPACK_FACTOR = 2;
const CERT_WARN_DAYS = 14;

class Stop {
  /** Set once a host resolved the manifest: later failures are not retried on other hosts. */
  resolved = false;
  constructor(readonly verdict: Verdict) {}
}

class Run {
  readonly evidence: Evidence[] = [];
  readonly facts: DiagnosisFacts;
  /** Fix commands for a failure at the runtime's proxy, ahead of the cause's own. */
  proxyFix: string[] | undefined;
  constructor(readonly opts: DiagnoseOptions) {
    this.facts = { image: opts.image, hostsDir: opts.hostsDir, ...(opts.provider !== undefined ? { provider: opts.provider } : {}) };
  }

  record(check: DiagnosisStep, ok: boolean, started: number, detail: string, extra: Partial<Evidence> = {}): void {
    const e: Evidence = { check, ok, ms: elapsedMs(started), detail, ...extra };
    this.evidence.push(e);
    this.opts.onEvidence?.(e);
  }

  /** Records a failing step and stops the pipeline with its verdict; `detail` adds the raw evidence. */
  fail(check: DiagnosisStep, started: number, verdict: Verdict, extra: Partial<Evidence> = {}, detail = verdict.summary): never {
    this.record(check, false, started, detail, extra);
    throw new Stop(verdict);
  }
}

export async function diagnoseImage(opts: DiagnoseOptions): Promise<Diagnosis> {
  const run = new Run(opts);
  let registry = "";
  let verdict: Verdict | undefined;
  try {
    const ref = referenceStep(run);
    registry = ref.apiHost;
    Object.assign(run.facts, { normalized: ref.normalized, domain: ref.domain, repository: ref.path, tag: ref.tag, platform: opts.platform });
    const credential = credentialStep(run, ref);
    const hosts = await hostsStep(run, ref);
    const reached = await walkHosts(run, ref, hosts, credential);
    try {
      registry = new URL(reached.host.url).host;
      await diskStep(run, reached.imageBytes);
      await throughputStep(run, reached);
    } finally {
      await reached.client.close();
    }
    if (opts.pull) await pullStep(run, credential?.entry);
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    verdict = err.verdict;
  }
  const cause: Cause = verdict?.cause ?? "ok";
  if (verdict) Object.assign(run.facts, verdict.facts);
  const summary = withProvider(verdict?.summary ?? `${opts.image} can be pulled on this node: ${okSummary(run.evidence)}`, cause, opts.provider);
  const fix = [...(run.proxyFix ?? []), ...fixCommands(cause, run.facts)];
  const vantage = opts.vantage !== undefined ? vantageData(opts.vantage) : { line: OWN_VANTAGE };
  return { image: opts.image, cause, summary, evidence: run.evidence, fix, registry, vantage };
}

/** On an auth failure, says that kubelet gets this image's credentials from a provider plugin. */
function withProvider(summary: string, cause: Cause, provider: ProviderCoverage | undefined): string {
  if (provider === undefined || (cause !== "auth-required" && cause !== "auth-denied" && cause !== "secret-invalid")) return summary;
  return `${summary} On this node kubelet gets credentials for it from the credential provider ${provider.provider} (${provider.configPath}), not from a pull secret.`;
}

function okSummary(evidence: Evidence[]): string {
  const steps = evidence.filter((e) => e.ok && !e.skipped).map((e) => e.check);
  return `${[...new Set(steps)].join(", ")} passed`;
}

function referenceStep(run: Run): ImageReference {
  const started = now();
  const ref = tryParseReference(run.opts.image);
  if (ref instanceof Error) {
    run.fail("reference", started, { cause: "invalid-reference", summary: ref.message, facts: {} });
  }
  run.record("reference", true, started, `${ref.normalized} (registry ${ref.domain}, repository ${ref.path})`);
  return ref;
}

interface ChosenCredential {
  entry: RegistryAuthEntry;
  credential: RegistryCredential;
}

function credentialStep(run: Run, ref: ImageReference): ChosenCredential | undefined {
  const started = now();
  if (run.opts.credentialProblem) {
    run.fail("credentials", started, { cause: "secret-invalid", summary: run.opts.credentialProblem, facts: {} });
  }
  const given = run.opts.credentials;
  if (!given) return undefined;
  Object.assign(run.facts, { secretName: given.secretName, secretNamespace: given.secretNamespace });
  const matches = matchCredentials(given.configs, ref);
  const entry = matches[0];
  if (!entry) {
    const keys = given.configs.flatMap((c) => c.entries.map((e) => e.rawKey));
    const sources = given.configs.map((c) => c.source).join(", ");
    run.fail("credentials", started, {
      cause: "secret-invalid",
      summary: `${sources} has no entry for registry ${ref.domain} (it has ${keys.length ? keys.map((k) => `"${k}"`).join(", ") : "no entries"}), so kubelet would pull anonymously`,
      facts: {},
    });
  }
  const described = describeCredential(entry);
  run.facts.credential = described;
  const others = matches.length > 1 ? `; ${matches.length - 1} more matching entr${matches.length === 2 ? "y" : "ies"} would be tried after it` : "";
  run.record("credentials", true, started, `using ${described}${others}`);
  return { entry, credential: kubeletRegistryCredential(entry, described) };
}

async function hostsStep(run: Run, ref: ImageReference): Promise<HostsConfig> {
  const started = now();
  let config: HostsConfig;
  const containerdVersion = await run.opts.runtime?.containerdVersion().catch(() => undefined);
  const vantage = run.opts.vantage;
  try {
    config =
      vantage !== undefined
        ? await vantage.hostsFor(ref.domain, { containerdVersion, repository: ref.path, digested: ref.digest !== undefined, reference: ref.normalized })
        : await readHostsConfig(run.opts.hostsDir, ref.domain, containerdVersion ? { containerdVersion } : {});
  } catch (err) {
    if (!(err instanceof HostsConfigError) || !err.fallback) {
      run.fail("hosts", started, {
        cause: "unknown",
        summary: `containerd's registry configuration for ${ref.domain} cannot be read: ${(err as Error).message}`,
        facts: {},
      });
    }
    // containerd logs a broken hosts.toml and carries on without it; so does the diagnosis.
    run.record("hosts", false, started, err.message);
    config = err.fallback;
  }
  const upstream = config.hosts[config.hosts.length - 1]?.url;
  const order = config.hosts.map((h) => `${h.url}${h.mirror && h.url !== upstream ? " (mirror)" : ""}`).join(", then ");
  const where = config.file ? `${config.file}: ` : `no hosts.toml for ${ref.domain} under ${run.opts.hostsDir}; containerd's default: `;
  const notes = config.notes?.length ? ` (${config.notes.join("; ")})` : "";
  run.record("hosts", true, started, `${where}${order}${notes}`);
  return config;
}

interface ReachedHost {
  host: RegistryHost;
  client: RegistryClient;
  ref: ImageReference;
  manifest: Manifest & { kind: "image" };
  imageBytes: number;
}

/**
 * Tries the hosts as containerd does, mirrors first. When all fail to resolve, containerd reports
 * the most relevant error, the one that got furthest (a refusal beats a 404, which beats a
 * connection failure), the first host winning ties (core/remotes/docker/resolver.go).
 */
async function walkHosts(run: Run, ref: ImageReference, config: HostsConfig, credential: ChosenCredential | undefined): Promise<ReachedHost> {
  // containerd resolves tags only on hosts with the "resolve" capability.
  const usable = config.hosts.filter((h) => ref.digest || h.capabilities.includes("resolve"));
  // A hosts.toml that names the server also as a [host] makes containerd ask it twice with the
  // same request; the second answer is the first one again, so it is asked once here.
  const seen = new Set<string>();
  const hosts = (usable.length ? usable : config.hosts).filter((h) => {
    const same = JSON.stringify([h.url, h.skipVerify, h.caFiles, h.overridePath, h.headers, h.httpsFirst, h.mirror]);
    if (seen.has(same)) return false;
    seen.add(same);
    return true;
  });
  let best: { stop: Stop; priority: number; endpoint: string | undefined } | undefined;
  for (const host of hosts) {
    try {
      return await diagnoseHost(run, ref, host, credential);
    } catch (err) {
      if (!(err instanceof Stop)) throw err;
      // Past resolution there is no next host: containerd pulls from the host that resolved.
      if (err.resolved) throw err;
      const priority = resolvePriority(err.verdict.cause);
      if (!best || priority > best.priority) best = { stop: err, priority, endpoint: run.facts.endpoint };
    }
  }
  if (!best) throw new Error("no registry host to try");
  // The fix commands must name the host whose failure is reported, not the last one tried.
  run.facts.endpoint = best.endpoint;
  throw best.stop;
}

function resolvePriority(cause: Cause): number {
  if (cause === "not-found") return 2;
  if (cause === "dns" || cause === "network-timeout" || cause === "connection-refused" || cause === "tls") return 1;
  return 3;
}

async function diagnoseHost(run: Run, ref: ImageReference, host: RegistryHost, credential: ChosenCredential | undefined): Promise<ReachedHost> {
  const target = hostTarget(run, host);
  run.facts.endpoint = host.url;
  const addresses = await dnsStep(run, target);
  const connected = await tcpStep(run, target, addresses);
  const { base, ca } = await tlsPhase(run, host, target, connected);
  run.facts.endpoint = base;
  const client = registryClientFor(run, ref, host, base, ca, credential, target.label);
  try {
    await registrySteps(run, ref, client, target.label, credential !== undefined);
    const manifest = await platformStep(run, ref, client, target.label).catch((err: unknown) => {
      if (err instanceof Stop) err.resolved = true;
      throw err;
    });
    const imageBytes = manifest.config.size + manifest.layers.reduce((s, l) => s + l.size, 0);
    run.facts.imageBytes = imageBytes;
    return { host, client, ref, manifest, imageBytes };
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** Where one hosts.toml entry points: the URL, the name to resolve, the port, and how evidence names it. */
interface HostTarget {
  url: URL;
  hostname: string;
  port: number;
  label: string;
  tag: { host: string };
  /** The runtime's proxy for this host, when Go's rules send its requests there. */
  proxy: ProxyRoute | undefined;
  /** The runtime's first request to it is https (an https URL, or an https-first http host). */
  https: boolean;
}

function hostTarget(run: Run, host: RegistryHost): HostTarget {
  let url: URL;
  try {
    url = new URL(host.url);
  } catch (err) {
    unusableHost(run, now(), host.url, err);
  }
  const label = url.host;
  // An https-first host's first request is https, and so is the proxy it goes to.
  const asked = url.protocol === "http:" && host.httpsFirst ? new URL(host.url.replace(/^http:/, "https:")) : url;
  const proxy = run.opts.vantage?.network.proxyFor(asked);
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  return { url, hostname: url.hostname.replace(/^\[|\]$/g, ""), port, label, tag: { host: label }, proxy, https: asked.protocol === "https:" };
}

async function dnsStep(run: Run, t: HostTarget): Promise<string[]> {
  const started = now();
  // Through a proxy the registry's name is the proxy's to resolve; the runtime resolves the proxy's.
  const name = t.proxy !== undefined ? t.proxy.url.hostname.replace(/^\[|\]$/g, "") : t.hostname;
  const network = run.opts.vantage?.network;
  try {
    const dns = await probeDns(name, { timeoutMs: run.opts.timeoutMs, ...(network ? { network } : {}) });
    const addresses = dns.addresses.map((a) => a.address);
    const found = isIP(name) ? `${name} is an address` : `${name} → ${addresses.join(", ")}${dns.source ? ` (${dns.source})` : ""}`;
    const detail = t.proxy !== undefined ? `the runtime sends ${t.label} through its proxy ${t.proxy.label}; ${found}` : found;
    run.record("dns", true, started, detail, t.tag);
    return addresses;
  } catch (err) {
    if (t.proxy !== undefined && err instanceof ProbeError) failAtProxy(run, started, "dns", new ProxyError(t.proxy.label, "dns", err.message), t);
    run.fail("dns", started, probeVerdict(err, t.hostname), t.tag);
  }
}

function failAtProxy(run: Run, started: number, check: DiagnosisStep, err: ProxyError, t: HostTarget): never {
  run.proxyFix = proxyFixes(run.opts.vantage?.runtime.name ?? "containerd");
  run.fail(check, started, proxyVerdict(err, t.label), t.tag);
}

/** Each address in turn, as Go's dialer does; the step fails with the last address's error. */
async function tcpStep(run: Run, t: HostTarget, addresses: string[]): Promise<string | undefined> {
  const started = now();
  if (t.proxy !== undefined) return tunnelStep(run, t, started);
  let connected: string | undefined;
  const tcpErrors: string[] = [];
  for (const address of addresses) {
    try {
      await probeTcp(address, t.port, { timeoutMs: run.opts.timeoutMs });
      connected = address;
      break;
    } catch (err) {
      tcpErrors.push(err instanceof Error ? err.message : String(err));
      if (address === addresses[addresses.length - 1]) run.fail("tcp", started, probeVerdict(err, `${t.label}`), t.tag);
    }
  }
  run.record("tcp", true, started, `connected to ${connected}:${t.port}${tcpErrors.length ? ` after ${tcpErrors.join("; ")}` : ""}`, t.tag);
  return connected;
}

/** The tcp step through the proxy: a connection to it, and for https the tunnel it opens to the registry. */
async function tunnelStep(run: Run, t: HostTarget, started: number): Promise<undefined> {
  const proxy = t.proxy as ProxyRoute;
  const https = t.https;
  try {
    const socket = await throughProxy(run, t, https)();
    socket.destroy();
  } catch (err) {
    if (err instanceof ProxyError) failAtProxy(run, started, "tcp", err, t);
    run.fail("tcp", started, probeVerdict(err, t.label), t.tag);
  }
  run.record("tcp", true, started, https ? `CONNECT ${t.url.host} through the proxy ${proxy.label} → 200` : `connected to the proxy ${proxy.label}`, t.tag);
  return undefined;
}

/** How a connection to the target is opened through its proxy, for the TLS probes. */
function throughProxy(run: Run, t: HostTarget, https: boolean): () => Promise<Socket> {
  const network = run.opts.vantage?.network;
  const proxy = t.proxy;
  if (network === undefined || proxy === undefined) throw new Error("throughProxy: no proxy for this host");
  return () => dialThrough(proxy, network, { hostname: t.hostname, port: t.port, https }, run.opts.timeoutMs);
}

/** How the TLS probes reach a host and what they trust: the runtime's roots and route, or this process's. */
interface TlsRoute {
  hostname: string;
  port: number;
  address: string;
  label: string;
  connect?: () => Promise<Socket>;
  roots?: readonly string[];
  /** The trust source, for evidence: the runtime's store, or Node's bundled list. */
  trust: string;
}

function tlsRoute(run: Run, t: HostTarget, connected: string | undefined): TlsRoute {
  const network = run.opts.vantage?.network;
  const route: TlsRoute = {
    hostname: t.hostname,
    port: t.port,
    address: connected ?? t.hostname,
    label: t.label,
    trust: network?.trustSource ?? "Node's bundled CA list",
  };
  if (network !== undefined) route.roots = network.roots;
  if (t.proxy !== undefined) route.connect = throughProxy(run, t, true);
  return route;
}

/** Upgrades an http:// host that speaks TLS (containerd tries HTTPS first there), reads its CAs and checks the handshake. */
async function tlsPhase(run: Run, host: RegistryHost, t: HostTarget, connected: string | undefined): Promise<{ base: string; ca: string[] }> {
  let ca: string[] = [];
  let base = host.url;
  const route = tlsRoute(run, t, connected);
  if (t.url.protocol === "http:" && host.httpsFirst && (await speaksTls(run, route))) {
    base = host.url.replace(/^http:/, "https:");
  }
  if (base.startsWith("https:")) {
    const started = now();
    const vantage = run.opts.vantage;
    try {
      ca = await Promise.all(host.caFiles.map((f) => (vantage ? vantage.readCa(f) : readCaFile(f))));
    } catch (err) {
      run.fail(
        "tls",
        started,
        { cause: "tls", summary: `a CA file named in hosts.toml for ${t.label} cannot be read: ${(err as Error).message}`, facts: {} },
        t.tag,
      );
    }
    const trust = host.caFiles.length > 0 ? `${route.trust}, plus ${host.caFiles.join(", ")} from the registry configuration` : route.trust;
    await tlsStep(run, { ...route, trust }, ca, host.skipVerify);
  }
  return { base, ca };
}

function registryClientFor(
  run: Run,
  ref: ImageReference,
  host: RegistryHost,
  base: string,
  ca: string[],
  credential: ChosenCredential | undefined,
  label: string,
): RegistryClient {
  try {
    return new RegistryClient(
      {
        url: base,
        ca,
        skipVerify: host.skipVerify,
        overridePath: host.overridePath,
        headers: host.headers,
        ...(host.mirror ? { namespace: ref.domain } : {}),
        ...(run.opts.vantage ? { network: run.opts.vantage.network } : {}),
      },
      {
        timeoutMs: run.opts.timeoutMs,
        ...(credential ? { credential: credential.credential } : {}),
        onRateLimit: (r) => {
          run.facts.rateLimit = { limit: r.limit, remaining: r.remaining, windowSeconds: r.windowSeconds, source: r.source };
        },
      },
    );
  } catch (err) {
    unusableHost(run, now(), label, err);
  }
}

/**
 * A host entry that reads as TOML but that no request can be sent to (a URL WHATWG refuses, a
 * header name or value HTTP forbids). containerd fails requests to that host and tries the next
 * one; so does the diagnosis, instead of failing as a whole.
 */
function unusableHost(run: Run, started: number, label: string, err: unknown): never {
  const why = err instanceof Error ? err.message : String(err);
  run.fail(
    "hosts",
    started,
    { cause: "unknown", summary: `requests to ${label} cannot be made as hosts.toml configures them: ${why}`, facts: {} },
    { host: label },
  );
}

/**
 * containerd (1.6.25+, 1.7.7+) tries https first on such hosts and falls back to http only when
 * the server answers the TLS hello in plain HTTP; the diagnosis takes the same turn.
 */
async function speaksTls(run: Run, r: TlsRoute): Promise<boolean> {
  const started = now();
  const label = r.label;
  try {
    await probeTls(r.hostname, r.port, { timeoutMs: run.opts.timeoutMs, address: r.address, skipVerify: true, ...tlsVia(r) });
    return true;
  } catch (err) {
    if (err instanceof ProbeError && err.kind === "http-to-https") {
      run.record("tls", true, started, `containerd tries https first; ${label} answers in plain HTTP, so http is used`, { host: label, skipped: true });
      return false;
    }
    if (err instanceof ProxyError) {
      run.proxyFix = proxyFixes(run.opts.vantage?.runtime.name ?? "containerd");
      run.fail("tls", started, proxyVerdict(err, label), { host: label });
    }
    run.fail("tls", started, probeVerdict(err, label), { host: label });
  }
}

function tlsVia(r: TlsRoute): { roots?: readonly string[]; connect?: () => Promise<Socket> } {
  return { ...(r.roots !== undefined ? { roots: r.roots } : {}), ...(r.connect !== undefined ? { connect: r.connect } : {}) };
}

function probeVerdict(err: unknown, what: string): Verdict {
  if (err instanceof ProbeError) return transportVerdict(err.kind, what, err.message);
  return { cause: "unknown", summary: `probing ${what} failed unexpectedly: ${String(err)}`, facts: {} };
}

async function tlsStep(run: Run, r: TlsRoute, ca: string[], skipVerify: boolean): Promise<void> {
  const started = now();
  const { label, port } = r;
  const tag = { host: label };
  let result;
  try {
    result = await probeTls(r.hostname, port, { timeoutMs: run.opts.timeoutMs, address: r.address, ca, skipVerify, ...tlsVia(r) });
  } catch (err) {
    if (err instanceof ProxyError) {
      run.proxyFix = proxyFixes(run.opts.vantage?.runtime.name ?? "containerd");
      run.fail("tls", started, proxyVerdict(err, label), tag);
    }
    const v = probeVerdict(err, label);
    if (err instanceof ProbeError && err.kind === "http-to-https") {
      v.summary = `${label} speaks plain HTTP on port ${port}, but containerd is set to use HTTPS for it`;
      v.facts = { tlsProblem: "http-to-https" };
    }
    run.fail("tls", started, v, tag);
  }
  const cert = result.certificate;
  const certFacts = cert ? { subject: cert.subject, issuer: cert.issuer, names: cert.names, validTo: cert.validTo, daysLeft: cert.daysLeft } : undefined;
  const data = certFacts ? { certificate: certFacts, protocol: result.protocol } : { protocol: result.protocol };
  if (result.problem && !skipVerify) {
    run.fail(
      "tls",
      started,
      {
        cause: "tls",
        summary: `${tlsSummary(label, result.problem, certFacts)} (trust: ${r.trust})`,
        facts: { tlsProblem: result.problem, certificate: certFacts },
      },
      { ...tag, data: { ...data, trust: r.trust } },
    );
  }
  const expiry = certFacts
    ? `certificate for ${certFacts.names.join(", ") || certFacts.subject}, issued by ${certFacts.issuer}, valid until ${certFacts.validTo.slice(0, 10)} (${certFacts.daysLeft} days left)`
    : "no certificate details";
  const warn = certFacts && certFacts.daysLeft < CERT_WARN_DAYS ? `; warning: it expires in under ${CERT_WARN_DAYS} days` : "";
  const skipped = result.problem && skipVerify ? `; verification skipped by hosts.toml (would fail: ${result.problem})` : "";
  run.record("tls", true, started, `${result.protocol ?? "TLS"}, ${expiry}${warn}${skipped}${skipVerify ? "" : `; trusted by ${r.trust}`}`, {
    ...tag,
    data: { ...data, trust: r.trust },
  });
}

function tlsSummary(label: string, problem: string, cert: { names: string[]; issuer: string; validTo: string } | undefined): string {
  switch (problem) {
    case "unknown-authority":
      return `the certificate of ${label} is signed by an authority this node does not trust (issuer: ${cert?.issuer ?? "unknown"})`;
    case "self-signed":
      return `${label} presents a self-signed certificate that this node does not trust`;
    case "expired":
      return `the certificate of ${label} expired on ${cert?.validTo.slice(0, 10) ?? "an earlier date"}`;
    case "not-yet-valid":
      return `the certificate of ${label} is not valid yet (check the node's clock)`;
    case "wrong-host":
      return `the certificate of ${label} is for ${cert?.names.join(", ") || "other names"}, not ${label.replace(/:\d+$/, "")}`;
    default:
      return `TLS with ${label} failed: ${problem}`;
  }
}

function registryFailure(run: Run, check: DiagnosisStep, started: number, err: unknown, what: string, label: string): never {
  const tag = { host: label };
  if (!(err instanceof RegistryError)) throw err;
  if (err.rateLimit)
    run.facts.rateLimit = {
      limit: err.rateLimit.limit,
      remaining: err.rateLimit.remaining,
      windowSeconds: err.rateLimit.windowSeconds,
      source: err.rateLimit.source,
    };
  if (err.retryAfterSeconds !== undefined) run.facts.retryAfterSeconds = err.retryAfterSeconds;
  if (err.kind === "http") {
    const v = httpVerdict(
      { status: err.status ?? 0, codes: err.errors.map((e) => e.code), credentialSent: err.credentialSent, dockerHub: label === "registry-1.docker.io" },
      what,
    );
    if (v) {
      if (v.cause === "rate-limited") v.summary = rateLimitSummary(label, run.facts.rateLimit, err.retryAfterSeconds);
      run.fail(check, started, v, tag, `${v.summary} — ${err.message}`);
    }
    run.fail(check, started, { cause: "unknown", summary: `${what}: unexpected answer: ${err.message}`, facts: { status: err.status } }, tag);
  }
  const v = transportVerdict(err.kind, label, err.message);
  if (err.kind === "http-to-https") {
    v.summary = `${label} does not speak the protocol containerd uses for it (${err.message})`;
    v.facts = { tlsProblem: "http-to-https" };
  }
  run.fail(check, started, v, tag);
}

function rateLimitSummary(label: string, r: DiagnosisFacts["rateLimit"], retryAfter: number | undefined): string {
  const quota = r
    ? `${r.remaining} of ${r.limit} pulls left${r.windowSeconds ? ` per ${formatDuration(r.windowSeconds * 1000)} window` : ""}${r.source ? ` for source ${r.source}` : ""}`
    : "no quota headers";
  const when =
    retryAfter !== undefined
      ? `; retry after ${formatDuration(retryAfter * 1000)}`
      : r?.windowSeconds
        ? `; the window resets within ${formatDuration(r.windowSeconds * 1000)}`
        : "";
  return `${label} refused the pull: rate limit reached (${quota}${when})`;
}

async function registrySteps(run: Run, ref: ImageReference, client: RegistryClient, label: string, withCredential: boolean): Promise<void> {
  const tag = { host: label };
  let started = now();
  try {
    const ping = await client.ping();
    const auth = ping.challenges.map((c) => c.scheme).join(", ");
    run.record("ping", true, started, `GET /v2/ → ${ping.status}${auth ? ` (asks for ${auth} auth)` : ""}`, tag);
  } catch (err) {
    registryFailure(run, "ping", started, err, `GET /v2/ on ${label}`, label);
  }

  started = now();
  try {
    const auth = await client.authorize(ref.path);
    const how = auth.scheme === "none" ? "no authentication needed" : `${auth.scheme} ${auth.anonymous ? "anonymous" : "with credentials"}`;
    run.record("auth", true, started, `${how}${withCredential ? ` (${run.facts.credential})` : ""}`, tag);
  } catch (err) {
    registryFailure(run, "auth", started, err, `authentication with ${label}`, label);
  }

  started = now();
  const reference = manifestReference(ref);
  try {
    const head = await client.headManifest(ref.path, reference);
    const quota = run.facts.rateLimit ? `; quota ${run.facts.rateLimit.remaining}/${run.facts.rateLimit.limit} left` : "";
    run.record("manifest", true, started, `${ref.path}:${reference} → ${head.digest ?? "no digest header"} (${head.mediaType ?? "unknown type"})${quota}`, {
      ...tag,
      ...(run.facts.rateLimit ? { data: { rateLimit: run.facts.rateLimit } } : {}),
    });
  } catch (err) {
    if (
      err instanceof RegistryError &&
      err.kind === "http" &&
      (err.status === 404 || err.errors.some((e) => e.code === "MANIFEST_UNKNOWN" || e.code === "NAME_UNKNOWN"))
    ) {
      run.record("manifest", false, started, `${label} has no ${ref.path}:${reference} — ${err.message}`, tag);
      await notFoundEvidence(run, ref, client, label, err);
      const sep = ref.digest ? "@" : ":";
      const closest = run.facts.suggestions?.length
        ? `; closest existing tags: ${run.facts.suggestions.join(", ")}`
        : run.facts.repositoryExists === false
          ? `; the repository ${ref.path} does not exist there`
          : "";
      throw new Stop({
        cause: "not-found",
        summary: `${label} has no ${ref.path}${sep}${reference}${closest}`,
        facts: { status: err.status, registryCodes: err.errors.map((e) => e.code) },
      });
    }
    registryFailure(run, "manifest", started, err, `${ref.path}:${reference}`, label);
  }
}

/** For a missing manifest: does the repository exist, and which tags are closest? */
async function notFoundEvidence(run: Run, ref: ImageReference, client: RegistryClient, label: string, err: RegistryError): Promise<void> {
  const started = now();
  const tag = { host: label };
  if (err.errors.some((e) => e.code === "NAME_UNKNOWN")) {
    run.facts.repositoryExists = false;
    run.record("tags", false, started, `repository ${ref.path} does not exist on ${label}`, tag);
    return;
  }
  try {
    const tags = await client.listTags(ref.path, { max: 10_000 });
    run.facts.repositoryExists = true;
    if (ref.digest) {
      run.record("tags", false, started, `repository ${ref.path} exists (${tags.length} tags) but has no manifest ${ref.digest}`, tag);
      return;
    }
    const suggestions = closestTags(ref.tag ?? "latest", tags);
    run.facts.suggestions = suggestions;
    const closest = suggestions.length ? `; closest: ${suggestions.join(", ")}` : "";
    run.record(
      "tags",
      false,
      started,
      `repository ${ref.path} exists with ${tags.length} tag${tags.length === 1 ? "" : "s"} but not "${ref.tag ?? "latest"}"${closest}`,
      {
        ...tag,
        data: { suggestions, tagCount: tags.length },
      },
    );
  } catch (tagsErr) {
    const missing = tagsErr instanceof RegistryError && (tagsErr.status === 404 || tagsErr.errors.some((e) => e.code === "NAME_UNKNOWN"));
    if (missing) run.facts.repositoryExists = false;
    run.record(
      "tags",
      false,
      started,
      missing ? `repository ${ref.path} does not exist on ${label}` : `tags could not be listed: ${(tagsErr as Error).message}`,
      tag,
    );
  }
}

async function platformStep(run: Run, ref: ImageReference, client: RegistryClient, label: string): Promise<Manifest & { kind: "image" }> {
  const started = now();
  const wanted = run.opts.platform;
  const tag = { host: label };
  let top: Manifest;
  try {
    top = await client.getManifest(ref.path, manifestReference(ref));
  } catch (err) {
    registryFailure(run, "platform", started, err, `${ref.path} manifest`, label);
  }
  if (top.kind === "image") {
    let platform: Platform | undefined;
    try {
      platform = await client.getImagePlatform(ref.path, top);
    } catch (err) {
      registryFailure(run, "platform", started, err, `${ref.path} image config`, label);
    }
    if (platform && !platformMatches(wanted, platform)) {
      const have = formatPlatform(platform);
      run.facts.availablePlatforms = [have];
      run.fail(
        "platform",
        started,
        {
          cause: "platform-mismatch",
          summary: `${ref.familiar} is built only for ${have}; this node is ${formatPlatform(wanted)}`,
          facts: {},
        },
        { ...tag, data: { wanted: formatPlatform(wanted), available: [have] } },
      );
    }
    run.record(
      "platform",
      true,
      started,
      `single-platform image for ${platform ? formatPlatform(platform) : "an unstated platform"}, runs on ${formatPlatform(wanted)}`,
      tag,
    );
    return top;
  }
  const available = top.manifests.filter((m): m is ManifestDescriptor & { platform: Platform } => !!m.platform);
  const names = available.map((m) => formatPlatform(m.platform)).filter((p) => !p.startsWith("unknown/"));
  const match = available.find((m) => platformMatches(wanted, m.platform));
  if (!match) {
    run.facts.availablePlatforms = names;
    run.fail(
      "platform",
      started,
      {
        cause: "platform-mismatch",
        summary: `${ref.familiar} has no image for ${formatPlatform(wanted)}; it offers ${names.join(", ") || "no platforms"}`,
        facts: {},
      },
      { ...tag, data: { wanted: formatPlatform(wanted), available: names } },
    );
  }
  let image: Manifest;
  try {
    image = await client.getManifest(ref.path, match.digest);
  } catch (err) {
    registryFailure(run, "platform", started, err, `${ref.path}@${match.digest}`, label);
  }
  if (image.kind !== "image") {
    run.fail(
      "platform",
      started,
      { cause: "registry-unavailable", summary: `the index entry for ${formatPlatform(match.platform)} is itself an index`, facts: {} },
      tag,
    );
  }
  run.record("platform", true, started, `index with ${names.join(", ")}; ${formatPlatform(match.platform)} matches this node (${formatPlatform(wanted)})`, {
    ...tag,
    data: { wanted: formatPlatform(wanted), available: names, chosen: match.digest },
  });
  return image;
}

async function diskStep(run: Run, imageBytes: number): Promise<void> {
  const started = now();
  const runtime = run.opts.runtime;
  if (!runtime) {
    run.record("disk", true, started, `skipped: ${run.opts.runtimeUnavailable ?? "no container runtime reachable"}; image is ${mib(imageBytes)} compressed`, {
      skipped: true,
    });
    return;
  }
  let present = false;
  let filesystems: ImageFilesystem[];
  try {
    [present, filesystems] = await Promise.all([runtime.imagePresent(run.opts.image), runtime.imageFilesystems()]);
  } catch (err) {
    run.record("disk", true, started, `skipped: the runtime did not answer (${(err as Error).message})`, { skipped: true });
    return;
  }
  const fs = filesystems[0];
  if (!fs?.host) {
    run.record("disk", true, started, `skipped: ${fs?.hostError ?? "the runtime reported no image filesystem"}`, { skipped: true });
    return;
  }
  const needed = imageBytes * UNPACK_FACTOR;
  Object.assign(run.facts, { availableBytes: fs.host.availableBytes, imageFsMount: fs.mountpoint });
  const data = { imageBytes, neededBytes: needed, availableBytes: fs.host.availableBytes, mountpoint: fs.mountpoint, present };
  if (present) {
    run.record("disk", true, started, `already on this node; ${mib(fs.host.availableBytes)} free on ${fs.mountpoint}`, { data });
    return;
  }
  if (fs.host.availableBytes < needed) {
    run.fail(
      "disk",
      started,
      {
        cause: "disk-full",
        summary: `the image needs about ${mib(needed)} (${mib(imageBytes)} compressed, kept and unpacked) but only ${mib(fs.host.availableBytes)} is free on ${fs.mountpoint}`,
        facts: {},
      },
      { data },
    );
  }
  run.record("disk", true, started, `${mib(imageBytes)} compressed, about ${mib(needed)} on disk; ${mib(fs.host.availableBytes)} free on ${fs.mountpoint}`, {
    data,
  });
}

async function throughputStep(run: Run, reached: ReachedHost): Promise<void> {
  const started = now();
  const layers = [...reached.manifest.layers].sort((a, b) => b.size - a.size);
  const largest = layers[0];
  const tag = { host: new URL(reached.host.url).host };
  if (!largest) {
    run.record("throughput", true, started, "no layers to sample", tag);
    return;
  }
  let sample;
  try {
    sample = await reached.client.sampleBlob(reached.ref.path, largest.digest, { maxBytes: SAMPLE_MAX_BYTES, maxMs: SAMPLE_MAX_MS });
  } catch (err) {
    // A server that accepted and then sent nothing is a pull that would stall; a connect timeout
    // or no route (often to the storage a blob redirects to) is the network's failure instead.
    if (err instanceof RegistryError && (err.code === "UND_ERR_HEADERS_TIMEOUT" || err.code === "UND_ERR_BODY_TIMEOUT")) {
      run.facts.pullDeadlineSeconds = run.opts.pullDeadlineMs / 1000;
      run.fail(
        "throughput",
        started,
        {
          cause: "pull-timeout",
          summary: `the largest layer (${mib(largest.size)}) sent no data within ${run.opts.timeoutMs / 1000} s: a pull would stall until the runtime gives up`,
          facts: {},
        },
        tag,
      );
    }
    registryFailure(run, "throughput", started, err, `blob ${largest.digest.slice(0, 19)}…`, tag.host);
  }
  const rate = sample.bytesPerSecond;
  const deadline = run.opts.pullDeadlineMs / 1000;
  const estimate = sample.complete && reached.imageBytes <= sample.bytes ? sample.ms / 1000 : rate > 0 ? reached.imageBytes / rate : Number.POSITIVE_INFINITY;
  Object.assign(run.facts, { bytesPerSecond: rate, estimatedSeconds: estimate, pullDeadlineSeconds: deadline });
  const data = {
    sampledBytes: sample.bytes,
    sampledMs: sample.ms,
    bytesPerSecond: Math.round(rate),
    estimatedSeconds: Math.round(estimate),
    deadlineSeconds: deadline,
  };
  const measured = `${mib(sample.bytes)} of the largest layer in ${(sample.ms / 1000).toFixed(1)} s (${mib(rate)}/s)`;
  if (estimate > deadline) {
    run.fail(
      "throughput",
      started,
      {
        cause: "pull-timeout",
        summary: `at ${mib(rate)}/s the ${mib(reached.imageBytes)} image needs about ${formatDuration(Math.round(estimate) * 1000)}, past the ${formatDuration(deadline * 1000)} pull deadline`,
        facts: {},
      },
      { ...tag, data },
    );
  }
  run.record("throughput", true, started, `${measured}; whole image in about ${formatDuration(Math.max(1, Math.round(estimate)) * 1000)}`, { ...tag, data });
}

async function pullStep(run: Run, auth: RegistryAuthEntry | undefined): Promise<void> {
  const started = now();
  const runtime = run.opts.runtime;
  if (!runtime) {
    run.record("pull", true, started, `skipped: ${run.opts.runtimeUnavailable ?? "no container runtime reachable"}`, { skipped: true });
    return;
  }
  try {
    const id = await runtime.pull(run.opts.image, auth, run.opts.pullDeadlineMs);
    run.record("pull", true, started, `the runtime pulled it: ${id}`);
  } catch (err) {
    // The runtime's words may quote a signed storage URL it was redirected to.
    const message = redactUrls((err as Error).message);
    const c = classifyMessage(message);
    run.facts.runtimeMessage = message;
    run.fail("pull", started, { cause: c.cause, summary: `the runtime's pull failed: ${message}`, facts: {} });
  }
}
