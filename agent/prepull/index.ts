// The pre-pull room: keeps critical images present and fresh on the node without wasting pulls.
// Scheduling lives with the daemon; this room runs one round when asked. Other folders import
// only this file.

export { backoffDelayMs } from "./backoff.js";
export type { ChosenCredential } from "./credentials.js";
export { headFailure } from "./failure.js";
// The manifest HEAD through containerd's hosts, for checking credentials without a pull (pod watch).
export { Resolver } from "./resolve.js";
export { prepullRound } from "./round.js";
export type { PrepullImageStatus, PrepullOptions, PrepullTarget, QuotaSnapshot } from "./types.js";
export { PREPULL_DEFAULTS } from "./types.js";
