import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type * as grpc from "@grpc/grpc-js";
import pg from "pg";
import type { AggregatorMessage, Command } from "../../core/protocol/index.js";
import { type AggregatorProcess, startAggregatorProcess } from "../support/aggregator-process.js";
import { type RunningPostgres, start } from "../support/postgres.js";
import { waitFor } from "../support/wait.js";
import { Agent, diagnosis, newClient, report } from "./agent-stream.js";

// Two aggregator processes (replicas) on one real PostgreSQL server, four agents (gRPC stand-ins,
// two on each): both replicas show the same nodes; a pre-pull asked of one reaches an agent whose
// stream the other holds; housekeeping runs on one of them; one replica SIGKILLed mid-burst loses
// nothing it acked, and its agents carry on with the survivor, which then reaches them too.

const TOKEN = "agent-token-replicas-0001";
const dir = mkdtempSync(join(tmpdir(), "pm-replicas-"));
const tokenFile = join(dir, "tokens");
let server: RunningPostgres;
let dsn: string;
let a: AggregatorProcess;
let b: AggregatorProcess;
const clients: grpc.Client[] = [];

/** An agent stand-in that keeps the commands it is sent. */
class CommandedAgent extends Agent {
  readonly commands: Command[] = [];
  ended = false;
  constructor(client: grpc.Client) {
    super(client, TOKEN);
    this.call.on("data", (m: AggregatorMessage) => {
      if (m.command) this.commands.push(m.command);
    });
    void this.status.then(() => {
      this.ended = true;
    });
  }
}

async function connect(to: AggregatorProcess, node: string): Promise<CommandedAgent> {
  const client = await newClient(to.grpcAddress);
  clients.push(client);
  const agent = new CommandedAgent(client);
  await agent.helloAndReport(node, report({ runtime: `containerd for ${node}` }));
  return agent;
}

function replica(): Promise<AggregatorProcess> {
  return startAggregatorProcess(["--grpc-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--database", dsn, "--token-file", tokenFile], {
    PULLMEDIC_AGGREGATOR_REPLICA_REFRESH: "300ms",
  });
}

interface NodeView {
  node: string;
  connected: boolean;
}
const nodesOf = async (r: AggregatorProcess) =>
  ((await r.getJson<{ nodes: NodeView[] }>("/api/v1/nodes")).nodes ?? []).map((n) => ({ node: n.node, connected: n.connected }));

async function prepull(through: AggregatorProcess, image: string): Promise<{ id: string; plan: { node: string }[]; unsent: string[] }> {
  const res = await fetch(`${through.httpUrl}/api/v1/prepull`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ images: [image] }),
  });
  assert.equal(res.status, 202, await res.clone().text());
  return (await res.json()) as { id: string; plan: { node: string }[]; unsent: string[] };
}

async function storedFindingIds(): Promise<Set<string>> {
  const c = new pg.Client({ connectionString: dsn });
  await c.connect();
  try {
    return new Set((await c.query<{ id: string }>("SELECT id FROM findings")).rows.map((r) => r.id));
  } finally {
    await c.end();
  }
}

const ALL = ["node-1", "node-2", "node-3", "node-4"].map((node) => ({ node, connected: true }));
const agents = new Map<string, CommandedAgent>();

before(async () => {
  server = await start();
  dsn = await server.createDatabase("pullmedic");
  writeFileSync(tokenFile, `${TOKEN}\n`);
  [a, b] = await Promise.all([replica(), replica()]);
  for (const [node, to] of [
    ["node-1", a],
    ["node-2", a],
    ["node-3", b],
    ["node-4", b],
  ] as const)
    agents.set(node, await connect(to, node));
});

after(async () => {
  for (const agent of agents.values()) if (!agent.ended) await agent.end();
  for (const c of clients) c.close();
  await a?.stop();
  await b?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("both replicas show the same nodes, and housekeeping ran on one of them", async () => {
  for (const r of [a, b])
    await waitFor(
      "all four nodes connected",
      () => nodesOf(r),
      (ns) => JSON.stringify(ns) === JSON.stringify(ALL),
    );
  assert.deepEqual(await nodesOf(a), await nodesOf(b));
  const lines = [...a.logs, ...b.logs].map((l) => String(l["message"] ?? ""));
  assert.equal(lines.filter((m) => m.startsWith("housekeeping: this replica ran the pass")).length, 1, lines.join("\n"));
  assert.equal(lines.filter((m) => m.startsWith("housekeeping: skipped here")).length, 1, lines.join("\n"));
});

test("a pre-pull asked of one replica reaches the agents whose streams the other holds", async () => {
  for (const r of [a, b])
    await waitFor(
      "all four nodes connected",
      () => nodesOf(r),
      (ns) => JSON.stringify(ns) === JSON.stringify(ALL),
    );
  const command = await prepull(b, "nginx:1.27");
  assert.deepEqual(command.plan.map((p) => p.node).sort(), ["node-1", "node-2", "node-3", "node-4"]);
  assert.deepEqual(command.unsent, []);
  for (const [node, agent] of agents) {
    await waitFor(
      `${node} gets the command`,
      async () => agent.commands.map((c) => c.id),
      (ids) => ids.includes(command.id),
    );
  }
});

test("a replica SIGKILLed mid-burst: every acked finding is stored, its agents move to the survivor, which reaches them", async () => {
  const moving = ["node-1", "node-2"];
  const sent = new Map<string, Map<number, string>>();
  // Each agent on A sends findings, paced, until its stream dies (under the per-node burst of
  // 1,000); a third of the way in it waits for the kill, then goes on sending as the replica dies.
  let reached = 0;
  let kill!: () => void;
  const killing = new Promise<void>((resolve) => {
    kill = resolve;
  });
  const bursts = moving.map(async (node) => {
    const agent = agents.get(node)!;
    const bySeq = new Map<number, string>();
    sent.set(node, bySeq);
    for (let i = 0; !agent.ended && i < 900; i++) {
      if (i === 300) {
        reached++;
        await killing;
      }
      const id = `${node}-burst-${i}`;
      bySeq.set(agent.send({ finding: diagnosis(id) }), id);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 20));
    }
  });
  await waitFor(
    "a third of each burst sent and some of it acked",
    async () => ({ reached, acked: Math.min(...moving.map((n) => Math.max(0, ...agents.get(n)!.acks))) }),
    (p) => p.reached === moving.length && p.acked >= 50,
  );
  kill();
  await a.stop("SIGKILL");
  await Promise.all(bursts);

  const stored = await storedFindingIds();
  const unacked = new Map<string, string[]>();
  for (const node of moving) {
    const acked = Math.max(0, ...agents.get(node)!.acks);
    const ids = [...sent.get(node)!];
    const lost = ids.filter(([seq, id]) => seq <= acked && !stored.has(id)).map(([, id]) => id);
    assert.deepEqual(lost, [], `${node}: acked findings missing from the database`);
    unacked.set(
      node,
      ids.filter(([seq]) => seq > acked).map(([, id]) => id),
    );
  }

  // The agents reconnect to the survivor and send again what was not acked (their outbox).
  for (const node of moving) {
    const agent = await connect(b, node);
    agents.set(node, agent);
    const rest = unacked.get(node)!;
    let last = 0;
    for (const id of rest) last = agent.send({ finding: diagnosis(id) });
    if (last > 0) await agent.acked(last, 30_000);
  }
  const all = await storedFindingIds();
  for (const node of moving) for (const id of sent.get(node)!.values()) assert.ok(all.has(id), `${id} is stored`);

  await waitFor(
    "the survivor shows all four nodes connected",
    () => nodesOf(b),
    (ns) => JSON.stringify(ns) === JSON.stringify(ALL),
    { timeoutMs: 30_000 },
  );
  const command = await prepull(b, "busybox:1.36");
  assert.deepEqual(command.unsent, []);
  for (const node of moving) {
    await waitFor(
      `${node} gets the command through the survivor`,
      async () => agents.get(node)!.commands.map((c) => c.id),
      (ids) => ids.includes(command.id),
    );
  }
});
