// The runtime's view for a verb: read from the process behind the CRI socket (found as the other
// verbs find it), else from --host-root, else from this process's own files, and always said.

import type { RuntimeClient } from "../agent/runtime/index.js";
import { type RuntimeView, runtimeView } from "../agent/vantage/index.js";

export interface VantageFlags {
  hostRoot?: string;
  hostsDir?: string;
}

export async function viewFor(client: RuntimeClient | undefined, flags: VantageFlags): Promise<RuntimeView> {
  const version = client !== undefined ? await client.version().catch(() => undefined) : undefined;
  return runtimeView({
    socketPath: client?.endpoint.socketPath,
    hostRoot: flags.hostRoot,
    runtimeName: version?.runtimeName,
    runtimeVersion: version?.runtimeVersion,
    statusInfo: client !== undefined ? async () => (await client.status(true)).info : undefined,
    hostsDirFlag: flags.hostsDir,
  });
}
