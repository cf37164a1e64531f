// The pulls room: the node's image pulls in flight, read from the runtime's content store (bytes
// and layers done, a smoothed rate, an ETA, stalls), joined with the pods waiting for them.
// Other folders import only this file.

export type { ContentReader } from "./catalog.js";
export { progressText } from "./describe.js";
export { imageMatchesPull } from "./match.js";
export type { PullProgress } from "./tracker.js";
export { PullTracker } from "./tracker.js";
export type { PullsView } from "./view.js";
export type { PullRound } from "./watch.js";
export { PullWatch } from "./watch.js";
