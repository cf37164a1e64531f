// The view as the registry client and the probes use it: the runtime's trust roots, its resolver
// and its proxy choice per URL.

import type { ProxyRoute, RegistryNetwork } from "../registry/index.js";
import type { RuntimeResolver } from "./name-resolver.js";
import { chooseProxy, type ProxySettings, proxyLabel } from "./proxy.js";
import type { TrustStore } from "./trust.js";

export function registryNetwork(trust: TrustStore, resolver: RuntimeResolver, proxy: ProxySettings, whose: string): RegistryNetwork {
  return {
    roots: trust.roots,
    trustSource: trust.source,
    resolve: (host, timeoutMs) => resolver.lookup(host, timeoutMs),
    proxyFor: (url): ProxyRoute | undefined => {
      const choice = chooseProxy(proxy, url);
      if (choice.proxy === undefined) return undefined;
      return { url: choice.proxy, label: `${proxyLabel(choice.proxy)} (${choice.why} in ${whose} environment)` };
    },
  };
}
