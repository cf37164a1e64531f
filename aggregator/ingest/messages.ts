// What each message of a stream that said hello does: the write that makes it durable, and what it
// changes in the live view once that write is committed. Decided here, carried out by the stream.

import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../../core/log/index.js";
import type { AgentMessage, AggregatorMessage, NodeReport } from "../../core/protocol/index.js";
import type { ClusterState } from "../cluster-state.js";
import type { AggregatorMetrics, RejectReason } from "../metrics.js";
import type { StoreWrite, WriteResult } from "../store/index.js";
import type { FindingRate } from "./finding-rate.js";
import type { StreamReports } from "./report-deltas.js";
import { commandUpdateProblem, findingProblem, helloProblem, measuredReport, shown } from "./validate.js";

/** How a stream is ended when a message cannot be taken. */
export interface Refusal {
  code: grpc.status;
  details: string;
  reason?: RejectReason;
}

/**
 * Persist with `write` (absent: nothing to keep), then `apply` to the live view, then ack (or send
 * `answer` instead, when set); `undo` when the write failed.
 */
export interface Handling {
  write: StoreWrite | undefined;
  apply: (result?: WriteResult) => void;
  undo?: () => void;
  answer?: AggregatorMessage;
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

/**
 * The plan for a message of `type` on the stream of `node`, received at `at` (ms epoch); `reports`
 * holds the stream's latest report, the base of its next delta.
 */
export function planMessage(m: AgentMessage, type: string, node: string, at: number, deps: MessageDeps, reports: StreamReports): MessagePlan {
  const { state, metrics, log, findingRate } = deps;
  switch (type) {
    case "hello": {
      const problem = helloProblem(m.hello);
      if (problem) return invalid(problem);
      const h = m.hello!;
      if (h.node !== node) return invalid(`hello.node: this stream belongs to node ${node}, not ${shown(h.node)}; open a stream per node`);
      return { write: { kind: "hello", hello: h, atMs: at }, apply: () => state.seen(node, at) };
    }
    case "report":
      return planReport(m.seq, m.report, node, at, deps, reports);
    case "delta": {
      const made = reports.apply(m);
      if ("problem" in made) return invalid(made.problem);
      if ("outOfStep" in made) {
        log.debug(`node ${node}: ${made.outOfStep}; asking for a full report`);
        return { write: undefined, apply: () => state.seen(node, at), answer: { fullReportRequest: { seq: m.seq } } };
      }
      // Kept as a full report: the store and the views see no difference.
      return planReport(m.seq, made.report, node, at, deps, reports);
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

/** A full report (sent whole, or made by a delta): checked, its memory taken, kept, then applied. */
function planReport(seq: number, r: NodeReport | undefined, node: string, at: number, deps: MessageDeps, reports: StreamReports): MessagePlan {
  const { state } = deps;
  const { problem, bytes } = measuredReport(r);
  if (problem || r === undefined) return invalid(problem ?? "report: missing");
  // Taken now, so reports in flight together cannot overrun it; given back if the write fails.
  const before = state.memory.heldBy(node);
  if (!state.memory.take(node, bytes)) return exhausted(state.memory.describe(bytes), "report-memory");
  // The next delta builds on this one: messages of a stream are planned in their order.
  reports.made(seq, r);
  return { write: { kind: "report", node, report: r, atMs: at }, apply: () => state.report(node, r, at), undo: () => state.memory.set(node, before) };
}
