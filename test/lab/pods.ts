import { randomUUID } from "node:crypto";
import type { PodSandboxConfig, RuntimeClient } from "../../agent/runtime/index.js";

export interface LabPod {
  sandboxId: string;
  containerId: string;
  name: string;
  namespace: string;
}

/**
 * A real pod through the CRI, as kubelet would create it: a sandbox on the host network (the lab
 * has no CNI) and one container from `image`, left created. A created container keeps its image
 * "in use" exactly like a running or exited one, which is what the image views must see.
 */
export async function createPod(client: RuntimeClient, opts: { name: string; namespace?: string; image: string; container?: string }): Promise<LabPod> {
  const namespace = opts.namespace ?? "default";
  const sandboxConfig: PodSandboxConfig = {
    metadata: { name: opts.name, namespace, uid: randomUUID(), attempt: 0 },
    labels: { "io.kubernetes.pod.name": opts.name, "io.kubernetes.pod.namespace": namespace },
    linux: { securityContext: { namespaceOptions: { network: "NODE", pid: "POD", ipc: "POD" } } },
  };
  const sandboxId = await client.runPodSandbox(sandboxConfig);
  const container = opts.container ?? "main";
  const containerId = await client.createContainer(
    sandboxId,
    {
      metadata: { name: container, attempt: 0 },
      image: { image: opts.image },
      command: ["/bin/busybox", "sleep", "3600"],
      labels: { "io.kubernetes.container.name": container, "io.kubernetes.pod.name": opts.name, "io.kubernetes.pod.namespace": namespace },
    },
    sandboxConfig,
  );
  return { sandboxId, containerId, name: opts.name, namespace };
}

export async function deletePod(client: RuntimeClient, pod: LabPod): Promise<void> {
  await client.removeContainer(pod.containerId);
  await client.stopPodSandbox(pod.sandboxId);
  await client.removePodSandbox(pod.sandboxId);
}
