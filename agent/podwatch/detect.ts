// What a pod object says about image pulls, read from its status alone. The kubelet is the only
// writer of container statuses, so these rules mirror the reasons it sets (pkg/kubelet/images).

import type { ContainerSpec, ContainerStatus, Pod, PullPolicy } from "../kube/index.js";

/** kubelet's waiting reasons for a pull that did not happen or did not succeed. */
export const PULL_FAILURE_REASONS = [
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "RegistryUnavailable",
  "SignatureValidationFailed",
] as const;

export type PullFailureReason = (typeof PULL_FAILURE_REASONS)[number];

export type ContainerKind = "container" | "init" | "ephemeral";

export interface ContainerPullFailure {
  container: string;
  kind: ContainerKind;
  /** As the pod spec names it (what the user wrote); the status's image when the spec has none. */
  image: string;
  reason: PullFailureReason;
  /** kubelet's waiting message; "" when it wrote none. */
  message: string;
  /** Only when the spec sets it; the API server normally defaults it. */
  pullPolicy?: PullPolicy;
}

/**
 * Waiting reasons kubelet only reaches once the image is on the node: the container is being
 * created, configured, started or restarted from that image.
 */
const AFTER_PULL_REASONS: ReadonlySet<string> = new Set([
  "CrashLoopBackOff",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "PreStartHookError",
  "PostStartHookError",
  "ContainerCannotRun",
]);

/**
 * A terminated state kubelet writes for containers it never found in the runtime, e.g. when a pod
 * is stopped while still waiting for its image: not evidence of a pull.
 */
const NEVER_RAN_TERMINATION = "ContainerStatusUnknown";

function isPullFailureReason(reason: string | undefined): reason is PullFailureReason {
  return reason !== undefined && (PULL_FAILURE_REASONS as readonly string[]).includes(reason);
}

interface ContainerView {
  kind: ContainerKind;
  spec: ContainerSpec | undefined;
  status: ContainerStatus;
}

function containerViews(pod: Pod): ContainerView[] {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  const groups: [ContainerKind, ContainerSpec[] | undefined, ContainerStatus[] | undefined][] = [
    ["init", spec.initContainers, status.initContainerStatuses],
    ["container", spec.containers, status.containerStatuses],
    ["ephemeral", spec.ephemeralContainers, status.ephemeralContainerStatuses],
  ];
  const views: ContainerView[] = [];
  for (const [kind, specs, statuses] of groups) {
    for (const s of statuses ?? []) {
      views.push({ kind, spec: (specs ?? []).find((c) => c.name === s.name), status: s });
    }
  }
  return views;
}

/** Containers of the pod whose last status says their image could not be pulled. */
export function pullFailures(pod: Pod): ContainerPullFailure[] {
  const failures: ContainerPullFailure[] = [];
  for (const { kind, spec, status } of containerViews(pod)) {
    const reason = status.state?.waiting?.reason;
    if (!isPullFailureReason(reason)) continue;
    const failure: ContainerPullFailure = {
      container: status.name,
      kind,
      image: nonEmpty(spec?.image) ?? nonEmpty(status.image) ?? "",
      reason,
      message: status.state?.waiting?.message ?? "",
    };
    if (spec?.imagePullPolicy !== undefined) failure.pullPolicy = spec.imagePullPolicy;
    failures.push(failure);
  }
  return failures;
}

/** Names of containers whose image is evidently on the node now; a failure of theirs is over. */
export function pulledContainers(pod: Pod): string[] {
  return containerViews(pod)
    .filter(({ status }) => imageIsPresent(status))
    .map(({ status }) => status.name);
}

function imageIsPresent(status: ContainerStatus): boolean {
  const state = status.state ?? {};
  const waitingReason = state.waiting?.reason;
  // A failed re-pull (after an image edit, or with pull policy Always) can leave the previous
  // image's ID in the status; the waiting reason is the fresher word.
  if (isPullFailureReason(waitingReason)) return false;
  if (state.running !== undefined) return true;
  if (state.terminated !== undefined) {
    return state.terminated.reason !== NEVER_RAN_TERMINATION || nonEmpty(status.imageID) !== undefined;
  }
  if (waitingReason !== undefined && AFTER_PULL_REASONS.has(waitingReason)) return true;
  // ContainerCreating and PodInitializing are shown while kubelet is still pulling too, so they
  // (and reasons this list does not know) count only together with an imageID.
  return nonEmpty(status.imageID) !== undefined;
}

/** The uid survives a pod being deleted and re-created under the same name; the name does not. */
export function podKey(pod: Pod): string {
  const uid = nonEmpty(pod.metadata.uid);
  return uid ?? `${podNamespace(pod)}/${pod.metadata.name}`;
}

/** The namespace the pod lives in; a pod read from the API always has one. */
export function podNamespace(pod: Pod): string {
  return nonEmpty(pod.metadata.namespace) ?? "default";
}

/** The pod's imagePullSecrets, in order, without duplicates or empty names. */
export function pullSecretNames(pod: Pod): string[] {
  const names: string[] = [];
  for (const ref of pod.spec?.imagePullSecrets ?? []) {
    const name = nonEmpty(ref?.name);
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return names;
}

/** The API server sets "default" when the pod names none; old objects may lack it. */
export function serviceAccountName(pod: Pod): string {
  return nonEmpty(pod.spec?.serviceAccountName) ?? "default";
}

/** The spec entry of a container of any kind, by name (names are unique across kinds). */
export function containerSpec(pod: Pod, name: string): ContainerSpec | undefined {
  const spec = pod.spec;
  if (spec === undefined) return undefined;
  return [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].find((c) => c.name === name);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** A container waiting for its image: kubelet is pulling it, or will pull it again after a back-off. */
export interface ImageWait {
  container: string;
  kind: ContainerKind;
  image: string;
}

/**
 * Containers whose image is not on the node yet: waiting, for no reason kubelet gives only after
 * the image is there, and with no image ID in the status. A pull in flight for that image is
 * theirs to wait for.
 */
export function imageWaits(pod: Pod): ImageWait[] {
  return containerViews(pod).flatMap(({ kind, spec, status }) => {
    const waiting = status.state?.waiting;
    if (waiting === undefined || AFTER_PULL_REASONS.has(waiting.reason ?? "") || nonEmpty(status.imageID) !== undefined) return [];
    const image = nonEmpty(spec?.image) ?? nonEmpty(status.image);
    return image === undefined ? [] : [{ container: status.name, kind, image }];
  });
}
