// The aggregator's views: what /api/v1/* and the dashboard show, each a pure function of the node
// records (and the time) or a query of the database, split by view under views/; this module is
// the one to import. VIEWS is what the API serves: a new view is its file and one line there.

import { coverageApi } from "./coverage.js";
import { disksApi } from "./disks.js";
import { failuresApi } from "./failures.js";
import { findingsApi } from "./findings.js";
import { nodesApi } from "./nodes.js";
import { pullsApi } from "./pulls.js";
import { quotaApi } from "./quota.js";
import { registriesApi } from "./registries.js";
import type { View } from "./view.js";

/** In the order the API lists them. */
export const VIEWS: readonly View[] = [nodesApi, failuresApi, pullsApi, registriesApi, quotaApi, disksApi, coverageApi, findingsApi];

export { MAX_LISTED } from "./common.js";
export { canonicalImage, coverageView } from "./coverage.js";
export { disksView } from "./disks.js";
export { failuresView } from "./failures.js";
export { nodesView } from "./nodes.js";
export { pageFields, pageOf, pageQuery } from "./page.js";
export { pullsView } from "./pulls.js";
export { quotaView } from "./quota.js";
export { registriesView } from "./registries.js";
export type { View } from "./view.js";
