// The cause labels a failure can carry (docs/contracts.md, "Cause labels"): the agent's fixed set,
// which only grows, plus "pending" for a diagnosis still running. A metric label takes these and
// nothing else: any other value an agent sends is counted as "other", so a peer cannot grow the
// metric's series without bound. The list is core/protocol's, the agent's too.

import { CAUSES } from "../core/protocol/index.js";

export const KNOWN_CAUSES: ReadonlySet<string> = new Set([...CAUSES.filter((c) => c !== "ok"), "pending"]);

/** The label a cause is counted under: itself when known, else "other". */
export function causeLabel(cause: string): string {
  return KNOWN_CAUSES.has(cause) ? cause : "other";
}
