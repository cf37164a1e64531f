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

export { MAX_LISTED, type ViewOptions } from "./common.js";
export { type CoverageCell, type CoverageState, type CoverageView, canonicalImage, coverageView } from "./coverage.js";
export { type DiskNodeView, disksView, IMAGE_FS_PRESSURE_CONDITION } from "./disks.js";
export { type FailureGroup, type FailurePod, failuresView, PENDING_CAUSE } from "./failures.js";
export { type NodeView, nodesView } from "./nodes.js";
export { type Page, pageFields, pageOf, pageQuery } from "./page.js";
export { type QuotaSourceView, type QuotaView, quotaView, UNKNOWN_SOURCE } from "./quota.js";
export { type RegistriesView, type RegistryCell, type RegistrySummary, registriesView } from "./registries.js";
export type { View, ViewContext } from "./view.js";
