// TypeScript shapes of the CRI runtime.v1 messages pullmedic uses, as @grpc/proto-loader decodes
// them with our options: camelCase fields, enums as their names, 64-bit integers as decimal
// strings (so nanosecond timestamps keep their precision), defaults filled in. What runtimes put in
// these fields: docs/facts/cri.md.

export interface ImageSpec {
  image: string;
  annotations?: Record<string, string>;
  userSpecifiedImage?: string;
  runtimeHandler?: string;
  imageRef?: string;
}

export interface CriImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: string;
  pinned: boolean;
  username: string;
  spec: ImageSpec | null;
}

export type ContainerState = "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface CriContainer {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  imageRef: string;
  imageId: string;
  state: ContainerState;
  createdAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type PodSandboxState = "SANDBOX_READY" | "SANDBOX_NOTREADY";

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface CriPodSandbox {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export interface VersionInfo {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface RuntimeStatusInfo {
  conditions: RuntimeCondition[];
  /** Verbose information; containerd puts its effective configuration under "config" as JSON. */
  info: Record<string, string>;
}

export interface FilesystemUsage {
  timestamp: string;
  fsId: { mountpoint: string } | null;
  usedBytes: { value: string } | null;
  inodesUsed: { value: string } | null;
}

export interface ImageFsInfo {
  imageFilesystems: FilesystemUsage[];
  containerFilesystems: FilesystemUsage[];
}

/** Registry credentials for one pull. Never logged: see core/log. */
export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface PodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt?: number };
  hostname?: string;
  logDirectory?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    cgroupParent?: string;
    securityContext?: {
      namespaceOptions?: { network?: "POD" | "CONTAINER" | "NODE"; pid?: "POD" | "CONTAINER" | "NODE"; ipc?: "POD" | "CONTAINER" | "NODE" };
      privileged?: boolean;
    };
  };
}

export interface ContainerConfig {
  metadata: { name: string; attempt?: number };
  image: ImageSpec;
  command?: string[];
  args?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  logPath?: string;
  linux?: {
    securityContext?: {
      namespaceOptions?: { network?: "POD" | "CONTAINER" | "NODE"; pid?: "POD" | "CONTAINER" | "NODE"; ipc?: "POD" | "CONTAINER" | "NODE" };
    };
  };
}
