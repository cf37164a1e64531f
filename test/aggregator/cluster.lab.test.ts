import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ClientDuplexStream, Metadata, ServiceError } from "@grpc/grpc-js";
import { type AgentMessage, type AggregatorMessage, emptyNodeReport, loadAggregatorProtocol } from "../../core/protocol/protocol.js";
import { buildImage, type FaultServer, type Lab, startFaultServer, startLab } from "../lab/index.js";
import { type AgentProcess, startAgentProcess } from "../support/agent-process.js";
import { type AggregatorProcess, startAggregatorProcess } from "../support/aggregator-process.js";
import { openDashboard } from "../support/browser.js";
import { runPullmedic } from "../support/cli.js";
import { type KubeStandIn, podFixture, startKubeStandIn } from "../support/kube-apiserver.js";
import { waitFor } from "../support/wait.js";

// The cluster view as it runs: four real agent processes (one per node name) on the lab's
// containerd, watching pods in the API stand-in, reporting to a real aggregator process that is
// killed and restarted while they report; bad clients on the side; the dashboard in Chromium.

const TOKEN = "tok-e2e-good-0123456789";
const NODES = ["node-a", "node-b", "node-c", "node-d"];
const dir = mkdtempSync(join(tmpdir(), "pm-cluster-"));
const tokenFile = join(dir, "token");
const database = join(dir, "aggregator.db");

let lab: Lab;
let api: KubeStandIn;
let hubShared: FaultServer;
let hubOther: FaultServer;
let aggregator: AggregatorProcess;
const agents = new Map<string, AgentProcess>();
let missingImage = "";
let goneImage = "";
let presentImage = "";

interface FailureGroup {
  cause: string;
  image: string;
  fix: string[];
  podCount: number;
  nodeCount: number;
  nodes: string[];
}
interface NodeView {
  node: string;
  connected: boolean;
  stale: boolean;
  lastSeenMs: number;
}
interface QuotaView {
  sources: { source: string; remaining: number; nodes: string[] }[];
}
interface FindingsView {
  findings: { node: string; kind: string; pod: string; image: string; finding: { diagnosis?: { pod: string }; recovery?: { pod: string } } }[];
}

function list<T>(body: unknown, key: string): T[] {
  return (Array.isArray(body) ? body : ((body as Record<string, unknown>)[key] ?? [])) as T[];
}

const failures = async () => list<FailureGroup>(await aggregator.getJson("/api/v1/failures"), "failures");
const nodes = async () => list<NodeView>(await aggregator.getJson("/api/v1/nodes"), "nodes");
const findings = async (kind: string) =>
  list<FindingsView["findings"][number]>(await aggregator.getJson(`/api/v1/findings?kind=${kind}&limit=1000`), "findings");

function agentConfig(node: string): string {
  const path = join(dir, `${node}.yaml`);
  const hub = node === "node-d" ? hubOther : hubShared;
  writeFileSync(
    path,
    [
      "listen: 127.0.0.1:0",
      `criEndpoint: ${lab.criEndpoint}`,
      `hostsDir: ${lab.hostsDir}`,
      `stateFile: ${join(dir, `${node}-state.json`)}`,
      "shutdownTimeout: 5s",
      "disk:\n  interval: 2s",
      "images:\n  interval: 2s",
      "prune:\n  enabled: false",
      `probes:\n  interval: 5s\n  registries: ["${lab.registry.host}"]`,
      `quota:\n  interval: 10s\n  registryUrl: ${hub.url}`,
      `kube:\n  enabled: true\n  kubeconfig: ${join(dir, "kubeconfig")}`,
      `report:\n  aggregator: ${aggregator.grpcAddress}\n  tokenFile: ${tokenFile}\n  interval: 2s`,
    ].join("\n"),
  );
  return path;
}

function failingPod(name: string, node: string, image: string) {
  return podFixture({ name, nodeName: node, image, state: "err-image-pull", imagePullSecrets: [] });
}

before(async () => {
  lab = await startLab();
  presentImage = (await lab.push(buildImage({ label: "shop/api:1.0" }), "shop/api:1.0")).ref;
  missingImage = `${lab.registry.host}/shop/api:9.9.9`;
  goneImage = `${lab.registry.host}/shop/gone:1.0`;
  hubShared = await startFaultServer({ kind: "rate-limited", limit: 100, remaining: 62, windowSeconds: 21600, source: "192.0.2.1" });
  hubOther = await startFaultServer({ kind: "rate-limited", limit: 100, remaining: 5, windowSeconds: 21600, source: "198.51.100.7" });
  writeFileSync(tokenFile, `${TOKEN}\n`);
  api = await startKubeStandIn();
  for (const node of NODES) api.putNode({ apiVersion: "v1", kind: "Node", metadata: { name: node }, status: { conditions: [] } });
  const kubeconfig = await api.writeKubeconfig(dir);
  assert.equal(kubeconfig, join(dir, "kubeconfig"));
  aggregator = await startAggregatorProcess([
    "--grpc-listen",
    "127.0.0.1:0",
    "--http-listen",
    "127.0.0.1:0",
    "--database",
    database,
    "--token-file",
    tokenFile,
  ]);
  // Seeded failures: one image failing on 50 pods across two nodes, another on one pod.
  for (let i = 0; i < 30; i++) api.putPod(failingPod(`api-a-${i}`, "node-a", missingImage));
  for (let i = 0; i < 20; i++) api.putPod(failingPod(`api-b-${i}`, "node-b", missingImage));
  api.putPod(failingPod("gone-c-0", "node-c", goneImage));
  await Promise.all(NODES.map(async (node) => agents.set(node, await startAgentProcess(["--config", agentConfig(node)], { NODE_NAME: node }))));
});

after(async () => {
  const codes = await Promise.all([...agents.values()].map((a) => a.stop()));
  await aggregator?.stop();
  await api?.close();
  await hubShared?.stop();
  await hubOther?.stop();
  await lab?.stop();
  for (const code of codes) assert.equal(code, 0);
});

test("reports arrive: every node connected, failures grouped by cause and image across nodes", async () => {
  await waitFor("four connected nodes", nodes, (n) => n.filter((x) => x.connected && !x.stale).length === 4, { timeoutMs: 40_000 });
  const groups = await waitFor(
    "the failure groups",
    failures,
    (g) =>
      g.some((x) => x.image === missingImage && x.podCount === 50 && x.cause !== "pending") && g.some((x) => x.image === goneImage && x.cause !== "pending"),
    { timeoutMs: 40_000 },
  );
  const main = groups.find((g) => g.image === missingImage);
  assert.equal(main?.cause, "not-found");
  assert.equal(main?.nodeCount, 2);
  assert.deepEqual([...(main?.nodes ?? [])].sort(), ["node-a", "node-b"]);
  assert.ok(
    (main?.fix ?? []).some((f) => f.includes("kubectl")),
    JSON.stringify(main?.fix),
  );
  const other = groups.find((g) => g.image === goneImage);
  assert.equal(other?.cause, "not-found");
  assert.equal(other?.podCount, 1);
  assert.equal(groups[0]?.image, missingImage, "the biggest group comes first");
});

test("Docker Hub quota is grouped by egress source: nodes behind one NAT share one quota", async () => {
  const quota = await waitFor(
    "two quota sources",
    () => aggregator.getJson<QuotaView>("/api/v1/quota"),
    (q) => q.sources.length === 2 && q.sources.every((s) => s.nodes.length > 0) && q.sources.reduce((n, s) => n + s.nodes.length, 0) === 4,
    { timeoutMs: 40_000 },
  );
  const shared = quota.sources.find((s) => s.source === "192.0.2.1");
  const other = quota.sources.find((s) => s.source === "198.51.100.7");
  assert.deepEqual([...(shared?.nodes ?? [])].sort(), ["node-a", "node-b", "node-c"]);
  assert.deepEqual(other?.nodes, ["node-d"]);
  assert.equal(other?.remaining, 5);
});

test("the dashboard, fed by these agents, shows the seeded failure with its fix", async () => {
  const { page, close, problems } = await openDashboard(aggregator.httpUrl);
  try {
    const card = page.locator('[data-testid="failure"][data-cause="not-found"]').filter({ hasText: missingImage });
    await card.first().waitFor({ timeout: 15_000 });
    const fix = await card.first().locator('[data-testid="fix"]').first().textContent();
    assert.match(fix ?? "", /kubectl/);
    assert.match((await card.first().textContent()) ?? "", /50 pods/);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

async function connectStream(
  token: string | undefined,
): Promise<{ call: ClientDuplexStream<AgentMessage, AggregatorMessage>; ended: Promise<ServiceError | undefined>; acks: number[] }> {
  const grpc = await import("@grpc/grpc-js");
  const { Client } = await loadAggregatorProtocol();
  const client = new Client(aggregator.grpcAddress, grpc.credentials.createInsecure());
  const metadata: Metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set("authorization", `Bearer ${token}`);
  const call = (client as unknown as { connect(m: Metadata): ClientDuplexStream<AgentMessage, AggregatorMessage> }).connect(metadata);
  const acks: number[] = [];
  call.on("data", (m: AggregatorMessage) => {
    if (m.ack) acks.push(m.ack.seq);
  });
  const ended = new Promise<ServiceError | undefined>((resolve) => {
    call.on("error", (err: ServiceError) => resolve(err));
    call.on("end", () => resolve(undefined));
  }).finally(() => client.close());
  return { call, ended, acks };
}

const hello = (node: string): AgentMessage => ({
  seq: 1,
  hello: { node, agentVersion: "test", bootId: "b", reportIntervalSeconds: 2, protocol: "pullmedic.v1" },
});

test("a wrong token, a garbage frame and a 100 MB message are refused while the agents keep reporting", async () => {
  const grpc = await import("@grpc/grpc-js");
  const before = new Map((await nodes()).map((n) => [n.node, n.lastSeenMs]));

  const wrong = await connectStream("not-the-token");
  wrong.call.write(hello("intruder"));
  const refused = await wrong.ended;
  assert.equal(refused?.code, grpc.status.UNAUTHENTICATED, refused?.message);
  assert.ok(!refused?.details.includes("not-the-token"));

  const huge = await connectStream(TOKEN);
  huge.call.write(hello("huge-node"));
  huge.call.write({ seq: 2, report: { ...emptyNodeReport(1), runtimeProblem: "x".repeat(100 * 1024 * 1024) } });
  const tooBig = await huge.ended;
  assert.equal(tooBig?.code, grpc.status.RESOURCE_EXHAUSTED, tooBig?.message);

  // A frame whose bytes are no protobuf message at all, over raw HTTP/2.
  const session = connect(`http://${aggregator.grpcAddress}`);
  const status = await new Promise<string | undefined>((resolve, reject) => {
    const req = session.request({
      ":method": "POST",
      ":path": "/pullmedic.v1.Aggregator/Connect",
      "content-type": "application/grpc",
      te: "trailers",
      authorization: `Bearer ${TOKEN}`,
    });
    let grpcStatus: string | undefined;
    req.on("response", (h) => (grpcStatus ??= h["grpc-status"] as string | undefined));
    req.on("trailers", (t) => (grpcStatus = t["grpc-status"] as string | undefined));
    req.on("error", reject);
    req.on("close", () => resolve(grpcStatus));
    req.resume();
    req.end(Buffer.concat([Buffer.from([0, 0, 0, 0, 12]), Buffer.alloc(12, 0xff)]));
  });
  session.close();
  assert.ok(status !== undefined && status !== "0", `the garbage frame got grpc-status ${status}`);

  // The real agents were not disturbed: each reported again after all that.
  await waitFor("every agent seen again", nodes, (n) => NODES.every((node) => (n.find((x) => x.node === node)?.lastSeenMs ?? 0) > (before.get(node) ?? 0)), {
    timeoutMs: 40_000,
  });
  assert.ok(!(await nodes()).some((n) => n.node === "intruder"), "the refused client left no node behind");
});

test("the aggregator killed mid-stream and restarted loses no finding", async () => {
  const diagnosed = await waitFor(
    "51 diagnoses stored",
    () => findings("diagnosis"),
    (f) => new Set(f.map((x) => x.pod)).size >= 51,
    { timeoutMs: 40_000 },
  );
  const grpcAddress = aggregator.grpcAddress;
  const httpPort = new URL(aggregator.httpUrl).port;
  assert.equal(await aggregator.stop("SIGKILL"), null);

  // While it is down, things happen on two nodes.
  api.putPod(failingPod("late-d-0", "node-d", `${lab.registry.host}/shop/late:0.1`));
  api.deletePod("shop", "gone-c-0");
  const nodeD = agents.get("node-d");
  assert.ok(nodeD);
  await waitFor(
    "node-d holding its diagnosis for the aggregator",
    async () => JSON.parse((await nodeD.get("/v1/state")).text) as { report?: { buffered: number }; pods?: { failures: { pod: string; cause?: string }[] } },
    (s) => (s.pods?.failures ?? []).some((f) => f.pod === "shop/late-d-0" && f.cause !== undefined) && (s.report?.buffered ?? 0) > 0,
    { timeoutMs: 30_000 },
  );

  aggregator = await startAggregatorProcess([
    "--grpc-listen",
    grpcAddress,
    "--http-listen",
    `127.0.0.1:${httpPort}`,
    "--database",
    database,
    "--token-file",
    tokenFile,
  ]);
  const after = await waitFor(
    "the diagnosis made while the aggregator was down",
    () => findings("diagnosis"),
    (f) => f.some((x) => x.node === "node-d" && x.pod === "shop/late-d-0"),
    { timeoutMs: 40_000 },
  );
  const pods = new Set(after.map((x) => x.pod));
  for (const f of diagnosed) assert.ok(pods.has(f.pod), `${f.pod}'s diagnosis survived the restart`);
  await waitFor(
    "the recovery made while the aggregator was down",
    () => findings("recovery"),
    (f) => f.some((x) => x.node === "node-c" && x.pod === "shop/gone-c-0"),
    { timeoutMs: 40_000 },
  );
  // Every agent's outbox empties: all it held was acknowledged.
  for (const [node, agent] of agents) {
    await waitFor(
      `${node}'s outbox empty`,
      async () => JSON.parse((await agent.get("/v1/state")).text) as { report?: { buffered: number; connected: boolean } },
      (s) => s.report?.connected === true && s.report.buffered === 0,
      { timeoutMs: 30_000 },
    );
  }
});

test("pullmedic cluster prepull asks every connected agent to pull, and reports each node's outcome", async () => {
  await waitFor("four connected nodes", nodes, (n) => n.filter((x) => x.connected).length === 4, { timeoutMs: 40_000 });
  const r = await runPullmedic(["cluster", "prepull", presentImage, "--aggregator", aggregator.httpUrl, "--token-file", tokenFile, "--timeout", "90s"]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  for (const node of NODES) assert.match(r.stdout, new RegExp(`${node}.*(pulled|unchanged)`), r.stdout);
});

test("a node that stops reporting is marked stale after three missed intervals", async () => {
  const nodeD = agents.get("node-d");
  assert.ok(nodeD);
  assert.equal(await nodeD.stop("SIGKILL"), null);
  agents.delete("node-d");
  const view = await waitFor("node-d stale", nodes, (n) => n.find((x) => x.node === "node-d")?.stale === true, { timeoutMs: 30_000 });
  assert.equal(view.find((x) => x.node === "node-d")?.connected, false);
  assert.equal(view.find((x) => x.node === "node-a")?.stale, false);
});
