import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import type BetterSqlite3 from "better-sqlite3";
import { SCHEMA_VERSION, SqliteEngine } from "../../aggregator/store/index.js";
import { storeConformance } from "./store-conformance.js";

// The Store's conformance suite on the SQLite engine, one file per scenario.

const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
const dir = mkdtempSync(join(tmpdir(), "pm-store-sqlite-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, `${name}.db`);

storeConformance("sqlite", {
  fresh: async (name, opts) => SqliteEngine.open(path(name), opts),
  reopen: async (name, opts) => SqliteEngine.open(path(name), opts),
  markNewerSchema: async (name, version) => {
    const db = new Database(path(name));
    db.pragma(`user_version = ${version}`);
    db.close();
  },
  schemaVersion: SCHEMA_VERSION,
});
