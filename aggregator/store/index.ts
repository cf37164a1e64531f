// The aggregator's storage: what it keeps (types.ts), how rows are encoded (codec.ts), and the
// engines that keep it.

export { decodeReport, encodeReport, findingKind, normalizeFinding, normalizeReport } from "./codec.js";
export { StoreHealth, WRITE_FAILURE_REASONS, type WriteFailureReason, writeFailureReason } from "./health.js";
export { APPLICATION_ID, SCHEMA_VERSION, SqliteStore } from "./sqlite.js";
export {
  DEFAULT_MAX_FINDINGS,
  DEFAULT_MAX_FINDINGS_BYTES,
  type FindingsBudget,
  type FindingsCursor,
  type FindingsQuery,
  MAX_FINDINGS_QUERY,
  type StoredCommand,
  type StoredCommandUpdate,
  type StoredFinding,
  type StoreOptions,
  type StoreStats,
} from "./types.js";
