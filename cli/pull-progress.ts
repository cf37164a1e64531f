// The node's pulls in flight as the CLI reads them: containerd's content store through the pull
// tracker, without pods (the agent joins those). CRI-O has no such API; the reader says so.

import { type PullProgress, PullTracker } from "../agent/pulls/index.js";
import { ContentStore } from "../agent/runtime/containerd/index.js";
import type { RuntimeClient } from "../agent/runtime/index.js";

export interface PullReader {
  poll(): Promise<PullProgress[]>;
  close(): void;
}

/** A reader of the runtime's pulls, or why there is none. */
export async function openPullReader(client: RuntimeClient, stallAfterMs?: number): Promise<PullReader | { unavailable: string }> {
  const version = await client.version();
  if (version.runtimeName !== "containerd") {
    return {
      unavailable: `${version.runtimeName} ${version.runtimeVersion} has no API for pulls in flight: progress is not available (only containerd's content store shows bytes as they arrive)`,
    };
  }
  const store = await ContentStore.connect(client.endpoint, { timeoutMs: client.timeoutMs });
  const tracker = new PullTracker({ store, ...(stallAfterMs === undefined ? {} : { stallAfterMs }) });
  return { poll: async () => (await tracker.poll()).pulls, close: () => store.close() };
}

/** How a pull is named without a pod: registry host (no port: the labels drop it) and repository. */
export function pullName(p: PullProgress): string {
  const s = p.sources[0];
  return s ? `${s.host}/${s.repository}@${p.manifest.slice(0, 19)}` : p.manifest.slice(0, 19);
}
