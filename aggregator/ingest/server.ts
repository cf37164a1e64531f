// The gRPC server agents connect to: listen (TLS when configured), message size limits, keepalive,
// the token check before a stream is read, and shutdown.

import * as grpc from "@grpc/grpc-js";
import type { Logger, LogRepeats } from "../../core/log/index.js";
import { parseListen } from "../../core/net/index.js";
import { type Command, FEATURE_REPORT_DELTA, loadAggregatorProtocol } from "../../core/protocol/index.js";
import type { ClusterState } from "../cluster-state.js";
import type { AggregatorMetrics } from "../metrics.js";
import type { Store } from "../store/index.js";
import type { AgentAuthenticator } from "./agent-auth.js";
import { WriteBatcher, type WriteOutcome } from "./batcher.js";
import { FindingRate } from "./finding-rate.js";
import { type AgentIdentity, anyNode } from "./node-identity.js";
import { NodeStreams } from "./node-streams.js";
import { admitCall, observeRefusals } from "./refusals.js";
import { type AgentCall, AgentStream } from "./stream.js";

const Status = grpc.status;
const UNCHECKED = anyNode("an agent (no token check)");

export interface IngestOptions {
  /** host:port; port 0 picks a free one. */
  listen: string;
  store: Store;
  state: ClusterState;
  metrics: AggregatorMetrics;
  log: Logger;
  /** Where lines that repeat (refusals, ends of streams, connections) are folded. */
  repeats: LogRepeats;
  /** Told whether each commit worked. */
  writes?: WriteOutcome;
  /** Findings per node: bursts of `burst`, then `perSecond`. */
  findingRate: { perSecond: number; burst: number };
  /** undefined: no token check (the embedded one-machine mode). */
  agents: AgentAuthenticator | undefined;
  maxMessageBytes: number;
  /** TLS credentials (aggregator/tls); undefined: plaintext. */
  tls?: grpc.ServerCredentials | undefined;
  now?: () => number;
  /** Messages of one stream received and not yet acked before the stream stops being read. Default 64. */
  maxInFlightPerStream?: number;
  /** A stream's hello is persisted and applied: the node's stream is open for commands. */
  onHello?: (node: string) => Promise<void> | undefined;
  /** What the Ack of a Hello offers agents. Default: every feature (delta reports); [] acts as an aggregator from before them. */
  features?: readonly string[];
}

export interface Ingest {
  /** host:port actually bound. */
  address: string;
  /** Writes a command to the node's open stream; false when the node has none. */
  sendCommand(node: string, cmd: Command): boolean;
  /** Commits what is queued now (tests, shutdown); resolves once its messages were acked or refused. */
  flush(): Promise<void>;
  /** Ends every stream (UNAVAILABLE), waits up to graceMs for them to close, then closes the port. */
  stop(graceMs?: number): Promise<void>;
}

export async function startIngest(opts: IngestOptions): Promise<Ingest> {
  const { store, state, metrics, log, agents, repeats } = opts;
  const protocol = await loadAggregatorProtocol();
  const batcher = new WriteBatcher(store, repeats.as("commit"), opts.writes);
  const streams = new NodeStreams<AgentStream>();
  const now = opts.now ?? Date.now;
  const findingRate = new FindingRate({ ...opts.findingRate, now });
  const deps = {
    state,
    metrics,
    log,
    repeats,
    findingRate,
    batcher,
    streams,
    now,
    maxInFlight: opts.maxInFlightPerStream ?? 64,
    onHello: opts.onHello,
    features: opts.features ?? [FEATURE_REPORT_DELTA],
  };
  let stopping = false;
  const connect = (call: AgentCall) => {
    if (stopping) {
      call.emit("error", { code: Status.UNAVAILABLE, details: "the aggregator is shutting down" });
      return;
    }
    if (!agents) {
      new AgentStream(call, deps, UNCHECKED);
      return;
    }
    void admitCall(call, agents, metrics, repeats).then((identity?: AgentIdentity) => {
      if (identity === undefined) return;
      if (stopping) call.emit("error", { code: Status.UNAVAILABLE, details: "the aggregator is shutting down" });
      else new AgentStream(call, deps, identity);
    });
  };
  const server = new grpc.Server({
    "grpc.max_receive_message_length": opts.maxMessageBytes,
    "grpc.max_send_message_length": opts.maxMessageBytes,
    // Dead peers (a node powered off without closing its connection) are noticed and their
    // streams closed, so the node is shown disconnected rather than connected forever.
    "grpc.keepalive_time_ms": 60_000,
    "grpc.keepalive_timeout_ms": 20_000,
    // Channelz (gRPC's introspection service, which we never serve) keeps trackers per connection
    // and per call: ~1 KiB of heap per connected node (test/bench/aggregator-fleet.bench.ts).
    "grpc.enable_channelz": 0,
    interceptors: [observeRefusals(metrics, repeats)],
  });
  server.addService(protocol.service, { Connect: connect });
  const address = await listen(server, opts.listen, opts.tls);

  return {
    address,
    sendCommand: (node, cmd) => streams.of(node)?.sendCommand(cmd) ?? false,
    flush: () => batcher.flush(),
    async stop(graceMs = 2000) {
      stopping = true;
      for (const s of streams.open()) s.fail(Status.UNAVAILABLE, "the aggregator is shutting down; reconnect later");
      await shutdown(server, graceMs);
      // Streams cut by the forced shutdown close on the next turns; their ends must reach the state.
      await new Promise((r) => setImmediate(r));
      await batcher.close();
    },
  };
}

/** Binds the port (TLS when given); the address actually bound, as host:port. */
async function listen(server: grpc.Server, listenOn: string, tls: IngestOptions["tls"]): Promise<string> {
  const credentials = tls ?? grpc.ServerCredentials.createInsecure();
  const { host, port } = parseListen(listenOn);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${shownHost}:${port}`, credentials, (err, p) => {
      if (err) {
        const inUse = /EADDRINUSE|address already in use/i.test(err.message);
        reject(new Error(`cannot listen for gRPC on ${listenOn}: ${inUse ? "the port is in use" : err.message}`));
      } else resolve(p);
    });
  });
  return `${shownHost}:${boundPort}`;
}

/** Waits up to graceMs for the calls to end, then cuts them. */
function shutdown(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
