// Calls ended before any stream exists: a missing or wrong bearer token (UNAUTHENTICATED), a token
// that may not report (PERMISSION_DENIED), a check the API server could not answer (UNAVAILABLE),
// and the ones grpc-js ends by itself (a message above the size limit, a frame it cannot decode),
// which are counted and logged here since they never reach the handler. A client that retries in a
// loop would write a line per attempt: the lines are folded per reason (core/log repeat.ts).

import type { ServerInterceptingCallInterface } from "@grpc/grpc-js";
import * as grpc from "@grpc/grpc-js";
import type { LogRepeats } from "../../core/log/index.js";
import type { AggregatorMetrics, RejectReason } from "../metrics.js";
import type { AgentAuthenticator, AgentCheck } from "./agent-auth.js";
import type { AgentIdentity } from "./node-identity.js";
import type { AgentCall } from "./stream.js";

const Status = grpc.status;

const REFUSALS: Record<Extract<AgentCheck, { ok: false }>["refusal"], { code: grpc.status; reason: RejectReason | undefined }> = {
  unauthenticated: { code: Status.UNAUTHENTICATED, reason: "unauthenticated" },
  forbidden: { code: Status.PERMISSION_DENIED, reason: "forbidden" },
  // The API server did not answer: nothing is wrong with the agent, which retries with back-off.
  unavailable: { code: Status.UNAVAILABLE, reason: undefined },
};

/**
 * Who the call's bearer token belongs to; undefined when the call was refused (and ended) or
 * closed while it was checked. Its messages wait, unread, until then.
 */
export async function admitCall(call: AgentCall, auth: AgentAuthenticator, metrics: AggregatorMetrics, log: LogRepeats): Promise<AgentIdentity | undefined> {
  let gone = false;
  const closed = () => {
    gone = true;
  };
  call.once("close", closed);
  call.once("cancelled", closed);
  const values = call.metadata.get("authorization");
  const first = values.find((v): v is string => typeof v === "string");
  const verdict = await auth.check(first);
  call.off("close", closed);
  call.off("cancelled", closed);
  if (gone || call.cancelled) return undefined;
  if (verdict.ok) return verdict.identity;
  const { code, reason } = REFUSALS[verdict.refusal];
  if (reason) metrics.rejected(reason);
  log.warn(`refused:${verdict.refusal}`, `agent stream from ${call.getPeer()} refused: ${Status[code]}: ${verdict.problem}`);
  call.on("error", () => undefined);
  call.emit("error", { code, details: verdict.problem });
  return undefined;
}

/** The reason a status grpc-js sent by itself is counted under; undefined for any other status. */
function refusalReason(status: { code: grpc.status; details?: string }): RejectReason | undefined {
  const details = status.details ?? "";
  if (status.code === Status.RESOURCE_EXHAUSTED && /larger than/i.test(details)) return "oversized";
  if (status.code === Status.INTERNAL && /deseriali|pars|decod/i.test(details)) return "malformed";
  return undefined;
}

/**
 * Counts and logs the calls grpc-js ends itself. Their status does not pass through interceptors'
 * responders either: it is sent by the innermost call object, so this wraps that object's sendStatus.
 */
export function observeRefusals(metrics: AggregatorMetrics, log: LogRepeats): grpc.ServerInterceptor {
  return (_method, call: ServerInterceptingCallInterface) => {
    const send = call.sendStatus.bind(call);
    let counted = false;
    call.sendStatus = (status) => {
      if (!counted) {
        counted = true;
        const reason = refusalReason(status);
        if (reason) {
          metrics.rejected(reason);
          log.warn(`refused:${reason}`, `agent stream from ${call.getPeer()} refused: ${Status[status.code]}: ${status.details ?? ""}`);
        }
      }
      send(status);
    };
    // The call itself, not a ServerInterceptingCall around it: a wrapper would hold a listener and
    // its closures for every connected node for the life of its stream, and add nothing here.
    return call as grpc.ServerInterceptingCall;
  };
}
