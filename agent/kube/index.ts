// The Kubernetes room: connection config (kubeconfig, in-cluster), the API client and the pod
// watch. Other folders import only this file.
export type * from "./types.js";
export { KubeConfigError, inClusterConnection, loadKubeConnection, parseKubeconfig, DEFAULT_SERVICE_ACCOUNT_DIR } from "./config.js";
export type { KubeConnection, KubeconfigOptions, InClusterOptions, LoadOptions } from "./config.js";
export { createKubeApi } from "./client.js";
export type { KubeApiOptions } from "./client.js";
export { KubeApiError } from "./errors.js";
export type { KubeNetworkFailure } from "./errors.js";
export { DecodeError } from "./decode.js";
