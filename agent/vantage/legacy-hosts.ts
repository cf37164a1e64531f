// The hosts containerd's CRI plugin tries when no config_path is set: registry.mirrors for the
// registry (or "*"), then the registry itself unless a mirror already is it, with the TLS of
// registry.configs.<mirror host>.tls on top of the system pool (containerd 1.x
// pkg/cri/server/image_pull.go registryEndpoints and registryHosts; docs/facts/runtime-view.md).
// Pure: settings in, the host list out, in the shape hosts.toml readers give.

import { isIP } from "node:net";
import { DOCKER_HUB_API_HOST, DOCKER_HUB_DOMAIN } from "../../core/image/index.js";
import type { HostsConfig, RegistryHost } from "../registry/index.js";
import type { ContainerdRegistry } from "./containerd-config.js";

/** containerd's docker.IsLocalhost: "localhost" or a loopback IP, port ignored. */
function isLocalhost(hostPort: string): boolean {
  const host = hostPort.startsWith("[") ? hostPort.slice(1, hostPort.indexOf("]")) : hostPort.replace(/:\d*$/, "");
  if (host === "localhost") return true;
  const family = isIP(host);
  if (family === 4) return host.startsWith("127.");
  return family === 6 && host === "::1";
}

export function legacyHosts(domain: string, registry: ContainerdRegistry, from: string): HostsConfig {
  const configured = registry.mirrors[domain] ?? registry.mirrors["*"] ?? [];
  const endpoints = configured.map(withDefaultScheme);
  const defaultHost = domain === DOCKER_HUB_DOMAIN ? DOCKER_HUB_API_HOST : domain;
  const notes: string[] = [];
  const parsed = endpoints.flatMap((e) => {
    try {
      return [new URL(e)];
    } catch {
      notes.push(`mirror endpoint "${e}" is not a URL; containerd fails pulls of ${domain} with it`);
      return [];
    }
  });
  // Only a mirror naming the registry itself (not its API host) keeps containerd from adding it.
  if (!parsed.some((u) => u.host === domain)) parsed.push(new URL(`${isLocalhost(defaultHost) ? "http" : "https"}://${defaultHost}`));
  const hosts = parsed.map((u) => legacyHost(u, domain, registry));
  const config: HostsConfig = { domain, file: from, hosts };
  if (notes.length > 0) config.notes = notes;
  return config;
}

function withDefaultScheme(endpoint: string): string {
  if (endpoint.includes("://")) return endpoint;
  const host = endpoint.split("/")[0] ?? endpoint;
  return `${isLocalhost(host) ? "http" : "https"}://${endpoint}`;
}

function legacyHost(u: URL, domain: string, registry: ContainerdRegistry): RegistryHost {
  const tls = registry.tls[u.host];
  const path = u.pathname.replace(/\/+$/, "");
  const host: RegistryHost = {
    // A mirror endpoint with a path is its API root; without one, containerd adds /v2.
    url: `${u.protocol}//${u.host}${path}`,
    capabilities: ["pull", "resolve"],
    caFiles: tls?.caFile !== undefined ? [tls.caFile] : [],
    clientCerts: tls?.certFile !== undefined ? [{ cert: tls.certFile, key: tls.keyFile }] : [],
    skipVerify: tls?.insecureSkipVerify ?? (tls === undefined && isLocalhost(domain) && u.protocol === "http:"),
    overridePath: path !== "",
    headers: {},
    // containerd adds ?ns= for every host that is not the image's registry (or Docker Hub's API host).
    mirror: u.host !== domain && !(domain === DOCKER_HUB_DOMAIN && u.host === DOCKER_HUB_API_HOST),
  };
  return host;
}
