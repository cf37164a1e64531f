// The prune room: decide which images may go (a pure planner), remember image ages across
// restarts, and remove safely. Other folders import only this file.

export type { ExecuteOptions, PruneResult } from "./execute.js";
export { executePrune } from "./execute.js";
export { imageName } from "./names.js";
export type { ImageFsReading, PrunePass, PrunePassOptions } from "./pass.js";
export { prunePass } from "./pass.js";
export type { CandidateRule, ImageUsage, KeepRule, KeptImage, PruneCandidate, PruneForce, PruneImage, PruneInput, PrunePlan, PruneTrigger } from "./plan.js";
export { planPrune } from "./plan.js";
export type { ImageNames, PrunePolicy, ReferenceMatcher } from "./policy.js";
export {
  compileProtection,
  compileReferences,
  DEFAULT_PRUNE_POLICY,
  matchesProtected,
  PolicyError,
  policyProblems,
  protectionPatternProblem,
} from "./policy.js";
export type { ObservedImage, UsageLoad } from "./usage.js";
export { DEFAULT_STATE_FILE, MAX_TRACKED_IMAGES, UsageTracker } from "./usage.js";
