import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import pg from "pg";
import { Reporter } from "../../agent/report/reporter.js";
import { emptyNodeReport, type Finding } from "../../core/protocol/index.js";
import { type AggregatorProcess, startAggregatorProcess } from "../support/aggregator-process.js";
import { type RunningPostgres, start } from "../support/postgres.js";
import { type Balancer, startBalancer } from "../support/tcp-balancer.js";
import { waitFor } from "../support/wait.js";

// Two aggregator replicas on one PostgreSQL server behind a Service stand-in, four agents (the
// agent's own Reporter: its outbox, its back-off with jitter) sending findings; the server is
// restarted under that load. The replicas reconnect to it, the agents' outboxes hold what was not
// acked and send it again, and in the end every finding is in the database and both replicas show
// all four nodes connected.

const TOKEN = "agent-token-replicas-restart-01";
const NODES = ["node-1", "node-2", "node-3", "node-4"];
const PER_NODE = 300;
const dir = mkdtempSync(join(tmpdir(), "pm-replicas-restart-"));
const tokenFile = join(dir, "tokens");
let server: RunningPostgres;
let dsn: string;
let replicas: AggregatorProcess[] = [];
let service: Balancer;
const reporters = new Map<string, Reporter>();

function finding(pod: string): Omit<Finding, "id" | "atMs"> {
  return {
    kind: "diagnosis",
    diagnosis: {
      pod,
      container: "app",
      image: "ghcr.io/acme/app:1.0",
      registry: "ghcr.io",
      reason: "ImagePullBackOff",
      cause: "not-found",
      summary: "the tag does not exist",
      fix: [],
      sinceMs: Date.now(),
      impact: 1,
      note: "",
    },
  };
}

before(async () => {
  server = await start();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query("CREATE DATABASE pullmedic");
  await admin.end();
  dsn = server.url.replace(/\/postgres$/, "/pullmedic");
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const args = ["--grpc-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--database", dsn, "--token-file", tokenFile];
  replicas = await Promise.all([0, 1].map(() => startAggregatorProcess(args, { PULLMEDIC_AGGREGATOR_REPLICA_REFRESH: "300ms" })));
  service = await startBalancer(() => replicas.map((r) => r.grpcAddress));
  for (const node of NODES) {
    const reporter = new Reporter({
      address: service.address,
      token: async () => TOKEN,
      node,
      agentVersion: "0.1.0-test",
      intervalMs: 60_000,
      buildReport: () => ({ ...emptyNodeReport(Date.now()), runtime: `containerd for ${node}` }),
      backoff: { baseMs: 100, maxMs: 1000 },
    });
    reporter.start();
    reporters.set(node, reporter);
  }
});

after(async () => {
  await Promise.all([...reporters.values()].map((r) => r.stop(1000)));
  await service?.close();
  await Promise.all(replicas.map((r) => r.stop()));
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const connectedNodes = async (r: AggregatorProcess) =>
  ((await r.getJson<{ nodes: { node: string; connected: boolean }[] }>("/api/v1/nodes")).nodes ?? []).filter((n) => n.connected).map((n) => n.node);

async function storedPods(): Promise<Map<string, number>> {
  const c = new pg.Client({ connectionString: dsn });
  await c.connect();
  try {
    const { rows } = await c.query<{ node: string; n: string }>("SELECT node, count(DISTINCT pod) AS n FROM findings GROUP BY node");
    return new Map(rows.map((r) => [r.node, Number(r.n)]));
  } finally {
    await c.end();
  }
}

test("PostgreSQL restarted under load: the replicas reconnect, the agents send again what was not acked, nothing is lost", async () => {
  for (const r of replicas)
    await waitFor(
      "all four nodes connected",
      () => connectedNodes(r),
      (ns) => ns.join() === NODES.join(),
    );
  let restarted: Promise<void> | undefined;
  for (let i = 0; i < PER_NODE; i++) {
    for (const [node, reporter] of reporters) reporter.addFinding(finding(`${node}-load-${i}`));
    if (i === PER_NODE / 3) restarted = server.restart();
    await new Promise((r) => setTimeout(r, 10));
  }
  await restarted;

  for (const [node, reporter] of reporters) {
    await waitFor(
      `${node}'s outbox empty`,
      async () => reporter.status(),
      (s) => s.connected && s.buffered === 0,
      { timeoutMs: 60_000 },
    );
    assert.equal(reporter.status().dropped, 0, `${node} dropped findings`);
    assert.ok(reporter.status().reconnects > 0, `${node} reconnected`);
  }
  const stored = await storedPods();
  for (const node of NODES) assert.equal(stored.get(node), PER_NODE, `${node}: every finding stored`);
  for (const r of replicas) {
    await waitFor(
      "all four nodes connected again",
      () => connectedNodes(r),
      (ns) => ns.join() === NODES.join(),
      { timeoutMs: 30_000 },
    );
    assert.equal((await fetch(`${r.httpUrl}/readyz`)).status, 200);
  }
});
