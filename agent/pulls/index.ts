// The pulls room: the node's image pulls in flight, read from the runtime's content store (bytes
// and layers done, a smoothed rate, an ETA, stalls), joined with the pods waiting for them.
// Other folders import only this file.

export type { ContentReader, ImageManifest, ImageSource } from "./catalog.js";
export { amountText, etaText, progressText, rateText } from "./describe.js";
export type { WaitingContainer } from "./match.js";
export { imageMatchesPull } from "./match.js";
export type { PullFigures } from "./progress.js";
export { DEFAULT_STALL_AFTER_MS } from "./progress.js";
export { stallFinding } from "./stall.js";
export type { FinishedPull, PullPoll, PullProgress, PullTrackerOptions } from "./tracker.js";
export { PullTracker } from "./tracker.js";
export type { PullInFlight, PullsView, StallFinding } from "./view.js";
export { joinWaiting, orderPulls, RegistryFigures } from "./view.js";
export type { PodPullWord, PullRound, PullWatchDeps, WaitingSpot } from "./watch.js";
export { PullWatch } from "./watch.js";
