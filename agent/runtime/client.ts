import type { ServiceClientConstructor } from "@grpc/grpc-js";
import { type Endpoint, resolveEndpoint } from "./endpoint.js";
import { CriError, translateGrpcError } from "./errors.js";
import { loadCriServices } from "./proto.js";
import type {
  AuthConfig,
  ContainerConfig,
  ContainerState,
  CriContainer,
  CriImage,
  CriPodSandbox,
  ImageFsInfo,
  ImageSpec,
  PodSandboxConfig,
  RuntimeStatusInfo,
  VersionInfo,
} from "./types.js";

/** kubelet and crictl raise gRPC's 4 MiB receive limit to 16 MiB; busy nodes need it for ListImages. */
export const MAX_RECEIVE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
const DEFAULT_PULL_TIMEOUT_MS = 10 * 60_000;

export interface ConnectOptions {
  /** `--cri-endpoint`; wins over the environment. */
  endpoint?: string | undefined;
  /** Usually process.env.CRI_ENDPOINT. */
  envEndpoint?: string | undefined;
  /** Deadline for every call except pulls. */
  timeoutMs?: number;
}

type ServiceClient = InstanceType<ServiceClientConstructor>;
type Callback = (err: Error | null, value: unknown) => void;
type UnaryMethod = (request: object, options: { deadline: Date }, callback: Callback) => unknown;

/**
 * A typed CRI client over a unix socket. Every call carries a deadline and every failure comes
 * back as a CriError phrased for a person.
 */
export class RuntimeClient {
  readonly endpoint: Endpoint;
  readonly timeoutMs: number;
  private readonly runtime: ServiceClient;
  private readonly images: ServiceClient;

  private constructor(endpoint: Endpoint, runtime: ServiceClient, images: ServiceClient, timeoutMs: number) {
    this.endpoint = endpoint;
    this.runtime = runtime;
    this.images = images;
    this.timeoutMs = timeoutMs;
  }

  /** Resolves the socket (flag, env, detection) and opens channels; the first call connects. */
  static async connect(opts: ConnectOptions = {}): Promise<RuntimeClient> {
    const endpoint = await resolveEndpoint({ flag: opts.endpoint, env: opts.envEndpoint });
    const [grpc, services] = await Promise.all([import("@grpc/grpc-js"), loadCriServices()]);
    const channelOptions = {
      "grpc.max_receive_message_length": MAX_RECEIVE_BYTES,
      "grpc.max_send_message_length": MAX_RECEIVE_BYTES,
      // One attempt per call: the caller's deadline, not grpc's reconnect loop, bounds waiting.
      "grpc.enable_retries": 0,
    };
    const creds = grpc.credentials.createInsecure();
    const runtime = new services.RuntimeService(endpoint.target, creds, channelOptions);
    const images = new services.ImageService(endpoint.target, creds, channelOptions);
    return new RuntimeClient(endpoint, runtime, images, opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
  }

  close(): void {
    this.runtime.close();
    this.images.close();
  }

  private call<T>(service: ServiceClient, method: string, request: object, timeoutMs = this.timeoutMs): Promise<T> {
    const fn = service[method] as UnaryMethod | undefined;
    if (typeof fn !== "function") {
      return Promise.reject(new CriError("not-cri", `CRI method ${method} is not in pullmedic's proto`));
    }
    return new Promise<T>((resolve, reject) => {
      fn.call(service, request, { deadline: new Date(Date.now() + timeoutMs) }, (err, value) => {
        if (err) reject(translateGrpcError(err, method, this.endpoint.socketPath, timeoutMs));
        else resolve(value as T);
      });
    });
  }

  // ---- RuntimeService ----

  async version(): Promise<VersionInfo> {
    return this.call<VersionInfo>(this.runtime, "Version", { version: "v1" });
  }

  async status(verbose = false): Promise<RuntimeStatusInfo> {
    const res = await this.call<{ status: { conditions: RuntimeStatusInfo["conditions"] } | null; info: Record<string, string> }>(this.runtime, "Status", {
      verbose,
    });
    return { conditions: res.status?.conditions ?? [], info: res.info ?? {} };
  }

  /** All containers the runtime still has: created, running and exited. */
  async listContainers(filter: { podSandboxId?: string; state?: ContainerState } = {}): Promise<CriContainer[]> {
    const request = {
      filter: {
        podSandboxId: filter.podSandboxId ?? "",
        ...(filter.state ? { state: { state: filter.state } } : {}),
      },
    };
    const res = await this.call<{ containers: CriContainer[] }>(this.runtime, "ListContainers", request);
    return res.containers ?? [];
  }

  async listPodSandboxes(): Promise<CriPodSandbox[]> {
    const res = await this.call<{ items: CriPodSandbox[] }>(this.runtime, "ListPodSandbox", {});
    return res.items ?? [];
  }

  async runPodSandbox(config: PodSandboxConfig, timeoutMs = 2 * 60_000): Promise<string> {
    const res = await this.call<{ podSandboxId: string }>(this.runtime, "RunPodSandbox", { config }, timeoutMs);
    return res.podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, "StopPodSandbox", { podSandboxId }, 60_000);
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, "RemovePodSandbox", { podSandboxId }, 60_000);
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const res = await this.call<{ containerId: string }>(this.runtime, "CreateContainer", { podSandboxId, config, sandboxConfig }, 60_000);
    return res.containerId;
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.call(this.runtime, "RemoveContainer", { containerId }, 60_000);
  }

  // ---- ImageService ----

  async listImages(): Promise<CriImage[]> {
    const res = await this.call<{ images: CriImage[] }>(this.images, "ListImages", {});
    return res.images ?? [];
  }

  /** The image, or null when the runtime does not have it (an answer, not an error). */
  async imageStatus(image: string, verbose = false): Promise<{ image: CriImage | null; info: Record<string, string> }> {
    const res = await this.call<{ image: CriImage | null; info: Record<string, string> }>(this.images, "ImageStatus", {
      image: { image },
      verbose,
    });
    return { image: res.image ?? null, info: res.info ?? {} };
  }

  /** Pulls and returns the image reference the runtime stored (its image ID on containerd). */
  async pullImage(image: string, opts: { auth?: AuthConfig; timeoutMs?: number; sandboxConfig?: PodSandboxConfig } = {}): Promise<string> {
    const request: { image: ImageSpec; auth?: AuthConfig; sandboxConfig?: PodSandboxConfig } = { image: { image } };
    if (opts.auth) request.auth = opts.auth;
    if (opts.sandboxConfig) request.sandboxConfig = opts.sandboxConfig;
    const res = await this.call<{ imageRef: string }>(this.images, "PullImage", request, opts.timeoutMs ?? DEFAULT_PULL_TIMEOUT_MS);
    return res.imageRef;
  }

  /** Idempotent on containerd: removing an absent image succeeds. */
  async removeImage(image: string): Promise<void> {
    await this.call(this.images, "RemoveImage", { image: { image } }, 60_000);
  }

  async imageFsInfo(): Promise<ImageFsInfo> {
    const res = await this.call<ImageFsInfo>(this.images, "ImageFsInfo", {});
    return { imageFilesystems: res.imageFilesystems ?? [], containerFilesystems: res.containerFilesystems ?? [] };
  }
}
