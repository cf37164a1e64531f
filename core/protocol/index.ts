// The pullmedic.v1 contract between agents and the aggregator: message types and the gRPC codec.

export {
  LIST_LIMITS,
  MAX_FINDING_BYTES,
  MAX_REPORT_BYTES,
  MAX_REPORT_INTERVAL_SECONDS,
  type Measured,
  measureCommandUpdate,
  measureFinding,
  measureHello,
  measureReport,
  TEXT_LIMITS,
} from "./limits.js";
export * from "./protocol.js";
