import { type ImageFilesystem, readImageFilesystems } from "../probe/index.js";
import { kubeletUserPassword, type RegistryAuthEntry } from "../registry/index.js";
import type { AuthConfig, RuntimeClient } from "../runtime/index.js";
import type { NodeRuntime } from "./pipeline.js";

/** The CRI AuthConfig kubelet would send for this entry (kubeletUserPassword says which fields). */
export function authConfigFor(entry: RegistryAuthEntry | undefined): AuthConfig | undefined {
  return entry ? kubeletUserPassword(entry) : undefined;
}

/**
 * The pipeline's view of the node through the CRI. The image filesystem is read as soon as this
 * is made, so the runtime round-trip overlaps the network steps instead of adding to them.
 */
export function nodeRuntimeFrom(client: RuntimeClient): NodeRuntime {
  let filesystems: Promise<ImageFilesystem[]> | undefined = readImageFilesystems(client);
  filesystems.catch(() => undefined);
  const version = client.version().then(
    (v) => (v.runtimeName === "containerd" ? v.runtimeVersion : undefined),
    () => undefined,
  );
  return {
    containerdVersion: () => version,
    imageFilesystems: () => (filesystems ??= readImageFilesystems(client)),
    imagePresent: async (image) => (await client.imageStatus(image)).image !== null,
    pull: (image, entry, timeoutMs) => {
      const auth = authConfigFor(entry);
      return client.pullImage(image, { timeoutMs, ...(auth ? { auth } : {}) });
    },
  };
}
