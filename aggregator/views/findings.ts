// /api/v1/findings: the findings history from the database, newest first, filtered by kind, node
// and age, a page at a time.

import { FINDING_KINDS } from "../../core/protocol/index.js";
import { oneOf, pastTime, type QueryOption, text, wholeNumber } from "../query.js";
import type { FindingsCursor } from "../store/index.js";
import { decodeToken, encodeToken } from "./page.js";
import { defineView } from "./view.js";

const DEFAULT_FINDINGS_LIMIT = 100;
const MAX_FINDINGS_LIMIT = 1000;

export const findingsApi = defineView({
  name: "findings",
  path: "/api/v1/findings",
  reads: { queries: true },
  query: {
    kind: oneOf(FINDING_KINDS),
    node: text(253),
    limit: wholeNumber(1, MAX_FINDINGS_LIMIT, DEFAULT_FINDINGS_LIMIT),
    since: pastTime(),
    continue: cursorToken(),
  },
  compute: async ({ store }, { kind, node, limit, since, continue: after }) => {
    const filter = { ...(kind ? { kind } : {}), ...(node ? { node } : {}), ...(since !== undefined ? { sinceMs: since } : {}), limit };
    const page = await store.findingsPage({ ...filter, ...(after ? { after } : {}) });
    return { findings: page.findings, total: page.total, ...(page.next ? { continue: encodeToken({ a: page.next.atMs, s: page.next.seq }) } : {}) };
  },
});

/** `continue` of the findings: where the previous page ended (new findings arriving meanwhile do not shift it). */
function cursorToken(): QueryOption<FindingsCursor | undefined> {
  return {
    parse(raw, name) {
      if (raw === undefined) return undefined;
      const t = decodeToken(raw, name, ["a", "s"]);
      return { atMs: t["a"] ?? 0, seq: t["s"] ?? 0 };
    },
  };
}
