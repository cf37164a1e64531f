// The agent's Kubernetes room: the API client the pod watch speaks through (pods, Events, nodes,
// pull Secrets) and the watch itself. Connections, errors and decoding come from core/kube and are
// passed on here, so the agent's folders keep one door. Other folders import only this file.

export type { KubeConnection } from "../../core/kube/index.js";
export {
  DecodeError,
  inClusterConnection,
  KubeApiError,
  KubeConfigError,
  loadKubeConnection,
  parseKubeconfig,
} from "../../core/kube/index.js";
export { createKubeApi } from "./client.js";
export type * from "./types.js";
