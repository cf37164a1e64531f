// The fault suite, the database's part that needs no root: pages of the database damaged under the
// running aggregator. Every write is refused (nothing acked is lost), and an operator sees it:
// /readyz fails with the reason and stays failing, a metric counts it, the error is logged once per
// window, not once per message. (store-faults.lab.test.ts: a read-only database, a full disk.)
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, statSync, writeFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import type BetterSqlite3 from "better-sqlite3";
import { loadAggregatorConfig, startAggregator } from "../../aggregator/index.js";
import { SqliteStore } from "../../aggregator/store/index.js";
import type { Logger } from "../../core/log/index.js";
import { Agent, diagnosis, hello, newClient } from "./agent-stream.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;

function recorder(): { log: Logger; lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { log: { error: at("error"), warn: at("warn"), info: at("info"), debug: () => undefined }, lines };
}

async function metric(text: string, name: string): Promise<number> {
  const m = new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

test("pages damaged while running: writes refused UNAVAILABLE, /readyz fails naming it and stays failing, counted, logged once", {
  timeout: 60_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "pm-corrupt-"));
  const database = join(dir, "agg.db");
  // A database with a history, closed cleanly: its pages are in the file, not in the write-ahead log.
  const seed = SqliteStore.open(database);
  seed.saveHello(hello("node-old"), Date.now());
  seed.saveFindings(
    "node-old",
    Array.from({ length: 2000 }, (_, i) => diagnosis(`old:${i}`)),
  );
  seed.close();
  writeFileSync(join(dir, "tokens"), "corrupt-token-0123456789\n");
  const { log, lines } = recorder();
  const config = await loadAggregatorConfig({
    env: {},
    flags: { grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", database, tokenFile: join(dir, "tokens") },
  });
  const agg = await startAggregator(config, log);
  const client = await newClient(agg.grpcAddress);
  try {
    assert.equal((await fetch(`${agg.httpUrl}/readyz`)).status, 200);
    // Every page but the header overwritten; another connection's write makes the aggregator read them again.
    const size = statSync(database).size;
    const fd = openSync(database, "r+");
    for (let at = 4096; at < size; at += 4096) writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, at);
    closeSync(fd);
    const other = new Database(database);
    other.pragma("user_version = 1");
    other.close();

    const refused: grpc.StatusObject[] = [];
    for (let i = 0; i < 50; i++) {
      const a = new Agent(client, "corrupt-token-0123456789");
      a.send({ hello: hello(`node-${i}`) });
      refused.push(await a.status);
    }
    for (const s of refused) {
      assert.equal(s.code, grpc.status.UNAVAILABLE, s.details);
      assert.match(s.details, /could not persist message 1 \(hello\): database disk image is malformed/);
    }
    const ready = await fetch(`${agg.httpUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), /^not ready: database: writes fail \(corrupt: database disk image is malformed\) since .*move the file away/);
    // A damaged file does not heal: the header still takes a write, the aggregator stays not ready.
    assert.equal((await fetch(`${agg.httpUrl}/readyz`)).status, 503);
    const text = await agg.metrics.render();
    assert.equal(await metric(text, 'pullmedic_aggregator_store_write_failures_total{reason="corrupt"}'), 50);
    assert.equal(await metric(text, "pullmedic_aggregator_store_write_failing"), 1);
    const errors = lines.filter((l) => l.level === "error");
    assert.equal(errors.length, 1, errors.map((l) => l.message).join("\n"));
    assert.match(errors[0]!.message, /^database write failed \(.*\): database disk image is malformed; the database file is damaged/);
  } finally {
    client.close();
    await agg.stop();
  }
  assert.match(lines.filter((l) => l.level === "error").at(-1)?.message ?? "", /\(… \d+ more in the last 10 s\)$/);
});
