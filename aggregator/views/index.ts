// The aggregator's views: pure functions of the node records (and the time), what /api/v1/* and
// the dashboard show. Split by view under views/; this module is the one to import.

export { MAX_LISTED, type ViewOptions } from "./common.js";
export { nodesView, type NodeView } from "./nodes.js";
export { PENDING_CAUSE, failuresView, type FailureGroup, type FailurePod } from "./failures.js";
export { registriesView, type RegistriesView, type RegistryCell, type RegistrySummary } from "./registries.js";
export { UNKNOWN_SOURCE, quotaView, type QuotaSourceView, type QuotaView } from "./quota.js";
export { IMAGE_FS_PRESSURE_CONDITION, disksView, type DiskNodeView } from "./disks.js";
export { canonicalImage, coverageView, type CoverageCell, type CoverageState, type CoverageView } from "./coverage.js";
