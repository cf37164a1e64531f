// The diagnosis' steps when the runtime reaches a registry through its proxy: the registry's
// name is the proxy's to resolve, so what is checked is the proxy's name, a connection to it and,
// for https, the tunnel it opens (CONNECT). A failure there is the proxy's: network-timeout, as
// the message rules file proxy failures, with the proxy named and its configuration as the fix
// (docs/facts/node-network.md).

import type { Socket } from "node:net";
import { dialDirect, dialTunnel, ProxyError, type ProxyRoute, type RegistryNetwork } from "../registry/index.js";
import type { Verdict } from "./verdict.js";

/** The connection the runtime would make to `host:port` through `proxy`: a tunnel for https, the proxy itself for http. */
export function dialThrough(
  proxy: ProxyRoute,
  network: RegistryNetwork,
  target: { hostname: string; port: number; https: boolean },
  timeoutMs: number,
): Promise<Socket> {
  const opts = { network, timeoutMs };
  if (target.https) return dialTunnel(proxy, target.hostname, target.port, opts);
  const port = Number(proxy.url.port) || (proxy.url.protocol === "https:" ? 443 : 80);
  return dialDirect(proxy.url.hostname, port, opts).catch((err: unknown) => {
    throw new ProxyError(proxy.label, (err as { code?: unknown }).code === "ECONNREFUSED" ? "refused" : "timeout", (err as Error).message);
  });
}

export function proxyVerdict(err: ProxyError, label: string): Verdict {
  return {
    cause: "network-timeout",
    summary: `the runtime's requests to ${label} go through its proxy, and the proxy failed: ${err.message}`,
    facts: {},
  };
}

/** Where the runtime's proxy is set, and how to change it. */
export function proxyFixes(runtime: string): string[] {
  const unit = runtime === "cri-o" ? "crio" : "containerd";
  return [
    `systemctl show --property=Environment ${unit}  # the HTTPS_PROXY, HTTP_PROXY and NO_PROXY the runtime was started with`,
    `systemctl edit ${unit}  # fix them in its drop-in (e.g. /etc/systemd/system/${unit}.service.d/http-proxy.conf), then systemctl restart ${unit}`,
  ];
}
