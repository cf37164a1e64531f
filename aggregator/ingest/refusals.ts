// Calls ended before any stream exists: a missing or wrong bearer token (UNAUTHENTICATED), and the
// ones grpc-js ends by itself (a message above the size limit, a frame it cannot decode), which are
// counted and logged here since they never reach the handler. A client that retries in a loop would
// write a line per attempt: the lines are folded per reason (core/log repeat.ts).

import type { ServerInterceptingCallInterface } from "@grpc/grpc-js";
import * as grpc from "@grpc/grpc-js";
import type { LogRepeats } from "../../core/log/index.js";
import type { AggregatorMetrics, RejectReason } from "../metrics.js";
import type { AgentCall } from "./stream.js";
import type { BearerTokens } from "./tokens.js";

const Status = grpc.status;

/** Whether the call carries an accepted bearer token; a refused call is ended UNAUTHENTICATED. */
export function authorizeCall(call: AgentCall, tokens: BearerTokens, metrics: AggregatorMetrics, log: LogRepeats): boolean {
  const values = call.metadata.get("authorization");
  const first = values.find((v): v is string => typeof v === "string");
  const verdict = tokens.check(first);
  if (verdict.ok) return true;
  metrics.rejected("unauthenticated");
  log.warn("refused:unauthenticated", `agent stream from ${call.getPeer()} refused: ${verdict.problem}`);
  call.on("error", () => undefined);
  call.emit("error", { code: Status.UNAUTHENTICATED, details: verdict.problem });
  return false;
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
    return new grpc.ServerInterceptingCall(call);
  };
}
