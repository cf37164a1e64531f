// Brings a PostgreSQL database to the schema this code writes, under an advisory lock so replicas
// starting together migrate once; refuses a database a newer aggregator migrated.

import type { Pool } from "pg";
import { checkout } from "./postgres-checkout.js";
import { MIGRATION_LOCK, POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION, SCHEMA_VERSION_TABLE } from "./postgres-schema.js";
import { newerSchemaProblem } from "./types.js";

export async function migrate(pool: Pool, where: string): Promise<void> {
  const { client, release } = await checkout(pool);
  let broken: Error | undefined;
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      await client.query(SCHEMA_VERSION_TABLE);
      const { rows } = await client.query<{ v: number | null }>("SELECT max(version) AS v FROM schema_version");
      const found = Number(rows[0]?.v ?? 0);
      const newer = newerSchemaProblem(where, found, POSTGRES_SCHEMA_VERSION);
      if (newer !== undefined) throw new Error(newer);
      for (const m of POSTGRES_MIGRATIONS.filter((m) => m.version > found)) {
        await client.query("BEGIN");
        try {
          await client.query(m.sql);
          await client.query("INSERT INTO schema_version (version, applied_ms) VALUES ($1, $2)", [m.version, Date.now()]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK");
          throw err;
        }
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } catch (err) {
    broken = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    // A connection that failed mid-migration is closed, not reused.
    release(broken);
  }
}
