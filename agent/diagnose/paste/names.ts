import type { WorkloadKind, WorkloadNames } from "../explain-scene.js";

const NAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;
/** The alphabet Kubernetes uses for generated suffixes (pod-template-hash, pod names). */
const SAFE = "[bcdfghjklmnpqrstvwxz2456789]";
const REPLICASET_POD = new RegExp(`^(.{1,200})-(${SAFE}{6,10})-${SAFE}{5}$`);
const HASHED = new RegExp(`^(.{1,200})-${SAFE}{6,10}$`);

export function validName(name: string | undefined): string | undefined {
  return name !== undefined && NAME.test(name) ? name : undefined;
}

/** "ReplicaSet/api-7c9d8f6b5" → the Deployment behind it; StatefulSets and DaemonSets hold their template themselves. */
export function workloadFromOwner(kind: string, name: string): WorkloadNames["workload"] {
  const k = kind.toLowerCase();
  if (validName(name) === undefined) return undefined;
  if (k === "replicaset") {
    const m = HASHED.exec(name);
    return m?.[1] === undefined ? undefined : { kind: "deployment", name: m[1] };
  }
  const direct: Record<string, WorkloadKind> = { statefulset: "statefulset", daemonset: "daemonset", deployment: "deployment" };
  const mapped = direct[k];
  return mapped === undefined ? undefined : { kind: mapped, name };
}

/** A Deployment's pod is named <deployment>-<pod-template-hash>-<suffix>. */
export function workloadFromPodName(pod: string): WorkloadNames["workload"] {
  const m = REPLICASET_POD.exec(pod);
  return m?.[1] === undefined || validName(m[1]) === undefined ? undefined : { kind: "deployment", name: m[1] };
}

/** "spec.containers{api}", "spec.initContainers{migrate}" → the container's name. */
export function containerFromFieldPath(fieldPath: string): string | undefined {
  const m = /^spec\.(?:init|ephemeral)?[cC]ontainers\{([^}]{1,63})\}$/.exec(fieldPath.trim());
  return validName(m?.[1]);
}

/** "shop/api-7c9d8f6b5-qq2vx" → namespace and pod. */
export function podRef(ref: string): Pick<WorkloadNames, "namespace" | "pod"> {
  const [a, b] = ref.split("/");
  if (b === undefined) return validName(a) === undefined ? {} : { pod: a as string };
  const out: Pick<WorkloadNames, "namespace" | "pod"> = {};
  if (validName(a) !== undefined) out.namespace = a as string;
  if (validName(b) !== undefined) out.pod = b;
  return out;
}

/** Later names fill what earlier ones lack; the first one given wins. */
export function mergeNames(...all: (WorkloadNames | undefined)[]): WorkloadNames {
  const out: WorkloadNames = {};
  for (const n of all) {
    if (n === undefined) continue;
    out.namespace ??= validName(n.namespace);
    out.pod ??= validName(n.pod);
    out.node ??= validName(n.node);
    out.container ??= validName(n.container);
    out.serviceAccount ??= validName(n.serviceAccount);
    if (out.workload === undefined && n.workload !== undefined && validName(n.workload.name) !== undefined) out.workload = n.workload;
    if (out.secrets === undefined && n.secrets !== undefined) {
      const secrets = n.secrets.filter((s) => validName(s) !== undefined);
      if (secrets.length > 0) out.secrets = secrets;
    }
  }
  for (const key of Object.keys(out) as (keyof WorkloadNames)[]) if (out[key] === undefined) delete out[key];
  return out;
}
