// The Kubernetes room: connection config (kubeconfig, in-cluster), the API client and the pod
// watch. Other folders import only this file.

export { createKubeApi } from "./client.js";
export type { KubeConnection } from "./config.js";
export { inClusterConnection, KubeConfigError, loadKubeConnection, parseKubeconfig } from "./config.js";
export { DecodeError } from "./decode.js";
export { KubeApiError } from "./errors.js";
export type * from "./types.js";
