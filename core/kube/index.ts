// The Kubernetes API room of the shared layer: where the API server is and how to prove who we
// are (kubeconfig, in-cluster service account), the one HTTP exchange every request goes through
// (undici, bounded bodies, errors that name the request and never a credential), and the checked
// decoding every answer passes. The agent's pod watch (agent/kube) and the aggregator's reviews
// and certificates are built on it. Other folders import only this file.

export { KubeAccess } from "./access.js";
export type { KubeConnection } from "./config.js";
export { inClusterConnection, KubeConfigError, loadKubeConnection, parseKubeconfig } from "./config.js";
export type { KubeStatus, Plain } from "./decode-base.js";
export {
  asObject,
  asStatus,
  DecodeError,
  decodeList,
  decodeMeta,
  describe,
  expectKind,
  isPlain,
  join,
  localRefs,
  optBoolean,
  optNumber,
  optString,
  put,
  record,
  requiredString,
  stringMap,
} from "./decode-base.js";
export { KubeApiError, malformedError, reasonForStatus } from "./errors.js";
export type { KubeRequest, LogFn } from "./http.js";
export { KubeHttp, showPath } from "./http.js";
export type { LocalObjectReference, ObjectMeta } from "./meta.js";
export type { DataObject } from "./objects.js";
export { createDataObject, getDataObject, getPodPlacement, patchData } from "./objects.js";
export { bearerToken, checkBearer, PULLMEDIC_API_GROUP } from "./request-access.js";
export type { AccessAttributes, UserInfo } from "./reviews.js";
export { reviewAccess, reviewToken } from "./reviews.js";
export { TtlCache } from "./ttl-cache.js";
