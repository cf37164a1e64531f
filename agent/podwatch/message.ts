// After the first failed pull kubelet replaces the container's status message with a back-off
// notice that says nothing about why; the precise runtime error survives only in the Events it
// wrote at the time. These rules pick the message a diagnosis should classify.

import { sameImageName } from "../../core/image/index.js";
import type { KubeEvent } from "../kube/index.js";
import type { ContainerPullFailure } from "./detect.js";

/** Messages that only restate that a pull failed, or is waiting to be retried. */
const GENERIC_MESSAGES: readonly RegExp[] = [
  /^$/,
  // kubelet up to 1.32; later versions append the previous error, which is then worth reading.
  /^Back-off pulling image "[^"]*"\.?$/i,
  /^Back-off pulling image "[^"]*":\s*(?:ErrImagePull|ImagePullBackOff)?:?$/i,
  // The companion Event kubelet writes for every sync that fails: "Error: ErrImagePull".
  /^Error: \w+$/,
  /^(?:ErrImagePull|ImagePullBackOff)$/,
  /^Pulling image "[^"]*"$/,
];

/** kubelet Events that carry the reason a pull failed; `reason` is the Event's reason. */
const PRECISE_EVENT_RULES: readonly { reason: string; message: RegExp }[] = [
  { reason: "Failed", message: /^Failed to pull image "/ },
  { reason: "ErrImageNeverPull", message: /^Container image ".*" is not present with pull policy of Never/ },
  // InvalidImageName: kubelet could not even add the default tag.
  { reason: "InspectFailed", message: /^Failed to (?:apply default image tag|inspect image) "/ },
];

const KUBELET = "kubelet";

export interface PullMessage {
  message: string;
  source: "status" | "event";
}

/** Whether the message says only that a pull failed or is being retried, not why. */
export function isGenericBackoff(message: string): boolean {
  const text = message.replace(/\s+/g, " ").trim();
  return GENERIC_MESSAGES.some((re) => re.test(text));
}

/**
 * The message that best says why this container's image was not pulled: the newest kubelet Event
 * about the same image that names the error, else the status message when it is specific, else
 * the generic status message.
 */
export function bestPullMessage(failure: ContainerPullFailure, events: readonly KubeEvent[]): PullMessage {
  let best: { message: string; at: number } | undefined;
  for (const event of events) {
    const message = event.message?.trim() ?? "";
    if (!fromKubelet(event) || !isPrecise(event.reason, message)) continue;
    if (!namesImage(message, failure.image)) continue;
    const at = eventTime(event);
    // Events come oldest first, so a tie goes to the later one.
    if (best === undefined || at >= best.at) best = { message, at };
  }
  if (best !== undefined) return { message: best.message, source: "event" };
  return { message: failure.message, source: "status" };
}

function fromKubelet(event: KubeEvent): boolean {
  return event.source?.component === KUBELET || event.reportingComponent === KUBELET;
}

function isPrecise(reason: string | undefined, message: string): boolean {
  if (isGenericBackoff(message)) return false;
  return PRECISE_EVENT_RULES.some((rule) => rule.reason === reason && rule.message.test(message));
}

/** kubelet quotes the image as the pod spec wrote it (`%q`), before anything else in the message. */
function namesImage(message: string, image: string): boolean {
  const quoted = /"([^"]*)"/.exec(message)?.[1];
  if (quoted === undefined || image === "") return false;
  return quoted === image || sameImageName(quoted, image);
}

function eventTime(event: KubeEvent): number {
  for (const stamp of [event.lastTimestamp, event.eventTime, event.firstTimestamp, event.metadata?.creationTimestamp]) {
    if (typeof stamp !== "string") continue;
    const ms = Date.parse(stamp);
    if (Number.isFinite(ms)) return ms;
  }
  return Number.NEGATIVE_INFINITY;
}
