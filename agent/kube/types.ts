// The slices of Kubernetes objects the agent reads and writes (core/v1). Field names are the API's;
// only fields the agent uses are declared, and the API may send more (they are ignored).

import type { LocalObjectReference, ObjectMeta } from "../../core/kube/index.js";

export type { LocalObjectReference, ObjectMeta } from "../../core/kube/index.js";

export type PullPolicy = "Always" | "IfNotPresent" | "Never";

export interface ContainerSpec {
  name: string;
  /** Absent only in a malformed object; the API server rejects pods without it. */
  image?: string;
  imagePullPolicy?: PullPolicy;
}

export interface PodSpec {
  nodeName?: string;
  serviceAccountName?: string;
  imagePullSecrets?: LocalObjectReference[];
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  ephemeralContainers?: ContainerSpec[];
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string };
}

export interface ContainerStatus {
  name: string;
  image?: string;
  imageID?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
}

export interface PodStatus {
  phase?: string;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
  ephemeralContainerStatuses?: ContainerStatus[];
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: PodStatus;
}

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** core/v1 Event (the API kubelet writes and `kubectl describe` reads). */
export interface KubeEvent {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  involvedObject: ObjectReference;
  reason?: string;
  message?: string;
  type?: "Normal" | "Warning" | string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string | null;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
  action?: string;
}

export interface NodeCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface KubeNode {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  status?: { conditions?: NodeCondition[] };
}

export interface ServiceAccount {
  metadata: ObjectMeta;
  imagePullSecrets?: LocalObjectReference[];
}

export interface Secret {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  type?: string;
  /** Base64 values, as the API serves them. */
  data?: Record<string, string>;
}

/** What a pod watch delivers: a full list (at start and after every re-list), then changes. */
export type PodWatchEvent =
  | { type: "sync"; pods: Pod[]; resourceVersion: string }
  | { type: "added" | "modified" | "deleted"; pod: Pod; resourceVersion: string };

/** How the watch is doing, for logs, metrics and /v1/state. */
export type WatchStatus =
  | { state: "listing" }
  | { state: "watching"; resourceVersion: string }
  | { state: "bookmark"; resourceVersion: string }
  /** The resourceVersion was too old (410 Gone): the next step is a fresh list. */
  | { state: "expired"; resourceVersion: string }
  | { state: "retrying"; error: string; delayMs: number; attempt: number }
  /** An object in the stream that is not a pod the agent can read; it was skipped. */
  | { state: "skipped"; error: string };

/**
 * The agent's one door to the API server. Everything else in the agent speaks to this interface,
 * so a stand-in or a real server are alike to it.
 */
export interface KubeApi {
  /** The server URL, for logs (never credentials). */
  readonly server: string;
  /**
   * Lists, then watches, the pods bound to `nodeName` until `signal` aborts: resumes from the last
   * resourceVersion, asks for bookmarks, re-lists after 410 Gone, reconnects with back-off. Never
   * rejects except when aborted (then it resolves).
   */
  watchPods(options: {
    nodeName: string;
    signal: AbortSignal;
    onEvent: (event: PodWatchEvent) => void;
    onStatus?: (status: WatchStatus) => void;
  }): Promise<void>;
  /** Events whose involved object is the pod with this uid, oldest first. */
  listPodEvents(namespace: string, podUid: string): Promise<KubeEvent[]>;
  getSecret(namespace: string, name: string): Promise<Secret>;
  getServiceAccount(namespace: string, name: string): Promise<ServiceAccount>;
  createEvent(namespace: string, event: KubeEvent): Promise<KubeEvent>;
  /** JSON merge patch of an Event (count, lastTimestamp, message). */
  patchEvent(namespace: string, name: string, patch: Partial<KubeEvent>): Promise<KubeEvent>;
  getNode(name: string): Promise<KubeNode>;
  /** Strategic merge patch of nodes/<name>/status: conditions merge by type. */
  patchNodeConditions(name: string, conditions: NodeCondition[]): Promise<void>;
  close(): Promise<void>;
}
