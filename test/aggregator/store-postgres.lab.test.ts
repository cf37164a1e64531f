import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import pg from "pg";
import { openStore, POSTGRES_SCHEMA_VERSION, PostgresStore } from "../../aggregator/store/index.js";
import { closedPort } from "../support/net.js";
import { type RunningPostgres, start } from "../support/postgres.js";
import { storeConformance } from "./store-conformance.js";

// The Store's conformance suite on a real PostgreSQL server (a throwaway one this file starts),
// one database per scenario; then what is PostgreSQL's own: the DSN from a file, and a password
// that never shows in an error, whatever goes wrong.

let server: RunningPostgres;
const dir = mkdtempSync(join(tmpdir(), "pm-store-pg-"));
before(async () => {
  server = await start();
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const urlOf = (database: string) => server.url.replace(/\/postgres$/, `/${database}`);

async function admin<T>(fn: (c: pg.Client) => Promise<T>, database = "postgres"): Promise<T> {
  const client = new pg.Client({ connectionString: urlOf(database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

storeConformance("postgres", {
  fresh: async (name, opts) => PostgresStore.open(await server.createDatabase(name), opts),
  reopen: (name, opts) => PostgresStore.open(urlOf(name), opts),
  markNewerSchema: async (name, version) => {
    await admin((c) => c.query("INSERT INTO schema_version (version, applied_ms) VALUES ($1, 0)", [version]), name);
  },
  schemaVersion: POSTGRES_SCHEMA_VERSION,
});

test("postgres: the DSN is read from a file (a mounted Secret), and the same database opens from it", async () => {
  const file = join(dir, "dsn");
  writeFileSync(file, `${await server.createDatabase("from_file")}\n`);
  const store = await openStore({ database: "/ignored.db", databaseFile: file });
  assert.equal(store.engine, "postgres");
  assert.equal(store.where.includes(server.password), false);
  assert.match(store.where, /postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/from_file/);
  await store.close();
});

test("postgres: a database file that is not one postgres:// URL is refused without showing what it holds", async () => {
  const file = join(dir, "not-a-url");
  writeFileSync(file, `host=127.0.0.1 password=${server.password}\n`);
  await assert.rejects(
    () => openStore({ database: "x.db", databaseFile: file }),
    (err: Error) => !err.message.includes(server.password) && /should hold one line, a postgres:\/\/ or postgresql:\/\/ URL/.test(err.message),
  );
});

test("postgres: a wrong password, a server that is down, or TLS it does not offer: errors name the server, never the password", async () => {
  const wrong = "wrong-password-0123456789";
  const cases = [
    { dsn: server.url.replace(server.password, wrong), secret: wrong, says: /password authentication failed/ },
    { dsn: server.url.replace(`:${server.port}/`, `:${await closedPort()}/`), secret: server.password, says: /ECONNREFUSED/ },
    { dsn: `${server.url}?sslmode=require`, secret: server.password, says: /SSL/i },
  ];
  for (const c of cases) {
    await assert.rejects(
      () => openStore({ database: c.dsn }),
      (err: Error) => {
        const shown = `${err.message}\n${err.stack ?? ""}\n${String((err.cause as Error | undefined)?.message ?? "")}`;
        assert.equal(err.message.includes(c.secret), false, err.message);
        assert.match(err.message, c.says);
        assert.match(err.message, /cannot open the pullmedic database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/);
        assert.equal(shown.includes(c.secret), false, "nor in its stack or cause");
        return true;
      },
    );
  }
});

test("postgres: TLS as the DSN says: verify-full against the server's CA connects encrypted, an unknown CA is refused", async () => {
  const secure = await start({ tls: true });
  try {
    const verified = `${secure.url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(secure.caFile!)}`;
    const store = await openStore({ database: verified });
    await store.close();
    const client = new pg.Client({ connectionString: verified });
    await client.connect();
    const { rows } = await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    await client.end();
    assert.deepEqual(rows, [{ ssl: true }]);
    await assert.rejects(
      () => openStore({ database: `${secure.url}?sslmode=verify-full` }),
      (err: Error) => !err.message.includes(secure.password) && /certificate/i.test(err.message),
    );
  } finally {
    await secure.stop();
  }
});
