// /api/v1/findings: the findings history from the database, newest first, filtered by kind, node
// and age.

import { FINDING_KINDS } from "../../core/protocol/index.js";
import { oneOf, pastTime, text, wholeNumber } from "../query.js";
import { defineView } from "./view.js";

const DEFAULT_FINDINGS_LIMIT = 100;
const MAX_FINDINGS_LIMIT = 1000;

export const findingsApi = defineView({
  name: "findings",
  path: "/api/v1/findings",
  query: { kind: oneOf(FINDING_KINDS), node: text(253), limit: wholeNumber(1, MAX_FINDINGS_LIMIT, DEFAULT_FINDINGS_LIMIT), since: pastTime() },
  compute: ({ store }, { kind, node, limit, since }) => ({
    findings: store.findings({ ...(kind ? { kind } : {}), ...(node ? { node } : {}), ...(since !== undefined ? { sinceMs: since } : {}), limit }),
  }),
});
