import type { AgentConfig } from "../config/index.js";
import { humanBytes } from "../../core/text/index.js";
import type { Logger } from "../../core/log/index.js";
import { readImageFilesystems, type ImageFilesystem } from "../probe/index.js";
import { readNodeImages, RuntimeClient, type NodeImages } from "../runtime/index.js";
import type { ImagesFinding } from "../report/metrics.js";

/** What every check needs: the config, a log, and the runtime when it can be reached. */
export class RuntimeHandle {
  private client: Promise<RuntimeClient> | undefined;
  private connected: RuntimeClient | undefined;
  private version: string | undefined;

  constructor(private readonly config: Pick<AgentConfig, "criEndpoint">) {}

  /**
   * A client for the configured or detected socket. Detection is retried on every call until a
   * socket appears, so an agent started before the runtime becomes ready without a restart.
   */
  get(): Promise<RuntimeClient> {
    // One connection for every caller: checks that start together must not each open a channel
    // (all but the last would never be closed). A failed attempt is forgotten, so the next retries.
    if (this.client === undefined) {
      const connecting = RuntimeClient.connect({ endpoint: this.config.criEndpoint }).then(
        (client) => {
          if (this.client !== connecting) {
            // Closed while connecting: this client has no owner left.
            client.close();
            throw new Error("the runtime connection was closed");
          }
          this.connected = client;
          return client;
        },
        (err: unknown) => {
          if (this.client === connecting) this.client = undefined;
          throw err;
        },
      );
      this.client = connecting;
    }
    return this.client;
  }

  /** containerd's version, for its hosts.toml rules; undefined for other runtimes or when unknown. */
  async containerdVersion(): Promise<string | undefined> {
    if (this.version === undefined && this.connected) {
      const v = await this.connected.version().catch(() => undefined);
      if (v?.runtimeName === "containerd") this.version = v.runtimeVersion;
    }
    return this.version;
  }

  close(): void {
    this.connected?.close();
    this.connected = undefined;
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
