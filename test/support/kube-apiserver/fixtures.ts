// Recorded objects under test/fixtures/kube, and builders that turn them into the pod or Event
// a test needs without losing the shape the API server and kubelet give them.

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ContainerSpec, KubeEvent, Pod, PullPolicy } from "../../../agent/kube/types.js";

const FIXTURES = new URL("../../fixtures/kube/", import.meta.url);
const cache = new Map<string, unknown>();

/** test/fixtures/kube/<name>.json, parsed; every call returns a fresh deep copy. */
export function loadFixture<T>(name: string): T {
  let parsed = cache.get(name);
  if (parsed === undefined) {
    parsed = JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), "utf8"));
    cache.set(name, parsed);
  }
  return structuredClone(parsed) as T;
}

/** The pod fixtures, by the state kubelet reports. */
export const POD_STATES = {
  running: "pod-running",
  "err-image-pull": "pod-err-image-pull",
  "image-pull-back-off": "pod-image-pull-back-off",
  "init-err-image-pull": "pod-init-err-image-pull",
  "invalid-image-name": "pod-invalid-image-name",
} as const;
export type PodState = keyof typeof POD_STATES;

export interface PodFixtureOptions {
  name: string;
  /** Default "shop". */
  namespace?: string;
  /** Default a fresh random uid. */
  uid?: string;
  /** "" leaves the pod unscheduled: no nodeName, Pending, PodScheduled False. */
  nodeName: string;
  /** The image of the container the state is about (in init-err-image-pull, the init container's). */
  image: string;
  /** Default "running". */
  state?: PodState;
  /** Renames the container the state is about. */
  containerName?: string;
  /** Replaces its waiting message (the fixture's, with the image swapped in, otherwise). */
  message?: string;
  imagePullPolicy?: PullPolicy;
  /** Names of pull Secrets; [] removes them. Default the fixture's (regcred). */
  imagePullSecrets?: string[];
  serviceAccountName?: string;
  labels?: Record<string, string>;
}

/**
 * A pod as kubelet reports it in `state`, from the fixture, with the name, node, image and
 * container given. metadata.resourceVersion is removed (the stand-in stamps its own).
 */
export function podFixture(o: PodFixtureOptions): Pod {
  const state = o.state ?? "running";
  const fixture = loadFixture<Pod>(POD_STATES[state]);
  const initial = state === "init-err-image-pull";
  const specs: ContainerSpec[] = (initial ? fixture.spec.initContainers : fixture.spec.containers) ?? [];
  const oldImage = specs[0]!.image ?? "";
  const oldName = specs[0]!.name;
  const containerName = o.containerName ?? oldName;

  // Swap the image everywhere the fixture names it (spec, status, messages), then the container name.
  let pod = JSON.parse(JSON.stringify(fixture).split(JSON.stringify(oldImage).slice(1, -1)).join(JSON.stringify(o.image).slice(1, -1))) as Pod;
  if (containerName !== oldName) {
    pod = JSON.parse(JSON.stringify(pod).split(`[${oldName}]`).join(`[${containerName}]`)) as Pod;
    const s = (initial ? pod.spec.initContainers : pod.spec.containers)![0]!;
    s.name = containerName;
    (initial ? pod.status!.initContainerStatuses : pod.status!.containerStatuses)![0]!.name = containerName;
  }
  const target = (initial ? pod.spec.initContainers : pod.spec.containers)![0]!;
  const targetStatus = (initial ? pod.status!.initContainerStatuses : pod.status!.containerStatuses)![0]!;
  if (o.message !== undefined && targetStatus.state?.waiting) targetStatus.state.waiting.message = o.message;
  if (o.imagePullPolicy !== undefined) target.imagePullPolicy = o.imagePullPolicy;

  pod.metadata.name = o.name;
  pod.metadata.namespace = o.namespace ?? "shop";
  pod.metadata.uid = o.uid ?? randomUUID();
  delete pod.metadata.resourceVersion;
  if (o.labels !== undefined) pod.metadata.labels = { ...o.labels };
  if (o.imagePullSecrets !== undefined) {
    if (o.imagePullSecrets.length === 0) delete pod.spec.imagePullSecrets;
    else pod.spec.imagePullSecrets = o.imagePullSecrets.map((name) => ({ name }));
  }
  if (o.serviceAccountName !== undefined) {
    pod.spec.serviceAccountName = o.serviceAccountName;
    (pod.spec as unknown as Record<string, unknown>).serviceAccount = o.serviceAccountName;
  }
  if (o.nodeName === "") {
    delete pod.spec.nodeName;
    const created = pod.metadata.creationTimestamp;
    pod.status = {
      phase: "Pending",
      conditions: [
        {
          lastProbeTime: null,
          lastTransitionTime: created,
          message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.",
          reason: "Unschedulable",
          status: "False",
          type: "PodScheduled",
        },
      ],
      qosClass: "BestEffort",
    } as unknown as Pod["status"];
  } else {
    pod.spec.nodeName = o.nodeName;
  }
  return pod;
}

export interface PullFailedEventOptions {
  /** Default: `Failed to pull image "<image>": <the container's waiting message>`. */
  message?: string;
  /** Default "Failed". */
  reason?: string;
  /** Default "Warning". */
  type?: string;
  count?: number;
  /** When it happened (RFC 3339); default now. */
  at?: string;
  /** Which container; default the first one waiting on a pull. */
  container?: string;
}

/** The Event kubelet writes when a pull for `pod` fails, as the Failed fixture shows it (no resourceVersion). */
export function pullFailedEvent(pod: Pod, o: PullFailedEventOptions = {}): KubeEvent {
  const event = loadFixture<KubeEvent>("event-failed-pull");
  const candidates = [
    ...(pod.status?.initContainerStatuses ?? []).map((s) => ({ s, field: "initContainers" })),
    ...(pod.status?.containerStatuses ?? []).map((s) => ({ s, field: "containers" })),
  ];
  const chosen =
    candidates.find(({ s }) =>
      o.container === undefined ? s.state?.waiting?.message !== undefined && s.state.waiting.reason !== "PodInitializing" : s.name === o.container,
    ) ?? candidates[0];
  const name = chosen?.s.name ?? pod.spec.containers[0]?.name ?? "app";
  const image = chosen?.s.image ?? [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c) => c.name === name)?.image ?? "";
  const at = o.at ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const namespace = pod.metadata.namespace ?? "default";
  const waiting = chosen?.s.state?.waiting?.message;
  event.metadata = {
    name: `${pod.metadata.name}.${(BigInt(Date.parse(at)) * 1_000_000n + BigInt(Math.floor(Math.random() * 1e6))).toString(16)}`,
    namespace,
  };
  event.involvedObject = {
    apiVersion: "v1",
    fieldPath: `spec.${chosen?.field ?? "containers"}{${name}}`,
    kind: "Pod",
    name: pod.metadata.name,
    namespace,
    ...(pod.metadata.uid === undefined ? {} : { uid: pod.metadata.uid }),
    ...(pod.metadata.resourceVersion === undefined ? {} : { resourceVersion: pod.metadata.resourceVersion }),
  };
  event.reason = o.reason ?? "Failed";
  event.type = o.type ?? "Warning";
  event.message = o.message ?? `Failed to pull image "${image}": ${waiting ?? "rpc error: code = Unknown desc = failed to pull and unpack image"}`;
  event.count = o.count ?? 1;
  event.firstTimestamp = at;
  event.lastTimestamp = at;
  const host = pod.spec.nodeName ?? "";
  event.source = { component: "kubelet", host };
  event.reportingComponent = "kubelet";
  event.reportingInstance = host;
  return event;
}
