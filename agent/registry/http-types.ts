/**
 * What the registry client is given: where to connect and with which credential. Kept apart from
 * the client so the auth and transport modules can share them without importing each other.
 */

import type { RateLimit } from "./ratelimit.js";

export interface RegistryEndpoint {
  /**
   * Base URL with scheme, no trailing slash: "https://registry-1.docker.io",
   * "http://127.0.0.1:5000", or a mirror "https://mirror.local/v2/proxy" when `overridePath`.
   */
  url: string;
  /** Extra CA certificates (PEM) trusted on top of the roots (the network's, else Node's default roots). */
  ca?: (string | Buffer)[];
  skipVerify?: boolean;
  /** containerd hosts.toml `override_path`: `url` already contains the API root, do not add /v2. */
  overridePath?: boolean;
  /** For mirrors: containerd appends `?ns=<upstream host>`; set it to the upstream domain (e.g. "docker.io"). */
  namespace?: string;
  /** Extra headers from hosts.toml; sent only to the registry's own origin. */
  headers?: Record<string, string>;
  /**
   * How the container runtime reaches registries (agent/vantage builds it): its trust store
   * instead of Node's bundled roots, its resolver, its proxy. Every registry check passes one;
   * without it the client connects as this process would.
   */
  network?: RegistryNetwork;
}

/** A name lookup's answer, and which source (hosts file, DNS server) gave it. */
export interface NameAnswer {
  addresses: { address: string; family: 4 | 6 }[];
  source: string;
}

/** The proxy a request goes through. */
export interface ProxyRoute {
  /** As configured, credentials included: used for Proxy-Authorization, never shown. */
  url: URL;
  /** How messages name it: "http://10.0.0.9:3128 (HTTPS_PROXY in containerd's environment)". */
  label: string;
}

export interface RegistryNetwork {
  /** The certificates the runtime trusts (PEM); they replace Node's bundled roots, hosts.toml CAs go on top. */
  roots: readonly string[];
  /** Where the roots come from, for evidence. */
  trustSource: string;
  /** Resolves a host name as the runtime would; rejects with an error whose `code` is ENOTFOUND or EAI_AGAIN. */
  resolve(host: string, timeoutMs: number): Promise<NameAnswer>;
  /** The proxy the runtime would use for `url`, or undefined to connect directly. */
  proxyFor(url: URL): ProxyRoute | undefined;
}

export interface RegistryCredential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker config `identitytoken`). */
  identityToken?: string;
  /** A ready bearer token (docker config `registrytoken`), sent as is. */
  registryToken?: string;
  /** Where it came from, for evidence: e.g. 'Secret shop/regcred, key "registry.example.com"'. Never contains the secret. */
  source: string;
}

export interface RegistryClientOptions {
  /** Per network step: connect (TCP and TLS), waiting for headers, each wait for body data. */
  timeoutMs: number;
  credential?: RegistryCredential;
  /** Default "pullmedic/<version>". */
  userAgent?: string;
  /** Injectable clock (ms epoch) for token expiry, quota observation times and Retry-After dates. */
  now?: () => number;
  /** Called for every response carrying ratelimit-* headers. */
  onRateLimit?: (r: RateLimit) => void;
}
