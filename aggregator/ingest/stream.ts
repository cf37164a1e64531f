// One agent's stream: its first message must be a valid hello; every message is persisted before it
// is acked; reading stops while too many messages wait for their commit or while the agent is not
// reading its acks (HTTP/2 flow control then holds its further messages on its side); a node's
// newer stream ends this one; commands for the node are written here.

import { performance } from "node:perf_hooks";
import * as grpc from "@grpc/grpc-js";
import type { Logger, LogRepeats } from "../../core/log/index.js";
import type { AgentMessage, AggregatorMessage, Command, Hello } from "../../core/protocol/index.js";
import { type ClusterState, TooManyNodesError } from "../cluster-state.js";
import type { AggregatorMetrics, RejectReason } from "../metrics.js";
import type { WriteBatcher } from "./batcher.js";
import type { FindingRate } from "./finding-rate.js";
import { type Handling, invalid, type MessagePlan, planMessage } from "./messages.js";
import { type AgentIdentity, helloDenied } from "./node-identity.js";
import type { NodeStreams } from "./node-streams.js";
import { StreamReports } from "./report-deltas.js";
import { helloProblem, messageType } from "./validate.js";

const Status = grpc.status;

export type AgentCall = grpc.ServerDuplexStream<AgentMessage, AggregatorMessage>;

export interface StreamDeps {
  state: ClusterState;
  metrics: AggregatorMetrics;
  log: Logger;
  repeats: LogRepeats;
  findingRate: FindingRate;
  batcher: WriteBatcher;
  streams: NodeStreams<AgentStream>;
  now: () => number;
  /** Messages received and not yet acked before the stream stops being read. */
  maxInFlight: number;
  /** The node's hello is persisted and applied: its stream is open for commands. */
  onHello: ((node: string) => Promise<void> | undefined) | undefined;
  /** Listed in the Ack of each Hello: what agents may use (FEATURE_REPORT_DELTA). */
  features: readonly string[];
}

export class AgentStream {
  node: string | undefined;
  /** ClusterState.hello() ran for this stream: disconnected() is owed at its end. */
  private helloApplied = false;
  private ended = false;
  private closed = false;
  private halfClosed = false;
  private inFlight = 0;
  private paused = false;
  private waitingDrain = false;
  private readonly peer: string;
  /** The base of the agent's next delta. */
  private readonly reports = new StreamReports();

  constructor(
    private readonly call: AgentCall,
    private readonly deps: StreamDeps,
    private readonly identity: AgentIdentity,
  ) {
    this.peer = call.getPeer();
    deps.streams.opened(this);
    deps.metrics.streamOpened();
    call.on("data", (m: AgentMessage) => this.onMessage(m));
    call.on("end", () => {
      this.halfClosed = true;
      this.maybeFinish();
    });
    call.on("drain", () => {
      this.waitingDrain = false;
      this.flow();
    });
    call.on("close", () => this.onClose());
    // Errors we emit ourselves end the call (grpc-js listens too); anything else is logged.
    call.on("error", () => undefined);
  }

  /** Writes a command to the agent; false when the stream is ending or its agent stopped sending. */
  sendCommand(cmd: Command): boolean {
    if (this.ended || this.closed || this.halfClosed) return false;
    const ok = this.write({ command: cmd });
    if (ok) this.deps.metrics.commandSent();
    return ok;
  }

  /** Ends the call with a status; messages after this are ignored. */
  fail(code: grpc.status, details: string, reason?: RejectReason): void {
    if (this.ended) return;
    this.ended = true;
    if (reason) this.deps.metrics.rejected(reason);
    const level = code === Status.UNAVAILABLE || code === Status.ABORTED ? "info" : "warn";
    this.deps.repeats[level](
      `ended:${Status[code]}:${reason ?? ""}`,
      `agent stream ${this.node ? `of node ${this.node} ` : ""}from ${this.peer} ended: ${Status[code]}: ${details}`,
    );
    // The 'error' event is grpc-js's way to end a server stream with a status.
    this.call.emit("error", { code, details, metadata: new grpc.Metadata() });
    if (this.paused) this.call.resume();
  }

  private write(msg: AggregatorMessage): boolean {
    if (this.ended || this.closed) return false;
    if (!this.call.write(msg)) {
      this.waitingDrain = true;
      this.flow();
    }
    return true;
  }

  /** Reads while there is room: few messages in flight and the agent reading its acks. */
  private flow(): void {
    if (this.ended || this.closed) return;
    const hold = this.inFlight >= this.deps.maxInFlight || this.waitingDrain;
    if (hold && !this.paused) {
      this.paused = true;
      this.call.pause();
    } else if (!hold && this.paused) {
      this.paused = false;
      this.call.resume();
    }
  }

  private maybeFinish(): void {
    if (this.halfClosed && this.inFlight === 0 && !this.ended) {
      this.ended = true;
      this.call.end();
    }
  }

  private onMessage(m: AgentMessage): void {
    if (this.ended || this.closed) return;
    const arrived = performance.now();
    const at = this.deps.now();
    const type = messageType(m);
    const plan = this.node === undefined ? this.firstMessage(m, type, at) : planMessage(m, type, this.node, at, this.deps, this.reports);
    if ("refuse" in plan) return this.fail(plan.refuse.code, plan.refuse.details, plan.refuse.reason);
    this.persist(type, m.seq, arrived, plan);
  }

  /** The hello that opens the stream: the node's older stream, if any, is ended. */
  private firstMessage(m: AgentMessage, type: string, at: number): MessagePlan {
    const { state, streams } = this.deps;
    if (type !== "hello") return invalid(`hello: the first message of a stream must be hello, not ${type}`);
    const problem = helloProblem(m.hello);
    if (problem) return invalid(problem);
    const h = m.hello!;
    const denied = helloDenied(this.identity, h.node);
    if (denied) return { refuse: { code: Status.PERMISSION_DENIED, details: denied, reason: "forbidden" } };
    if (state.node(h.node) === undefined && state.size >= state.maxNodes) {
      return { refuse: { code: Status.RESOURCE_EXHAUSTED, details: new TooManyNodesError(h.node, state.maxNodes).message, reason: "overloaded" } };
    }
    this.node = h.node;
    const before = streams.claim(h.node, this);
    before?.fail(Status.ABORTED, `replaced by a newer stream from node ${h.node} (${this.peer}); a node keeps one stream`);
    const answer = { ack: { seq: m.seq, features: [...this.deps.features] } };
    return { write: { kind: "hello", hello: h, atMs: at }, apply: () => this.helloTaken(h, at), answer };
  }

  private helloTaken(h: Hello, at: number): void {
    const { state, log, repeats, streams, onHello } = this.deps;
    state.hello(h, at);
    this.helloApplied = true;
    repeats.info("connected", `node ${h.node} connected from ${this.peer} (agent ${h.agentVersion || "?"}, reports every ${h.reportIntervalSeconds} s)`);
    if (onHello && streams.isCurrent(h.node, this) && !this.ended) {
      const warn = (e: unknown) => log.warn(`node ${h.node}: after its hello: ${e instanceof Error ? e.message : String(e)}`);
      try {
        onHello(h.node)?.catch(warn);
      } catch (e) {
        warn(e);
      }
    }
  }

  /** Queues the write; once committed, applies it to the live view and acks. */
  private persist(type: string, seq: number, arrived: number, { write, apply, undo, answer }: Handling): void {
    this.inFlight++;
    this.flow();
    this.deps.batcher.push({
      ...(write ? { write } : {}),
      done: (err, result) => {
        this.inFlight--;
        if (err) {
          undo?.();
          // Not acked: the agent resends after reconnecting.
          this.fail(Status.UNAVAILABLE, `could not persist message ${seq} (${type}): ${err.message}`);
          return;
        }
        try {
          apply(result);
        } catch (e) {
          // Persisted but not taken into the live view (a node beyond maxNodes that raced in):
          // not acked, so the agent sends it again once it can be taken.
          const tooMany = e instanceof TooManyNodesError;
          this.fail(tooMany ? Status.RESOURCE_EXHAUSTED : Status.INTERNAL, e instanceof Error ? e.message : String(e), tooMany ? "overloaded" : undefined);
          return;
        }
        if (answer?.fullReportRequest) this.write(answer);
        else if (this.write(answer ?? { ack: { seq, features: [] } })) this.deps.metrics.messageAcked(type, (performance.now() - arrived) / 1000);
        this.flow();
        this.maybeFinish();
      },
    });
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.ended = true;
    const { state, repeats, streams, batcher, metrics, now } = this.deps;
    const node = this.node;
    streams.closed(this, node);
    metrics.streamClosed();
    // Queued behind this stream's own writes, so its hello is applied before its end.
    batcher.push({
      done: () => {
        if (node !== undefined && this.helloApplied) {
          state.disconnected(node, now());
          if (!state.node(node)?.connected) repeats.info("disconnected", `node ${node} disconnected`);
        }
      },
    });
  }
}
