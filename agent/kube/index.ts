// The Kubernetes room: connection config (kubeconfig, in-cluster), the API client and the pod
// watch. Other folders import only this file.

export type { KubeApiOptions } from "./client.js";
export { createKubeApi } from "./client.js";
export type { InClusterOptions, KubeConnection, KubeconfigOptions, LoadOptions } from "./config.js";
export { DEFAULT_SERVICE_ACCOUNT_DIR, inClusterConnection, KubeConfigError, loadKubeConnection, parseKubeconfig } from "./config.js";
export { DecodeError } from "./decode.js";
export type { KubeNetworkFailure } from "./errors.js";
export { KubeApiError } from "./errors.js";
export { KubeHttp, type KubeRequest } from "./http.js";
export type * from "./types.js";
