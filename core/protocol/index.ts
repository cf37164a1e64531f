// The pullmedic.v1 contract between agents and the aggregator: message types and the gRPC codec.

export { CAUSES } from "./causes.js";
export { loadGrpcPackage } from "./grpc-package.js";
export {
  MAX_REPORT_BYTES,
  type Measured,
  measureCommandUpdate,
  measureFinding,
  measureHello,
  measureReport,
} from "./limits.js";
export type {
  AgentMessage,
  AggregatorMessage,
  Command,
  CommandUpdate,
  DiskReport,
  Finding,
  FindingKind,
  Hello,
  HygieneRiskReport,
  NodeConditionReport,
  NodeReport,
  PrepullReport,
  PullFailure,
  PullInFlight,
  QuotaReport,
  Recovery,
  RegistryReport,
  ReportDelta,
  SecretCheckReport,
} from "./protocol.js";
export { emptyNodeReport, FINDING_KINDS, isFinalCommandState, loadAggregatorProtocol, PROTOCOL } from "./protocol.js";
export { applyDelta, diffReport, FEATURE_REPORT_DELTA, REPORT_SECTIONS } from "./report-delta.js";
