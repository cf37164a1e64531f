// The pod watch room: detects pull failures of this node's pods, diagnoses them from the node,
// and answers on the pod (Events) and the node (conditions). Other folders import only this file.

export { IMAGE_FS_PRESSURE, imageFsPressureCondition, REGISTRY_UNREACHABLE, registryUnreachableCondition } from "./conditions.js";
export type { HygieneRisk } from "./hygiene.js";
export type { WantedCondition } from "./node-conditions.js";
export { NodeConditionWriter } from "./node-conditions.js";
export type { SecretCheck } from "./revalidate.js";
export type { ClosedFailureFinding, PodWatchFinding, PodWatchOptions, PodWatchSnapshot, PodWatchTotals, PullFailureFinding } from "./service.js";
export { PodWatch } from "./service.js";
