// A stand-in for the Kubernetes API server, for tests: the core/v1 requests the agent makes,
// answered with the shapes, resourceVersions, watch streams and Status bodies of the real one.
// See kube-apiserver/server.ts for what it serves.

export { startKubeStandIn, STAND_IN_USER, type KubeStandIn, type StandInOptions } from "./kube-apiserver/server.js";
export { loadFixture, podFixture, pullFailedEvent } from "./kube-apiserver/fixtures.js";
export type { Status } from "./kube-apiserver/status.js";
