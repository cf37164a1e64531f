// One answer per failing container from two witnesses: kubelet's message (what the pull that failed
// said, with the pod's own credentials) and the node-local diagnosis (what the registry answers this
// node now). The diagnosis is more precise, except where it cannot speak: without the pod's
// credentials it cannot judge them, and a pull policy or a malformed name is kubelet's business.

import type { Diagnosis, Explanation, FailureCause } from "../diagnose/index.js";

export interface PodVerdict {
  cause: FailureCause;
  summary: string;
  fix: string[];
  /** Which witness decided. */
  source: "node" | "kubelet";
  /** What a reader must know besides the cause (e.g. a Secret could not be checked). */
  note?: string;
}

/** Causes that only kubelet's side knows: nothing the registry says can change them. */
const KUBELET_CAUSES: ReadonlySet<FailureCause> = new Set(["invalid-reference", "never-pull"]);

/** Causes a diagnosis without the pod's credentials may report wrongly. */
const CREDENTIAL_CAUSES: ReadonlySet<FailureCause> = new Set(["auth-required", "auth-denied", "not-found", "secret-invalid"]);

/** Whether the node-local diagnosis can add anything to what kubelet's message says. */
export function needsNodeDiagnosis(explanation: Explanation): boolean {
  return !KUBELET_CAUSES.has(explanation.cause);
}

export function podVerdict(input: {
  explanation: Explanation;
  diagnosis?: Diagnosis | undefined;
  diagnosisError?: string | undefined;
  unreadableSecrets: string[];
  namespace: string;
}): PodVerdict {
  const { explanation, diagnosis } = input;
  const kubelet: PodVerdict = { cause: explanation.cause, summary: explanation.summary, fix: explanation.fix, source: "kubelet" };
  const unchecked =
    input.unreadableSecrets.length > 0
      ? `secret could not be checked: ${input.unreadableSecrets.map((s) => `${input.namespace}/${s}`).join(", ")} (the agent may not read Secrets), so the node's diagnosis ran without them`
      : undefined;
  if (KUBELET_CAUSES.has(explanation.cause)) return kubelet;
  if (diagnosis === undefined) {
    return input.diagnosisError !== undefined ? { ...kubelet, note: `the node-local diagnosis failed: ${input.diagnosisError}` } : kubelet;
  }
  if (diagnosis.cause === "ok") {
    const note = "a diagnosis from this node now finds the image pullable: the failure may have passed (kubelet retries on its back-off)";
    return { ...kubelet, note: unchecked ? `${note}; ${unchecked}` : note };
  }
  if (unchecked !== undefined && CREDENTIAL_CAUSES.has(diagnosis.cause)) {
    // kubelet pulled with the Secret; the diagnosis could not. Its word on credentials is the better one.
    if (explanation.cause !== "unknown") return { ...kubelet, note: unchecked };
    return { cause: diagnosis.cause, summary: diagnosis.summary, fix: diagnosis.fix, source: "node", note: unchecked };
  }
  return { cause: diagnosis.cause, summary: diagnosis.summary, fix: diagnosis.fix, source: "node", ...(unchecked ? { note: unchecked } : {}) };
}

export interface PodPlace {
  namespace: string;
  pod: string;
  container: string;
  /** The Deployment (or other owner) name when the pod's owner says so. */
  workload?: { kind: string; name: string };
}

/** Fix commands with the pod's own names where explain had to leave placeholders. */
export function fillPlaceholders(fix: string[], place: PodPlace): string[] {
  return fix.map((command) => {
    let out = command.replaceAll("<namespace>", place.namespace).replaceAll("<pod>", place.pod).replaceAll("<container>", place.container);
    if (place.workload !== undefined) {
      const kind = place.workload.kind.toLowerCase();
      out = out
        .replaceAll("deployment/<deployment>", `${kind}/${place.workload.name}`)
        .replaceAll("deployment <deployment>", `${kind} ${place.workload.name}`)
        .replaceAll("<deployment>", place.workload.name);
    }
    return out;
  });
}

/**
 * The workload a person edits to fix the image: a ReplicaSet's pods belong to the Deployment whose
 * name is the ReplicaSet's without its pod-template-hash suffix; other owners are named as they are.
 */
export function workloadOf(owner: { kind: string; name: string } | undefined, templateHash: string | undefined): { kind: string; name: string } | undefined {
  if (owner === undefined) return undefined;
  if (owner.kind === "ReplicaSet" && templateHash !== undefined && owner.name.endsWith(`-${templateHash}`)) {
    return { kind: "Deployment", name: owner.name.slice(0, -templateHash.length - 1) };
  }
  if (["StatefulSet", "DaemonSet", "Job", "ReplicaSet"].includes(owner.kind)) return { kind: owner.kind, name: owner.name };
  return undefined;
}
