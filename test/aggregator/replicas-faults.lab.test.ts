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
// agent's own Reporter: its outbox, its back-off with jitter) sending findings. The server is
// restarted under that load: the replicas reconnect to it, the agents' outboxes hold what was not
// acked and send it again, nothing is lost and both replicas show all four nodes connected. Then
// one replica is SIGKILLed under load: its agents move to the survivor through the Service,
// nothing is lost, and a pre-pull asked of the survivor reaches all four.
// Findings per node stay under the aggregator's per-node burst (1,000) across both tests.

const TOKEN = "agent-token-replicas-restart-01";
const NODES = ["node-1", "node-2", "node-3", "node-4"];
const PER_NODE = 200;
const dir = mkdtempSync(join(tmpdir(), "pm-replicas-restart-"));
const tokenFile = join(dir, "tokens");
let server: RunningPostgres;
let dsn: string;
let replicas: AggregatorProcess[] = [];
let service: Balancer;
const reporters = new Map<string, Reporter>();
const commands = new Map<string, string[]>(NODES.map((n) => [n, []]));

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
  dsn = await server.createDatabase("pullmedic");
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
      onCommand: (c) => commands.get(node)!.push(c.id),
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

/** Per node, the findings stored whose pod name holds `word`. */
async function storedPods(word: string): Promise<Map<string, number>> {
  const c = new pg.Client({ connectionString: dsn });
  await c.connect();
  try {
    const { rows } = await c.query<{ node: string; n: string }>("SELECT node, count(DISTINCT pod) AS n FROM findings WHERE strpos(pod, $1) > 0 GROUP BY node", [
      word,
    ]);
    return new Map(rows.map((r) => [r.node, Number(r.n)]));
  } finally {
    await c.end();
  }
}

async function outboxesEmpty(): Promise<void> {
  for (const [node, reporter] of reporters) {
    await waitFor(
      `${node}'s outbox empty`,
      async () => reporter.status(),
      (s) => s.connected && s.buffered === 0,
      { timeoutMs: 60_000 },
    );
    assert.equal(reporter.status().dropped, 0, `${node} dropped findings`);
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
    if (i === Math.floor(PER_NODE / 3)) restarted = server.restart();
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(restarted, "the server was restarted");
  await restarted;

  await outboxesEmpty();
  // Under load indeed: streams whose writes met the server down were ended UNAVAILABLE, and their agents came back.
  const ended = replicas.flatMap((r) => r.logs).filter((l) => /ended: UNAVAILABLE/.test(String(l["message"] ?? "")));
  assert.ok(ended.length > 0, "some agent stream was ended by the restart");
  const stored = await storedPods("-load-");
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

test("a replica SIGKILLed under load: its agents move to the survivor, nothing is lost, a pre-pull through the survivor reaches all", async () => {
  for (const r of replicas)
    await waitFor(
      "all four nodes connected",
      () => connectedNodes(r),
      (ns) => ns.join() === NODES.join(),
    );
  const [dead, survivor] = replicas as [AggregatorProcess, AggregatorProcess];
  let killed: Promise<unknown> | undefined;
  for (let i = 0; i < PER_NODE; i++) {
    for (const [node, reporter] of reporters) reporter.addFinding(finding(`${node}-kill-${i}`));
    if (i === Math.floor(PER_NODE / 3)) killed = dead.stop("SIGKILL");
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(killed, "the replica was killed");
  await killed;

  await outboxesEmpty();
  const stored = await storedPods("-kill-");
  for (const node of NODES) assert.equal(stored.get(node), PER_NODE, `${node}: every finding stored`);
  await waitFor(
    "the survivor shows all four nodes connected",
    () => connectedNodes(survivor),
    (ns) => ns.join() === NODES.join(),
    { timeoutMs: 30_000 },
  );

  const res = await fetch(`${survivor.httpUrl}/api/v1/prepull`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ images: ["nginx:1.27"] }),
  });
  assert.equal(res.status, 202);
  const command = (await res.json()) as { id: string; unsent: string[] };
  assert.deepEqual(command.unsent, []);
  for (const node of NODES)
    await waitFor(
      `${node} gets the command`,
      async () => commands.get(node)!,
      (ids) => ids.includes(command.id),
    );
});
