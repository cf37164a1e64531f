import type { AgentConfig } from "../config/index.js";
import type { NodeState } from "../report/index.js";
import { RuntimeClient } from "../runtime/index.js";
import { type RuntimeView, runtimeView, type VantageData, vantageData, viewHostsDir } from "../vantage/index.js";

/** The container runtime every check shares, connected when it can be reached. */
export class RuntimeHandle {
  private client: Promise<RuntimeClient> | undefined;
  private connected: RuntimeClient | undefined;
  private version: string | undefined;
  private runtimeInfo: { name: string; version: string } | undefined;
  private lastView: VantageData | undefined;

  constructor(private readonly config: Pick<AgentConfig, "criEndpoint" | "hostsDir">) {}

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

  /**
   * The runtime's own view (its trust store, resolver, proxy, registry configuration), from the
   * process serving the socket; cached per process and file change, so every check may ask.
   */
  async view(): Promise<RuntimeView> {
    const client = await this.get().catch(() => undefined);
    if (client !== undefined && this.runtimeInfo === undefined) {
      const v = await client.version().catch(() => undefined);
      if (v !== undefined) this.runtimeInfo = { name: v.runtimeName, version: v.runtimeVersion };
    }
    const view = await runtimeView({
      socketPath: client?.endpoint.socketPath,
      runtimeName: this.runtimeInfo?.name,
      runtimeVersion: this.runtimeInfo?.version,
      statusInfo: client !== undefined ? async () => (await client.status(true)).info : undefined,
      hostsDirFlag: this.config.hostsDir,
    });
    this.lastView = vantageData(view);
    return view;
  }

  /** The hosts dir fixes name: the configured one, else the runtime's. */
  async hostsDir(): Promise<string> {
    return this.config.hostsDir ?? viewHostsDir(await this.view());
  }

  /** Shows the view as last read in the node state (/v1/state `runtime`). */
  shownIn(state: NodeState): this {
    state.provide("runtime", () => this.lastView ?? { line: "not read yet: the first check that contacts a registry reads it" });
    return this;
  }

  close(): void {
    this.connected?.close();
    this.connected = undefined;
    this.client = undefined;
  }
}
