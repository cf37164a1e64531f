// A stalled pull as a finding: cause pull-timeout, the registry it waits on, what the path from
// the node looks like (a diagnosis run when the stall is seen: mirrors, proxy, a throughput
// sample), and the fix. Runtimes differ in how long they wait: docs/facts/containerd-content.md.

import { formatDuration } from "../../core/text/index.js";
import type { Diagnosis } from "../diagnose/index.js";
import { amountText } from "./describe.js";
import type { PullInFlight, StallFinding } from "./view.js";

export function stallFinding(p: PullInFlight, path: Diagnosis | undefined): StallFinding {
  const waited = `no bytes for ${formatDuration(p.idleMs)} at ${amountText(p)}`;
  const parts = [`the pull of ${p.image} from ${p.registry} is stalled: ${waited}.`, pathText(path)];
  parts.push("containerd 1.6 waits for such a pull for ever; 1.7 and later give up after image_pull_progress_timeout (5 min by default).");
  const pod = p.waiting[0];
  const fix: string[] = [];
  if (pod !== undefined) {
    const [namespace, name] = pod.pod.split("/");
    fix.push(`kubectl delete pod -n ${namespace} ${name}   # cancels the stuck pull; its controller makes a pod that pulls again`);
  }
  fix.push(`pullmedic diagnose ${p.image} --pull   # the path from this node, then a real pull`);
  fix.push('set image_pull_progress_timeout = "2m" under [plugins."io.containerd.grpc.v1.cri"] (containerd 1.7+) so a stalled pull fails and is retried');
  return { cause: "pull-timeout", registry: p.registry, summary: parts.filter((s) => s !== "").join(" "), fix };
}

const AUTH_CAUSES: ReadonlySet<string> = new Set(["auth-required", "auth-denied", "secret-invalid"]);

/** The diagnosis' words about the path: its failure, or the host used and the rate it sampled. */
function pathText(path: Diagnosis | undefined): string {
  if (path === undefined) return "";
  // The pull got past auth with the pod's credentials, which a diagnosis without them lacks.
  if (AUTH_CAUSES.has(path.cause)) return `The registry ${path.registry} answers from this node (it asks for credentials the pull had).`;
  if (path.cause !== "ok") return `From this node the path says ${path.cause}: ${path.summary}`;
  const hosts = path.evidence.find((e) => e.check === "hosts");
  const sample = path.evidence.find((e) => e.check === "throughput");
  const via = hosts?.detail ? ` (${hosts.detail})` : "";
  const rate = sample?.detail ? `; a fresh download from this node: ${sample.detail}` : "";
  return `The registry ${path.registry} answers from this node${via}${rate}, so this transfer itself stopped: a proxy, mirror or the registry's storage holds the connection open without sending.`;
}
