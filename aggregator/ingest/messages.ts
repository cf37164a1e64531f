// What each message of a stream that said hello does: the write that makes it durable, and what it
// changes in the live view once that write is committed. Decided here, carried out by the stream.

import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../../core/log/index.js";
import type { AgentMessage } from "../../core/protocol/index.js";
import type { ClusterState } from "../cluster-state.js";
import type { AggregatorMetrics, RejectReason } from "../metrics.js";
import type { StoreWrite, WriteResult } from "../store/index.js";
import type { FindingRate } from "./finding-rate.js";
import { commandUpdateProblem, findingProblem, helloProblem, measuredReport, shown } from "./validate.js";

/** How a stream is ended when a message cannot be taken. */
export interface Refusal {
  code: grpc.status;
  details: string;
  reason?: RejectReason;
}

/** Persist with `write` (absent: nothing to keep), then `apply` to the live view, then ack; `undo` when the write failed. */
export interface Handling {
  write: StoreWrite | undefined;
  apply: (result?: WriteResult) => void;
  undo?: () => void;
}

export type MessagePlan = { refuse: Refusal } | Handling;

export interface MessageDeps {
  state: ClusterState;
  metrics: AggregatorMetrics;
  log: Logger;
  findingRate: FindingRate;
}

export function invalid(details: string): { refuse: Refusal } {
  return { refuse: { code: grpc.status.INVALID_ARGUMENT, details, reason: "invalid" } };
}

function exhausted(details: string, reason: RejectReason): { refuse: Refusal } {
  return { refuse: { code: grpc.status.RESOURCE_EXHAUSTED, details, reason } };
}

/** The plan for a message of `type` on the stream of `node`, received at `at` (ms epoch). */
export function planMessage(m: AgentMessage, type: string, node: string, at: number, deps: MessageDeps): MessagePlan {
  const { state, metrics, log, findingRate } = deps;
  switch (type) {
    case "hello": {
      const problem = helloProblem(m.hello);
      if (problem) return invalid(problem);
      const h = m.hello!;
      if (h.node !== node) return invalid(`hello.node: this stream belongs to node ${node}, not ${shown(h.node)}; open a stream per node`);
      return { write: { kind: "hello", hello: h, atMs: at }, apply: () => state.seen(node, at) };
    }
    case "report": {
      const { problem, bytes } = measuredReport(m.report);
      if (problem) return invalid(problem);
      const r = m.report!;
      // Taken now, so reports in flight together cannot overrun it; given back if the write fails.
      const before = state.memory.heldBy(node);
      if (!state.memory.take(node, bytes)) return exhausted(state.memory.describe(bytes), "report-memory");
      return { write: { kind: "report", node, report: r, atMs: at }, apply: () => state.report(node, r, at), undo: () => state.memory.set(node, before) };
    }
    case "finding": {
      const problem = findingProblem(m.finding);
      if (problem) return invalid(problem);
      if (!findingRate.take(node)) return exhausted(findingRate.describe(node), "finding-rate");
      const f = m.finding!;
      const apply = (result?: WriteResult) => {
        metrics.findingsStored(result?.added ?? 0);
        state.seen(node, at);
      };
      return { write: { kind: "findings", node, findings: [f], atMs: at }, apply };
    }
    case "commandUpdate": {
      const problem = commandUpdateProblem(m.commandUpdate);
      if (problem) return invalid(problem);
      const u = m.commandUpdate!;
      return { write: { kind: "commandUpdate", node, update: u, atMs: at }, apply: () => state.seen(node, at) };
    }
    default:
      // A message kind from a newer agent: nothing to keep, but acked so it is not resent forever.
      log.debug(`node ${node}: message ${m.seq} of a kind this aggregator does not know; acked and ignored`);
      return { write: undefined, apply: () => state.seen(node, at) };
  }
}
