// PostgreSQL's schema, versioned: each migration brings the schema from the version before it to
// its own, and schema_version records the versions applied. Replicas starting together migrate
// one at a time (an advisory lock), and a database migrated by a newer aggregator is refused
// rather than written in a shape this one does not know.

/** Ours among the advisory locks other applications may take on a shared server ("pmdc" + 1). */
export const MIGRATION_LOCK = 0x706d6463_01;

export const POSTGRES_MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE nodes (
  node TEXT PRIMARY KEY,
  agent_version TEXT NOT NULL DEFAULT '',
  boot_id TEXT NOT NULL DEFAULT '',
  report_interval_s BIGINT NOT NULL DEFAULT 0,
  first_seen_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  last_report_ms BIGINT NOT NULL DEFAULT 0,
  report TEXT
);
CREATE TABLE findings (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  node TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  kind TEXT NOT NULL,
  image TEXT NOT NULL,
  cause TEXT NOT NULL,
  registry TEXT NOT NULL,
  pod TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX findings_at ON findings (at_ms);
CREATE INDEX findings_kind_at ON findings (kind, at_ms);
CREATE INDEX findings_node_at ON findings (node, at_ms);
CREATE TABLE commands (
  seq BIGINT GENERATED ALWAYS AS IDENTITY,
  id TEXT PRIMARY KEY,
  created_ms BIGINT NOT NULL,
  images TEXT NOT NULL,
  plan TEXT NOT NULL
);
CREATE INDEX commands_created ON commands (created_ms);
CREATE TABLE command_updates (
  command_id TEXT NOT NULL,
  node TEXT NOT NULL,
  image TEXT NOT NULL,
  state TEXT NOT NULL,
  cause TEXT NOT NULL,
  summary TEXT NOT NULL,
  duration_ms BIGINT NOT NULL,
  at_ms BIGINT NOT NULL,
  PRIMARY KEY (command_id, node, image)
);
CREATE INDEX command_updates_at ON command_updates (at_ms);
`,
  },
  {
    // Replicas (aggregator/replicas): each one's heartbeat, the nodes whose streams it holds, and
    // when housekeeping last ran across all of them.
    version: 2,
    sql: `
CREATE TABLE replicas (
  replica TEXT PRIMARY KEY,
  heartbeat_ms BIGINT NOT NULL
);
CREATE TABLE node_streams (
  node TEXT NOT NULL,
  replica TEXT NOT NULL REFERENCES replicas (replica) ON DELETE CASCADE,
  PRIMARY KEY (node, replica)
);
CREATE TABLE housekeeping_runs (
  name TEXT PRIMARY KEY,
  last_ms BIGINT NOT NULL
);
`,
  },
];

/** The schema this code writes. */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version;

export const SCHEMA_VERSION_TABLE = `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)`;
