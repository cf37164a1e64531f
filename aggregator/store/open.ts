// Which engine a database setting names, and opening it: a postgres:// or postgresql:// URL is a
// PostgreSQL server, anything else a SQLite file. The URL may come from a file (a mounted Secret),
// so it is never in the pod spec or the process's arguments.

import { readTextFile } from "../../core/fs/index.js";
import { rememberUrlCredentials } from "../../core/log/index.js";
import { isPostgresUrl, type PostgresOptions, PostgresStore } from "./postgres.js";
import { SqliteEngine } from "./sqlite-engine.js";
import type { Store } from "./store.js";

/** A DSN is a line; a file much larger than one is not a DSN. */
const MAX_DSN_FILE_BYTES = 16 * 1024;

export interface DatabaseSetting {
  /** A SQLite path, or a postgres:// URL. */
  database: string;
  /** A file holding a postgres:// URL (a Secret's key, mounted); wins over `database`. */
  databaseFile?: string | undefined;
}

/** The setting's database, from the file when one is named; a URL's password is remembered as a secret at once. */
export async function databaseOf(setting: DatabaseSetting): Promise<string> {
  if (setting.databaseFile === undefined) {
    rememberUrlCredentials(setting.database);
    return setting.database;
  }
  const text = (await readTextFile(setting.databaseFile, { maxBytes: MAX_DSN_FILE_BYTES })).trim();
  rememberUrlCredentials(text);
  // What the file holds is not shown: a DSN in another form could carry a password we do not know to hide.
  if (!isPostgresUrl(text) || text.includes("\n")) {
    throw new Error(`the database file ${setting.databaseFile} should hold one line, a postgres:// or postgresql:// URL; it does not`);
  }
  return text;
}

/** Opens the engine the setting names. */
export async function openStore(setting: DatabaseSetting, opts: PostgresOptions = {}): Promise<Store> {
  const database = await databaseOf(setting);
  if (isPostgresUrl(database)) return PostgresStore.open(database, opts);
  return SqliteEngine.open(database, opts);
}
