// The prune room: decide which images may go (a pure planner), remember image ages across
// restarts, and remove safely. Other folders import only this file.

export { executePrune } from "./execute.js";
export type { PrunePass } from "./pass.js";
export { prunePass } from "./pass.js";
export type { ImageUsage, KeepRule, PruneForce, PruneImage, PruneInput, PrunePlan } from "./plan.js";
export { planPrune } from "./plan.js";
export type { PrunePolicy } from "./policy.js";
export { compileProtection, DEFAULT_PRUNE_POLICY, matchesProtected, PolicyError, policyProblems, protectionPatternProblem } from "./policy.js";
export type { ObservedImage } from "./usage.js";
export { DEFAULT_STATE_FILE, UsageTracker } from "./usage.js";
