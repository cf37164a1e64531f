// The aggregator's views: what /api/v1/* and the dashboard show, each a pure function of the node
// records (and the time) or a query of the database, split by view under views/; this module is
// the one to import. VIEWS is what the API serves: a new view is its file and one line there.

import { coverageApi } from "./coverage.js";
import { disksApi } from "./disks.js";
import { failuresApi } from "./failures.js";
import { findingsApi } from "./findings.js";
import { nodesApi } from "./nodes.js";
import { quotaApi } from "./quota.js";
import { registriesApi } from "./registries.js";
import type { View } from "./view.js";

/** In the order the API lists them. */
export const VIEWS: readonly View[] = [nodesApi, failuresApi, registriesApi, quotaApi, disksApi, coverageApi, findingsApi];

export type { View, ViewContext } from "./view.js";
export { MAX_LISTED, type ViewOptions } from "./common.js";
export { nodesView, type NodeView } from "./nodes.js";
export { PENDING_CAUSE, failuresView, type FailureGroup, type FailurePod } from "./failures.js";
export { registriesView, type RegistriesView, type RegistryCell, type RegistrySummary } from "./registries.js";
export { UNKNOWN_SOURCE, quotaView, type QuotaSourceView, type QuotaView } from "./quota.js";
export { IMAGE_FS_PRESSURE_CONDITION, disksView, type DiskNodeView } from "./disks.js";
export { canonicalImage, coverageView, type CoverageCell, type CoverageState, type CoverageView } from "./coverage.js";
