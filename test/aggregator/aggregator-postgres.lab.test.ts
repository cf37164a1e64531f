import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadAggregatorConfig, type RunningAggregator, startAggregator } from "../../aggregator/index.js";
import type { Logger } from "../../core/log/index.js";
import { type RunningPostgres, start } from "../support/postgres.js";
import { waitFor } from "../support/wait.js";
import { Agent, diagnosis, newClient, report } from "./agent-stream.js";

// The aggregator on a real PostgreSQL server, its DSN read from a file as a mounted Secret would
// be: what an agent sends is acked once it is in the database, a restarted aggregator brings the
// cluster view back from there, and when the server goes away /readyz says so — while no log line,
// error or answer ever shows the DSN's password.

const TOKEN = "agent-token-postgres-0001";
const dir = mkdtempSync(join(tmpdir(), "pm-agg-pg-"));
let server: RunningPostgres;
const lines: string[] = [];
const capture = (level: string) => (m: string, meta?: Record<string, unknown>) => void lines.push(`${level} ${m} ${meta ? JSON.stringify(meta) : ""}`);
const log: Logger = { error: capture("error"), warn: capture("warn"), info: capture("info"), debug: capture("debug") };

let dsn: string;
before(async () => {
  server = await start();
  dsn = await server.createDatabase("pullmedic");
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function aggregator(): Promise<RunningAggregator> {
  const tokenFile = join(dir, "tokens");
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const dsnFile = join(dir, "dsn");
  writeFileSync(dsnFile, `${dsn}\n`);
  const config = await loadAggregatorConfig({
    env: { PULLMEDIC_AGGREGATOR_DATABASE_FILE: dsnFile },
    flags: { grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", tokenFile },
  });
  return startAggregator(config, log);
}

test("an aggregator on PostgreSQL: acked is stored, a restart brings the view back, a server gone fails /readyz, the password shows nowhere", async () => {
  const first = await aggregator();
  const client = await newClient(first.grpcAddress);
  const agent = new Agent(client, TOKEN);
  await agent.helloAndReport("node-pg", report({ runtime: "containerd 2.0.1" }));
  await agent.acked(agent.send({ finding: diagnosis("boot-node-pg:1") }));
  const command = await first.prepull(["nginx:1.27"]);
  assert.deepEqual(
    command.plan.map((p) => p.node),
    ["node-pg"],
  );
  await agent.end();
  client.close();
  assert.equal((await fetch(`${first.httpUrl}/readyz`)).status, 200);
  await first.stop();

  const second = await aggregator();
  try {
    assert.equal(second.state.node("node-pg")?.report?.runtime, "containerd 2.0.1", "the view comes back from the database");
    const findings = (await (await fetch(`${second.httpUrl}/api/v1/findings`)).json()) as { findings: { id: string }[]; total: number };
    assert.deepEqual(
      findings.findings.map((f) => f.id),
      ["boot-node-pg:1"],
    );
    const commands = (await (await fetch(`${second.httpUrl}/api/v1/commands`)).json()) as { commands: { id: string }[] };
    assert.deepEqual(
      commands.commands.map((c) => c.id),
      [command.id],
    );
    assert.ok(lines.some((l) => /database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/pullmedic: 1 node\(s\) known from before/.test(l)));

    await server.stop();
    const readyz = await waitFor(
      "/readyz to fail",
      async () => {
        const r = await fetch(`${second.httpUrl}/readyz`);
        return { status: r.status, text: await r.text() };
      },
      (r) => r.status === 503,
      { timeoutMs: 30_000 },
    );
    assert.match(readyz.text, /database: writes fail \(io: /);
    assert.equal(readyz.text.includes(server.password), false, readyz.text);
  } finally {
    await second.stop();
  }
  assert.ok(lines.length > 0);
  for (const line of lines) assert.equal(line.includes(server.password), false, line);
});
