// `pullmedic cleanup`: removes the node conditions the agents own (ImageFsPressure,
// RegistryUnreachable) from every node, so an uninstall leaves no stale RegistryUnreachable behind.
// Run by the chart's pre-delete hook, or by hand after `kubectl delete -f daemonset.yaml`.

import { EXIT_OK, EXIT_PROBLEM } from "./errors.js";
import { type KubeFlags, kubeAccess } from "./kube-access.js";
import type { VerbResult } from "./result.js";

export interface CleanupFlags extends KubeFlags {
  node?: string;
  dryRun?: boolean;
  json?: boolean;
}

interface NodeList {
  items?: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
  metadata?: { continue?: string };
}

export async function cleanupVerb(flags: CleanupFlags, env: NodeJS.ProcessEnv): Promise<VerbResult> {
  const { IMAGE_FS_PRESSURE, REGISTRY_UNREACHABLE } = await import("../agent/podwatch/index.js");
  const owned = new Set([IMAGE_FS_PRESSURE, REGISTRY_UNREACHABLE]);
  const kube = await kubeAccess(flags, env);
  const done: { node: string; removed: string[]; error?: string }[] = [];
  try {
    for (const node of await listNodes(kube.get, flags.node)) {
      const removed = (node.status?.conditions ?? []).filter((c) => owned.has(c.type)).map((c) => c.type);
      if (removed.length === 0) continue;
      if (flags.dryRun) {
        done.push({ node: node.metadata.name, removed });
        continue;
      }
      // Strategic merge by type: only these conditions go; kubelet's and other owners' stay.
      const body = JSON.stringify({ status: { conditions: removed.map((type) => ({ type, $patch: "delete" })) } });
      const path = `/api/v1/nodes/${encodeURIComponent(node.metadata.name)}/status`;
      const r = await kube.send({ verb: "PATCH", path, body, contentType: "application/strategic-merge-patch+json" });
      done.push({ node: node.metadata.name, removed, ...(r.status >= 300 ? { error: `the API answered ${r.status}: ${r.text.slice(0, 300)}` } : {}) });
    }
  } finally {
    await kube.close();
  }
  const failed = done.filter((d) => d.error);
  const verb = flags.dryRun ? "would remove" : "removed";
  const lines = done.map((d) => (d.error ? `${d.node}: could not remove ${d.removed.join(", ")}: ${d.error}` : `${d.node}: ${verb} ${d.removed.join(", ")}`));
  const text = lines.length ? `${lines.join("\n")}\n` : "no node carries a pullmedic condition\n";
  return {
    exitCode: failed.length ? EXIT_PROBLEM : EXIT_OK,
    json: { dryRun: flags.dryRun === true, nodes: done },
    text,
    names: done.map((d) => `node/${d.node}`),
  };
}

async function listNodes(get: (path: string) => Promise<unknown>, only: string | undefined): Promise<NonNullable<NodeList["items"]>> {
  if (only !== undefined) return [(await get(`/api/v1/nodes/${encodeURIComponent(only)}`)) as NonNullable<NodeList["items"]>[number]];
  const all: NonNullable<NodeList["items"]> = [];
  let token: string | undefined;
  do {
    const query = new URLSearchParams({ limit: "500", ...(token ? { continue: token } : {}) });
    const page = (await get(`/api/v1/nodes?${query}`)) as NodeList;
    all.push(...(page.items ?? []));
    token = page.metadata?.continue || undefined;
  } while (token !== undefined);
  return all;
}
