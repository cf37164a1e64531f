// What the agent serves: health, readiness, metrics, its state and its node report; who may read
// them is http-access.ts's to say.

import { redactStrings, scrubSecrets } from "../../core/log/index.js";
import type { Route } from "../../core/net/index.js";
import type { QuotaTracker } from "../quota/index.js";
import type { Metrics, NodeState } from "../report/index.js";
import { guardRoutes, type HttpAccess } from "./http-access.js";
import type { ReportSide } from "./report-side.js";

export interface Readiness {
  ready: boolean;
  reasons: string[];
}

/** Ready: the runtime reachable, the first disk check done and the first images check succeeded. */
export function readiness(state: NodeState): Readiness {
  const reasons: string[] = [];
  const disk = state.get("disk");
  if (!disk) reasons.push("the first disk check has not finished");
  else if (!disk.ok) reasons.push(`runtime or disk check failing: ${disk.error ?? "unknown"}`);
  if (!state.get("images")?.ok) reasons.push("the first images check has not succeeded");
  return { ready: reasons.length === 0, reasons };
}

export function agentRoutes(src: {
  state: NodeState;
  quota: QuotaTracker;
  metrics: Metrics;
  reporting: ReportSide;
  access: HttpAccess;
}): Record<string, Route> {
  const { state, quota, metrics, reporting } = src;
  // What leaves the agent is scrubbed of every credential it loaded (core/log): values, not shapes.
  const json = (body: unknown) => ({ status: 200, contentType: "application/json", body: `${JSON.stringify(redactStrings(body))}\n` });
  return guardRoutes(
    {
      "/healthz": async () => ({ status: 200, contentType: "text/plain", body: "ok\n" }),
      "/readyz": async () => {
        const r = readiness(state);
        return { status: r.ready ? 200 : 503, contentType: "text/plain", body: r.ready ? "ready\n" : `not ready: ${r.reasons.join("; ")}\n` };
      },
      "/metrics": async () => ({ status: 200, contentType: metrics.contentType, body: scrubSecrets(await metrics.render()) }),
      "/v1/state": async () =>
        json({ ...state.toJSON(), ready: readiness(state).ready, quota: quota.bySource(), ...(reporting.status() ? { report: reporting.status() } : {}) }),
      "/v1/report": async () => json(reporting.report()),
    },
    src.access,
  );
}
