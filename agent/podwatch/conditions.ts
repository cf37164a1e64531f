// Node conditions pullmedic owns, so `kubectl describe node` and schedulers-by-condition see a
// node that is about to fail pulls before pods do. Other conditions belong to kubelet and to
// node-problem-detector; this module never returns one of theirs.

import { humanBytes } from "../../core/text/index.js";
import type { NodeCondition } from "../kube/index.js";
import type { ImageFilesystem } from "../probe/index.js";
import type { ProbeFinding } from "../report/index.js";
import { rfc3339Seconds } from "./event.js";

export const IMAGE_FS_PRESSURE = "ImageFsPressure";
export const REGISTRY_UNREACHABLE = "RegistryUnreachable";

export const OWNED_CONDITION_TYPES: readonly string[] = [IMAGE_FS_PRESSURE, REGISTRY_UNREACHABLE];

/** Node condition messages are shown in one `kubectl describe` column; keep them short. */
const MAX_CONDITION_MESSAGE = 512;

/** What a condition should say; `nextConditions` adds the times. */
export interface ConditionState {
  status: NodeCondition["status"];
  reason: string;
  message: string;
}

export interface WantedCondition extends ConditionState {
  type: string;
}

/** The probe steps that open a connection; a failure at any of them means no byte reached the registry. */
const NETWORK_STEPS: ReadonlySet<string> = new Set(["dns", "tcp", "tls"]);

/**
 * True when an image filesystem is at least `thresholdPercent` used, measured as kubelet's image
 * GC measures it (space not available to the runtime), so it reads the same as kubelet's
 * thresholds it is compared with.
 */
export function imageFsPressureCondition(filesystems: readonly ImageFilesystem[] | undefined, thresholdPercent: number): ConditionState {
  const read = (filesystems ?? []).flatMap((fs) => (fs.host === undefined ? [] : [{ mount: fs.mountpoint, host: fs.host }]));
  if (read.length === 0) {
    const why = (filesystems ?? []).find((fs) => fs.hostError !== undefined)?.hostError;
    return {
      status: "Unknown",
      reason: "ImageFsUnknown",
      message: bound(why === undefined ? "no reading of the image filesystem yet" : `cannot read the image filesystem: ${why}`),
    };
  }
  const describe = (r: (typeof read)[number]) => `${r.mount} is ${r.host.usedPercent}% used (${humanBytes(r.host.availableBytes)} free)`;
  const full = read.filter((r) => r.host.usedPercent >= thresholdPercent);
  if (full.length > 0) {
    return {
      status: "True",
      reason: "ImageFsNearlyFull",
      message: bound(`image filesystem ${full.map(describe).join("; ")}, at or over the ${thresholdPercent}% threshold: new pulls may fail for lack of space`),
    };
  }
  return {
    status: "False",
    reason: "ImageFsHasSpace",
    message: bound(`image filesystem ${read.map(describe).join("; ")}, under the ${thresholdPercent}% threshold`),
  };
}

/**
 * True when some registry cannot be connected to at all: every host the probe tried failed at
 * DNS, TCP or TLS. A registry that answers, even with 401, 404 or 5xx, is reachable; its errors
 * are for the diagnosis to explain.
 */
export function registryUnreachableCondition(probes: readonly ProbeFinding[] | undefined): ConditionState {
  if (probes === undefined || probes.length === 0) {
    return { status: "Unknown", reason: "RegistryProbePending", message: "no registry has been probed yet" };
  }
  const unreachable: string[] = [];
  for (const probe of probes) {
    if (probe.ok || probe.hosts.length === 0) continue;
    const failedSteps = probe.hosts.map((h) => h.steps.find((s) => !s.ok)?.step);
    if (!failedSteps.every((step) => step !== undefined && NETWORK_STEPS.has(step))) continue;
    const steps = [...new Set(failedSteps)].join("/");
    const hosts = probe.hosts.length === 1 ? "its host" : `all ${probe.hosts.length} hosts`;
    unreachable.push(`${probe.registry} (${steps} fails on ${hosts})`);
  }
  if (unreachable.length === 0) {
    return {
      status: "False",
      reason: "RegistriesReachable",
      message: bound(`${probes.length === 1 ? "the probed registry answers" : `all ${probes.length} probed registries answer`} over the network`),
    };
  }
  return {
    status: "True",
    reason: "RegistryUnreachable",
    message: bound(`cannot connect to ${listBounded(unreachable, 6)}; pulls from ${unreachable.length === 1 ? "it" : "them"} fail`),
  };
}

/**
 * The conditions to PATCH into the node's status, or undefined when all are current. A condition
 * is written when it changed, or when its heartbeat is older than `heartbeatMs` so that readers
 * can tell a live agent from a stale condition.
 */
export function nextConditions(
  previous: readonly NodeCondition[] | undefined,
  wanted: readonly WantedCondition[],
  now: number,
  heartbeatMs: number,
): NodeCondition[] | undefined {
  const stamp = rfc3339Seconds(now);
  const out: NodeCondition[] = [];
  for (const want of wanted) {
    if (!OWNED_CONDITION_TYPES.includes(want.type)) continue;
    const before = (previous ?? []).find((c) => c.type === want.type);
    const same = before !== undefined && before.status === want.status && (before.reason ?? "") === want.reason && (before.message ?? "") === want.message;
    const beat = Date.parse(before?.lastHeartbeatTime ?? "");
    // A heartbeat in the future (the clock went back) is rewritten rather than trusted.
    const fresh = Number.isFinite(beat) && beat <= now && now - beat < heartbeatMs;
    if (same && fresh) continue;
    const transition = before !== undefined && before.status === want.status ? (before.lastTransitionTime ?? stamp) : stamp;
    out.push({
      type: want.type,
      status: want.status,
      reason: want.reason,
      message: want.message,
      lastHeartbeatTime: stamp,
      lastTransitionTime: transition,
    });
  }
  return out.length === 0 ? undefined : out;
}

function listBounded(items: string[], max: number): string {
  const shown = items.slice(0, max).join(", ");
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

function bound(message: string): string {
  const text = message.replace(/\s+/g, " ").trim();
  return text.length <= MAX_CONDITION_MESSAGE ? text : `${text.slice(0, MAX_CONDITION_MESSAGE - 1)}…`;
}
