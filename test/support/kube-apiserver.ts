// A stand-in for the Kubernetes API server, for tests: the core/v1 requests the agent makes,
// answered with the shapes, resourceVersions, watch streams and Status bodies of the real one.
// See kube-apiserver/server.ts for what it serves.

export { loadFixture, podFixture, pullFailedEvent } from "./kube-apiserver/fixtures.js";
export { API_AUDIENCE } from "./kube-apiserver/reviews.js";
export { type KubeStandIn, STAND_IN_USER, type StandInOptions, startKubeStandIn } from "./kube-apiserver/server.js";
export type { Status } from "./kube-apiserver/status.js";
