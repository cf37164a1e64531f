// Asks the registry which digest a tag points to with a manifest HEAD, which Docker Hub does not
// count as a pull, through the host containerd would resolve with. Hosts, CA files and clients
// are shared by the images of one round, so an authenticated registry is challenged once.

import { type ImageReference, manifestReference } from "../../core/image/index.js";
import {
  type HostsConfig,
  HostsConfigError,
  type RateLimit,
  RegistryClient,
  RegistryError,
  type RegistryHost,
  readCaFile,
  readHostsConfig,
} from "../registry/index.js";
import type { RegistryVantage } from "../vantage/index.js";
import type { ChosenCredential } from "./credentials.js";

export type HeadAnswer =
  | { ok: true; digest: string | undefined; rateLimit: RateLimit | undefined; endpoint: string }
  | { ok: false; error: unknown; endpoint: string | undefined; rateLimit: RateLimit | undefined };

export interface ResolverOptions {
  hostsDir: string;
  /** The runtime's view: its hosts for a registry, its CA files, its network. Without it, hostsDir and this process's network. */
  vantage?: RegistryVantage | undefined;
  containerdVersion: () => Promise<string | undefined>;
  timeoutMs: number;
  now: () => number;
  onRateLimit: (r: RateLimit) => void;
}

/** Hosts config that cannot be used at all: the image cannot be checked (containerd cannot pull it either). */
class HostsUnusable extends Error {}

export class Resolver {
  private readonly configs = new Map<string, Promise<HostsConfig>>();
  private readonly cas = new Map<string, Promise<string[]>>();
  private readonly clients = new Map<string, RegistryClient>();
  /** http hosts that containerd tries over https first: the answer, once one HEAD has learned it. */
  private readonly schemes = new Map<string, string>();

  constructor(private readonly opts: ResolverOptions) {}

  async head(ref: ImageReference, credential: ChosenCredential | undefined): Promise<HeadAnswer> {
    let hosts: RegistryHost[];
    try {
      hosts = resolvingHosts(ref, await this.config(ref.domain));
    } catch (err) {
      return { ok: false, error: err, endpoint: undefined, rateLimit: undefined };
    }
    // containerd goes down its host list when one fails and reports the most telling failure.
    let best: { answer: HeadAnswer & { ok: false }; rank: number } | undefined;
    for (const host of hosts) {
      const answer = await this.headOn(host, ref, credential);
      if (answer.ok) return answer;
      const rank = failureRank(answer.error);
      if (best === undefined || rank > best.rank) best = { answer, rank };
    }
    return best?.answer ?? { ok: false, error: new HostsUnusable(`no registry host for ${ref.domain}`), endpoint: undefined, rateLimit: undefined };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.clients.values()].map((c) => c.close()));
    this.clients.clear();
  }

  private config(domain: string): Promise<HostsConfig> {
    let loading = this.configs.get(domain);
    if (loading === undefined) {
      loading = this.readConfig(domain);
      this.configs.set(domain, loading);
    }
    return loading;
  }

  private async readConfig(domain: string): Promise<HostsConfig> {
    const version = await this.opts.containerdVersion();
    const options = version === undefined ? {} : { containerdVersion: version };
    try {
      return this.opts.vantage !== undefined ? await this.opts.vantage.hostsFor(domain, options) : await readHostsConfig(this.opts.hostsDir, domain, options);
    } catch (err) {
      // containerd logs a hosts.toml it cannot parse and goes on without it; so does the check.
      if (err instanceof HostsConfigError && err.fallback !== undefined) return err.fallback;
      throw new HostsUnusable(`containerd's registry configuration for ${domain} cannot be used: ${(err as Error).message}`);
    }
  }

  private async headOn(host: RegistryHost, ref: ImageReference, credential: ChosenCredential | undefined): Promise<HeadAnswer> {
    const known = this.schemes.get(host.url);
    const bases = known !== undefined ? [known] : host.httpsFirst ? [host.url.replace(/^http:/, "https:"), host.url] : [host.url];
    let last: HeadAnswer | undefined;
    for (const base of bases) {
      last = await this.headAt(base, host, ref, credential);
      // containerd falls back to http only when the server answers the TLS hello in plain HTTP.
      const plainHttp = !last.ok && last.error instanceof RegistryError && last.error.kind === "http-to-https";
      if (!plainHttp) {
        // Only an answer from the server settles the scheme; a refused connection may be a blip.
        const answered = last.ok || (last.error instanceof RegistryError && last.error.kind === "http");
        if (bases.length > 1 && answered) this.schemes.set(host.url, base);
        return last;
      }
    }
    if (last === undefined) throw new Error("no base URL to try");
    return last;
  }

  private async headAt(base: string, host: RegistryHost, ref: ImageReference, credential: ChosenCredential | undefined): Promise<HeadAnswer> {
    let client: RegistryClient;
    try {
      client = await this.client(base, host, ref, credential);
    } catch (err) {
      return { ok: false, error: err, endpoint: base, rateLimit: undefined };
    }
    try {
      const head = await client.headManifest(ref.path, manifestReference(ref), { getOnError: false });
      return { ok: true, digest: head.digest, rateLimit: head.rateLimit, endpoint: base };
    } catch (err) {
      return { ok: false, error: err, endpoint: base, rateLimit: err instanceof RegistryError ? err.rateLimit : undefined };
    }
  }

  private async client(base: string, host: RegistryHost, ref: ImageReference, credential: ChosenCredential | undefined): Promise<RegistryClient> {
    // Mirrors are asked with ?ns=<upstream>, so the namespace is part of what makes a client.
    const namespace = host.mirror ? ref.domain : undefined;
    const key = `${base}\0${namespace ?? ""}\0${credential?.key ?? ""}`;
    const cached = this.clients.get(key);
    if (cached !== undefined) return cached;
    const ca = base.startsWith("https:") ? await this.caFiles(host) : [];
    const client = new RegistryClient(
      {
        url: base,
        ca,
        skipVerify: host.skipVerify,
        overridePath: host.overridePath,
        headers: host.headers,
        ...(namespace !== undefined ? { namespace } : {}),
        ...(this.opts.vantage !== undefined ? { network: this.opts.vantage.network } : {}),
      },
      { timeoutMs: this.opts.timeoutMs, now: this.opts.now, onRateLimit: this.opts.onRateLimit, ...(credential ? { credential: credential.registry } : {}) },
    );
    this.clients.set(key, client);
    return client;
  }

  private caFiles(host: RegistryHost): Promise<string[]> {
    const key = host.caFiles.join("\0");
    let loading = this.cas.get(key);
    if (loading === undefined) {
      const vantage = this.opts.vantage;
      loading = Promise.all(host.caFiles.map((f) => (vantage ? vantage.readCa(f) : readCaFile(f)))).catch((err: unknown) => {
        throw new HostsUnusable(`a CA file hosts.toml names for ${host.url} cannot be read: ${(err as Error).message}`);
      });
      this.cas.set(key, loading);
    }
    return loading;
  }
}

/** containerd resolves tags only on hosts with "resolve", and fetches by digest from hosts with "pull". */
function resolvingHosts(ref: ImageReference, config: HostsConfig): RegistryHost[] {
  const capability = ref.digest !== undefined ? "pull" : "resolve";
  const seen = new Set<string>();
  const usable = config.hosts.filter((h) => {
    if (!h.capabilities.includes(capability) || seen.has(h.url)) return false;
    seen.add(h.url);
    return true;
  });
  return usable.length > 0 ? usable : config.hosts.slice(-1);
}

/** A refusal or rate limit says more than a 404, which says more than a host that could not be reached. */
function failureRank(err: unknown): number {
  if (!(err instanceof RegistryError)) return 0;
  if (err.kind !== "http") return 1;
  return err.status === 404 ? 2 : 3;
}
