// The aggregator's storage: what it keeps (types.ts), the one interface to it (store.ts), how rows
// are encoded (codec.ts, its decoders built from field tables by coerce.ts) and read back
// (rows.ts), the findings budget (findings-tally.ts), and the two engines behind it: SQLite in a
// file (sqlite.ts, and sqlite-engine.ts for the interface) and PostgreSQL (postgres.ts), chosen
// by open.ts.

export { decodeReport, encodeReport, findingKind, normalizeFinding, normalizeReport } from "./codec.js";
export { StoreHealth, WRITE_FAILURE_REASONS, type WriteFailureReason, writeFailureReason } from "./health.js";
export { type DatabaseSetting, databaseOf, openStore } from "./open.js";
export { isPostgresUrl, type PostgresOptions, PostgresStore, shownUrl } from "./postgres.js";
export { checkout } from "./postgres-checkout.js";
export { POSTGRES_SCHEMA_VERSION } from "./postgres-schema.js";
export type { NodeRow } from "./rows.js";
export { APPLICATION_ID, SCHEMA_VERSION, SqliteStore } from "./sqlite.js";
export { SqliteEngine } from "./sqlite-engine.js";
export type { FindingsPage, Store, StoreWrite, WriteResult } from "./store.js";
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
