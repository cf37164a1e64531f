// The fault suite, the database's part that needs root: a database the aggregator may not write (its
// file read-only to the user it runs as, as a volume mounted with the wrong owner leaves it) and a
// volume that fills up (a small tmpfs). Each time the agents' messages are refused UNAVAILABLE and
// nothing acked is lost; /readyz fails naming the reason, a metric counts it, the error is logged
// once per window, and the aggregator is ready again once the disk takes writes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { loadAggregatorConfig, startAggregator } from "../../aggregator/index.js";
import { SqliteStore } from "../../aggregator/store/index.js";
import type { Logger } from "../../core/log/index.js";
import { onJsonLines } from "../support/json-lines.js";
import { waitFor } from "../support/wait.js";
import { Agent, diagnosis, hello, newClient, report } from "./agent-stream.js";

const root = new URL("../..", import.meta.url).pathname;
const NOBODY = 65534;

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

/** `pullmedic aggregator` as user nobody; its JSON log lines and the addresses it printed. */
function startAsNobody(args: string[]): Promise<{ grpcAddress: string; httpUrl: string; logs: Record<string, unknown>[]; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "cli/main.ts"), "aggregator", "--log-format", "json", ...args], {
    cwd: root,
    uid: NOBODY,
    gid: NOBODY,
    env: { ...process.env, HOME: tmpdir() },
  });
  const logs: Record<string, unknown>[] = [];
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d));
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the aggregator did not start: ${err} ${JSON.stringify(logs)}`)), 30_000);
    void exited.then(() => reject(new Error(`the aggregator exited: ${err} ${JSON.stringify(logs)}`)));
    onJsonLines(child.stdout, (record) => {
      logs.push(record);
      const m = /gRPC (\S+), dashboard (http:\/\/\S+?)\/?$/.exec(String(record["message"] ?? ""));
      if (!m?.[1] || !m[2]) return;
      clearTimeout(timer);
      resolve({
        grpcAddress: m[1],
        httpUrl: m[2],
        logs,
        stop: async () => {
          child.kill("SIGTERM");
          await exited;
        },
      });
    });
  });
}

test("a database the aggregator may not write: messages refused UNAVAILABLE, /readyz fails naming it, counted, logged at error once", {
  timeout: 120_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "pm-readonly-"));
  chmodSync(dir, 0o777);
  const database = join(dir, "agg.db");
  const seed = SqliteStore.open(database);
  seed.saveHello(hello("node-old"), Date.now());
  seed.close();
  chownSync(database, NOBODY, NOBODY);
  chmodSync(database, 0o444);
  writeFileSync(join(dir, "tokens"), "ro-token-0123456789\n", { mode: 0o644 });
  const agg = await startAsNobody([
    "--grpc-listen",
    "127.0.0.1:0",
    "--http-listen",
    "127.0.0.1:0",
    "--database",
    database,
    "--token-file",
    join(dir, "tokens"),
  ]);
  const client = await newClient(agg.grpcAddress);
  try {
    for (let i = 0; i < 30; i++) {
      const a = new Agent(client, "ro-token-0123456789");
      a.send({ hello: hello(`node-${i}`) });
      const s = await a.status;
      assert.equal(s.code, grpc.status.UNAVAILABLE, s.details);
      assert.match(s.details, /could not persist message 1 \(hello\): attempt to write a readonly database/);
    }
    const ready = await fetch(`${agg.httpUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), /^not ready: database: writes fail \(readonly: attempt to write a readonly database\) since .*read-only/);
    const text = await (await fetch(`${agg.httpUrl}/metrics`)).text();
    assert.ok(metric(text, 'pullmedic_aggregator_store_write_failures_total{reason="readonly"}') >= 30);
    const errors = agg.logs.filter((l) => l["level"] === "error");
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(String(errors[0]?.["message"]), /^database write failed .*attempt to write a readonly database; the database file or its volume is read-only/);
  } finally {
    client.close();
    await agg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a volume that fills up: messages refused UNAVAILABLE, /readyz fails naming it, and is ready again once space is freed", {
  timeout: 120_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "pm-full-"));
  const volume = join(dir, "volume");
  mkdirSync(volume);
  const mount = spawn("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", volume]);
  assert.equal(await new Promise((r) => mount.on("close", r)), 0, "mount a 4 MiB tmpfs");
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  const log: Logger = { error: at("error"), warn: at("warn"), info: at("info"), debug: () => undefined };
  writeFileSync(join(dir, "tokens"), "full-token-0123456789\n");
  const config = await loadAggregatorConfig({
    env: {},
    flags: {
      grpcListen: "127.0.0.1:0",
      httpListen: "127.0.0.1:0",
      database: join(volume, "agg.db"),
      tokenFile: join(dir, "tokens"),
      "findingRate.burst": 1_000_000,
    },
  });
  const agg = await startAggregator(config, log);
  const client = await newClient(agg.grpcAddress);
  try {
    // What is left of the volume, less 256 KiB, taken by another file.
    writeFileSync(join(volume, "filler"), Buffer.alloc(3 * 1024 * 1024));
    const a = new Agent(client, "full-token-0123456789");
    await a.helloAndReport("node-full", report());
    let seq = 0;
    let refused: grpc.StatusObject | undefined;
    void a.status.then((s) => (refused = s));
    for (let i = 0; i < 5000 && refused === undefined; i++) {
      seq = a.send({ finding: diagnosis(`full:${i}`, { summary: "s".repeat(1500) }) });
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5));
    }
    const s = await a.status;
    assert.ok(seq > 1);
    assert.equal(s.code, grpc.status.UNAVAILABLE, s.details);
    assert.match(s.details, /could not persist message \d+ \(finding\): database or disk is full/);
    const ready = await fetch(`${agg.httpUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), /^not ready: database: writes fail \(full: database or disk is full\) since .*the volume is full/);
    const text = await agg.metrics.render();
    assert.ok(metric(text, 'pullmedic_aggregator_store_write_failures_total{reason="full"}') >= 1);
    assert.equal(lines.filter((l) => l.level === "error").length, 1, lines.map((l) => l.message).join("\n"));
    // Space freed: the next readiness probe writes, and the aggregator takes messages again.
    rmSync(join(volume, "filler"));
    await waitFor("ready again", async () => (await fetch(`${agg.httpUrl}/readyz`)).status === 200, { timeoutMs: 20_000 });
    const b = new Agent(client, "full-token-0123456789");
    await b.helloAndReport("node-after", report());
    await b.end();
  } finally {
    client.close();
    await agg.stop();
    const umount = spawn("umount", [volume]);
    await new Promise((r) => umount.on("close", r));
    rmSync(dir, { recursive: true, force: true });
  }
});
