// The aggregator's gRPC face: Aggregator.Connect, one bidirectional stream per agent.
//
// Per stream: the bearer token is checked before any message is read; the first message must be
// a valid Hello; every message after it is validated, written to the Store, and only then acked
// (Ack{seq}) and applied to ClusterState. Writes from all streams are batched into one SQLite
// transaction per event-loop turn, so a commit is shared by every message that arrived together.
// The Ack of the Hello lists the features agents may use ("report-delta"); a delta report is
// written and applied as the full report it makes, and one on another base is answered with a
// FullReportRequest instead of an ack.
//
// Bounds: grpc-js refuses a message above maxMessageBytes (RESOURCE_EXHAUSTED) and a frame it
// cannot decode (INTERNAL) on that call only. A stream stops being read while it has
// maxInFlightPerStream messages not yet acked, or while its acks are not being read by the
// agent (the write side reports backpressure): HTTP/2 flow control then holds the agent's
// further messages on its side, so an agent that never reads its acks costs a bounded amount of
// memory here instead of growing it.
//
// The room: the gRPC server (server.ts, refusals.ts), each agent's stream (stream.ts,
// messages.ts, validate.ts, node-streams.ts, and report-deltas.ts: the base its deltas apply
// to), the shared write batching (batcher.ts) and the bearer tokens (tokens.ts) and who an agent
// is and which node it may speak for (agent-auth.ts, node-identity.ts).

export type { AgentAuthenticator } from "./agent-auth.js";
export { ServiceAccountAgents, sharedTokenAgents } from "./agent-auth.js";
export { type Ingest, startIngest } from "./server.js";
export { BearerTokens } from "./tokens.js";
