import type { AgentConfig } from "../config/index.js";
import { humanBytes } from "../format.js";
import type { Logger } from "../log.js";
import { readImageFilesystems, type ImageFilesystem } from "../probe/index.js";
import { readNodeImages, RuntimeClient, type NodeImages } from "../runtime/index.js";
import type { ImagesFinding } from "../report/metrics.js";

/** What every check needs: the config, a log, and the runtime when it can be reached. */
export class RuntimeHandle {
  private client: RuntimeClient | undefined;
  private version: string | undefined;

  constructor(private readonly config: AgentConfig) {}

  /**
   * A client for the configured or detected socket. Detection is retried on every call until a
   * socket appears, so an agent started before the runtime becomes ready without a restart.
   */
  async get(): Promise<RuntimeClient> {
    this.client ??= await RuntimeClient.connect({ endpoint: this.config.criEndpoint });
    return this.client;
  }

  /** containerd's version, for its hosts.toml rules; undefined for other runtimes or when unknown. */
  async containerdVersion(): Promise<string | undefined> {
    if (this.version === undefined && this.client) {
      const v = await this.client.version().catch(() => undefined);
      if (v?.runtimeName === "containerd") this.version = v.runtimeVersion;
    }
    return this.version;
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}

export async function diskCheck(runtime: RuntimeHandle): Promise<ImageFilesystem[]> {
  return readImageFilesystems(await runtime.get());
}

export function describeDisk(filesystems: ImageFilesystem[]): string {
  return filesystems
    .map((fs) => (fs.host ? `${fs.mountpoint}: ${fs.host.usedPercent} % used, ${humanBytes(fs.host.availableBytes)} free` : `${fs.mountpoint}: ${fs.hostError ?? "no host figures"}`))
    .join("; ");
}

export function highestUsedPercent(filesystems: ImageFilesystem[]): number | undefined {
  const used = filesystems.flatMap((fs) => (fs.host ? [fs.host.usedPercent] : []));
  return used.length ? Math.max(...used) : undefined;
}

export async function imagesCheck(runtime: RuntimeHandle): Promise<NodeImages> {
  return readNodeImages(await runtime.get());
}

export function imagesFinding(node: NodeImages): ImagesFinding {
  return {
    count: node.images.length,
    bytes: node.images.reduce((s, i) => s + i.sizeBytes, 0),
    inUse: node.images.filter((i) => i.usedBy.length > 0).length,
    pinned: node.images.filter((i) => i.pinned).length,
    sandboxImage: node.sandboxImage ?? null,
  };
}

export type { Logger };
