// The quota room: Docker Hub's pull quota, read with the documented check or from the headers of
// any Docker Hub response, kept per source, and said in words. Other folders import only this file.

export { checkDockerHubQuota, QUOTA_CHECK_REFERENCE, QUOTA_CHECK_REPOSITORY, QuotaError } from "./check.js";
export type { QuotaCredential } from "./credential.js";
export { quotaCredential } from "./credential.js";
export { describeQuota, describeQuotaFailure, describeWindow } from "./describe.js";
export type { HeaderLists } from "./headers.js";
export { readQuotaHeaders } from "./headers.js";
export type { QuotaReading } from "./reading.js";
export { QuotaTracker } from "./tracker.js";
