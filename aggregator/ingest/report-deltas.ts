// Delta reports on one stream: the report the stream's latest report or delta made, under the seq
// of that message, is the base the agent's next delta names. A delta on another base (a new
// stream, an aggregator that restarted, a message lost) is not applied: the agent is asked for a
// full report instead, which every agent that sends deltas understands.

import { type AgentMessage, applyDelta, type NodeReport } from "../../core/protocol/index.js";

/** The report a stream's messages have made so far, by the seq of the message that made it. */
export class StreamReports {
  private held: { seq: number; report: NodeReport } | undefined;

  /** Message `seq` made `report` (a full report, or a delta applied): the base of the next delta. */
  made(seq: number, report: NodeReport): void {
    this.held = { seq, report };
  }

  /** What a delta makes: the full report, a problem with the delta, or `outOfStep` when it names another base. */
  apply(m: AgentMessage): { report: NodeReport } | { problem: string } | { outOfStep: string } {
    const d = m.delta;
    if (!d) return { problem: "delta: missing" };
    if (!d.report) return { problem: "delta.report: missing (observed_at_ms and the changed sections)" };
    const held = this.held;
    if (held === undefined) return { outOfStep: `delta ${m.seq} names base ${d.baseSeq}, and no report is held on this stream` };
    if (held.seq !== d.baseSeq) return { outOfStep: `delta ${m.seq} names base ${d.baseSeq}, the report held is ${held.seq}` };
    return applyDelta(held.report, d);
  }
}
