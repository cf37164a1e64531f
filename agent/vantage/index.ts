// The vantage room: the container runtime's own view of the network (its trust store, resolver,
// proxy and registry configuration), read from the runtime process or a node root, so that every
// registry check is made as the runtime makes it. Other folders import only this file.

import { ViewCache } from "./cache.js";
import type { RuntimeView, ViewRequest } from "./view.js";

export { ViewCache } from "./cache.js";
export { type VantageData, vantageData, vantageLine } from "./describe.js";
export type { RuntimeView, ViewRequest } from "./view.js";

/** What a registry check needs of the view: the runtime's network, its hosts for a registry, its CA files. */
export type RegistryVantage = Pick<RuntimeView, "network" | "hostsFor" | "readCa">;
export { readRuntimeView } from "./view.js";

const shared = new ViewCache();

/** The view for this request, from the process-wide cache (one entry: one node, one runtime). */
export function runtimeView(req: ViewRequest): Promise<RuntimeView> {
  return shared.get(req);
}

/** The hosts dir fixes should name: the one the runtime reads, else where containerd's default would be. */
export function viewHostsDir(view: RuntimeView): string {
  const r = view.registry;
  return r.kind === "hosts-dir" || r.kind === "flag" ? r.dir : r.kind === "registries-conf" ? r.certsDirs : "/etc/containerd/certs.d";
}
