import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { loadAggregatorConfig, type RunningAggregator, startAggregator } from "../../aggregator/index.js";
import { createLogger } from "../../core/log/log.js";
import { type AgentMessage, type AggregatorMessage, emptyNodeReport, loadAggregatorProtocol, PROTOCOL } from "../../core/protocol/protocol.js";
import { type KubeStandIn, podFixture, startKubeStandIn } from "../support/kube-apiserver.js";
import { waitFor } from "../support/wait.js";

// Issue 14, item 7: the shared token was every node's identity. Here agents present projected
// service-account tokens (audience "pullmedic"); the aggregator asks the API server (the stand-in)
// whose each token is and which node its pod runs on, and a token from node A that says hello as
// node B is refused with PERMISSION_DENIED while B's own stream and report stay as they were.

const dir = mkdtempSync(join(tmpdir(), "pm-identity-"));
const log = createLogger("cli", "error");
const AGENTS = "pullmedic:pullmedic-agent";
let api: KubeStandIn;
let agg: RunningAggregator;

/** A pod-bound token for the agent pod on `node`; `node` undefined leaves the node claim out (Kubernetes before 1.30). */
function agentToken(token: string, node: string, opts: { claimNode?: boolean; serviceAccount?: string; audiences?: string[] } = {}): void {
  const serviceAccount = opts.serviceAccount ?? AGENTS;
  const namespace = serviceAccount.split(":")[0];
  const pod = api.putPod(podFixture({ name: `pullmedic-agent-${token}`, namespace, nodeName: node, image: "pullmedic:0.1.0" }));
  api.addPodToken({
    token,
    serviceAccount,
    pod: { name: pod.metadata.name, uid: pod.metadata.uid ?? "" },
    ...(opts.claimNode === false ? {} : { node }),
    audiences: opts.audiences ?? ["pullmedic"],
  });
}

before(async () => {
  api = await startKubeStandIn();
  const kubeconfig = await api.writeKubeconfig(dir);
  agentToken("token-a", "node-a");
  agentToken("token-b", "node-b");
  const config = await loadAggregatorConfig({
    env: {},
    flags: {
      grpcListen: "127.0.0.1:0",
      httpListen: "127.0.0.1:0",
      database: join(dir, "agg.db"),
      agentAuth: "serviceAccountToken",
      "kube.kubeconfig": kubeconfig,
    },
  });
  agg = await startAggregator(config, log, { env: {} });
});

after(async () => {
  await agg?.stop();
  await api?.close();
});

/** A raw agent stream with `token`, as the reporter opens one. */
class Stream {
  readonly acks: number[] = [];
  readonly status: Promise<grpc.StatusObject>;
  private seq = 0;
  private readonly call: grpc.ClientDuplexStream<AgentMessage, AggregatorMessage>;

  constructor(client: grpc.Client, token: string | undefined) {
    const md = new grpc.Metadata();
    if (token !== undefined) md.set("authorization", `Bearer ${token}`);
    this.call = (client as unknown as { Connect(md: grpc.Metadata): grpc.ClientDuplexStream<AgentMessage, AggregatorMessage> }).Connect(md);
    this.status = new Promise((resolve) => this.call.on("status", resolve));
    this.call.on("error", () => undefined);
    this.call.on("data", (m: AggregatorMessage) => {
      if (m.ack) this.acks.push(Number(m.ack.seq));
    });
  }

  hello(node: string): number {
    return this.send({ hello: { node, agentVersion: "0.1.0-test", bootId: `boot-${node}`, reportIntervalSeconds: 10, protocol: PROTOCOL } });
  }

  report(runtime: string): number {
    return this.send({ report: { ...emptyNodeReport(Date.now()), runtime } });
  }

  send(body: Omit<AgentMessage, "seq">): number {
    const seq = ++this.seq;
    this.call.write({ seq, ...body });
    return seq;
  }

  acked(seq: number): Promise<unknown> {
    return waitFor(
      `ack ${seq}`,
      () => this.acks,
      (acks) => acks.includes(seq),
      { timeoutMs: 10_000 },
    );
  }

  end(): void {
    this.call.end();
  }
}

const clients: grpc.Client[] = [];
async function stream(token: string | undefined): Promise<Stream> {
  const { Client } = await loadAggregatorProtocol();
  const client = new Client(agg.grpcAddress, grpc.credentials.createInsecure(), { "grpc.enable_retries": 0 });
  clients.push(client);
  return new Stream(client, token);
}
after(() => {
  for (const c of clients) c.close();
});

async function nodes(): Promise<{ node: string; connected: boolean; runtime?: string }[]> {
  return ((await (await fetch(`${agg.httpUrl}/api/v1/nodes`)).json()) as { nodes: { node: string; connected: boolean; runtime?: string }[] }).nodes;
}

async function rejected(reason: string): Promise<number> {
  const text = await (await fetch(`${agg.httpUrl}/metrics`)).text();
  return Number(new RegExp(`pullmedic_aggregator_messages_rejected_total\\{reason="${reason}"\\} (\\d+)`).exec(text)?.[1] ?? "NaN");
}

test("a token from node A cannot report as node B: its hello as B is PERMISSION_DENIED, B's stream and report stay", async () => {
  const b = await stream("token-b");
  b.hello("node-b");
  await b.acked(b.report("containerd 2.0 (the real node-b)"));
  const forbiddenBefore = await rejected("forbidden");

  const spoof = await stream("token-a");
  spoof.hello("node-b");
  spoof.report("a spoofed report");
  const refused = await spoof.status;
  assert.equal(refused.code, grpc.status.PERMISSION_DENIED);
  assert.match(refused.details, /pod pullmedic\/pullmedic-agent-token-a .* runs on node "node-a" and may speak only for it, not for "node-b"/);
  assert.equal(await rejected("forbidden"), forbiddenBefore + 1);

  // B's stream was not replaced: it still takes reports, and the view is B's own.
  await b.acked(b.report("containerd 2.0 (the real node-b, later)"));
  const viewB = (await nodes()).find((n) => n.node === "node-b");
  assert.ok(viewB?.connected);
  assert.equal(viewB.runtime, "containerd 2.0 (the real node-b, later)");

  // The same token speaks for its own node.
  const a = await stream("token-a");
  a.hello("node-a");
  await a.acked(a.report("containerd 2.0 (node-a)"));
  a.end();
  b.end();
});

test("only a pullmedic token of the agents' service account is an agent: another audience, another account, nobody's, none", async () => {
  agentToken("token-kube-audience", "node-c", { audiences: ["https://kubernetes.default.svc.cluster.local"] });
  agentToken("token-other-sa", "node-c", { serviceAccount: "shop:web" });
  const cases: [string | undefined, grpc.status, RegExp][] = [
    ["token-kube-audience", grpc.status.UNAUTHENTICATED, /not accept the token .*invalid for the target audiences \["pullmedic"\]/],
    [
      "token-other-sa",
      grpc.status.PERMISSION_DENIED,
      /system:serviceaccount:shop:web is not the agents' service account \(system:serviceaccount:pullmedic:pullmedic-agent\)/,
    ],
    ["not-a-token-anyone-was-given", grpc.status.UNAUTHENTICATED, /does not accept the token/],
    [undefined, grpc.status.UNAUTHENTICATED, /missing credentials: .*service-account token projected for the aggregator/],
  ];
  for (const [token, code, details] of cases) {
    const s = await stream(token);
    s.hello("node-c");
    const st = await s.status;
    assert.equal(st.code, code, `${token}: ${st.details}`);
    assert.match(st.details, details);
    if (token !== undefined) assert.ok(!st.details.includes(token), "the token is never repeated");
  }
  assert.ok(!(await nodes()).some((n) => n.node === "node-c"), "none of them said hello");
});

test("before Kubernetes 1.30 a token names its pod but not its node: the pod says where it runs", async () => {
  agentToken("token-old-d", "node-d", { claimNode: false });
  const spoof = await stream("token-old-d");
  spoof.hello("node-a");
  const st = await spoof.status;
  assert.equal(st.code, grpc.status.PERMISSION_DENIED);
  assert.match(st.details, /runs on node "node-d"/);
  const d = await stream("token-old-d");
  d.hello("node-d");
  await d.acked(d.report("containerd (node-d)"));
  d.end();
  const reads = api.requests().filter((r) => r.method === "GET" && r.path === "/api/v1/namespaces/pullmedic/pods/pullmedic-agent-token-old-d");
  assert.equal(reads.length, 1, "the pod's node is read once and remembered");
});

test("a token whose pod is gone is refused; an API server that cannot answer means try again (UNAVAILABLE), and is not remembered", async () => {
  agentToken("token-e", "node-e");
  api.deletePod("pullmedic", "pullmedic-agent-token-e");
  const gone = await stream("token-e");
  gone.hello("node-e");
  assert.equal((await gone.status).code, grpc.status.UNAUTHENTICATED);

  agentToken("token-f", "node-f");
  api.failNext(1, 503);
  const down = await stream("token-f");
  down.hello("node-f");
  const st = await down.status;
  assert.equal(st.code, grpc.status.UNAVAILABLE);
  assert.match(st.details, /cannot create tokenreviews: .*503/);
  const retry = await stream("token-f");
  retry.hello("node-f");
  await retry.acked(retry.report("containerd (node-f)"));
  retry.end();
});

test("reconnects reuse the review: one TokenReview per token while it is remembered", async () => {
  agentToken("token-g", "node-g");
  const before = api.reviewCounts().tokenReviews;
  for (let i = 0; i < 3; i++) {
    const g = await stream("token-g");
    g.hello("node-g");
    await g.acked(g.report(`containerd (node-g, connect ${i + 1})`));
    g.end();
    await g.status;
  }
  assert.equal(api.reviewCounts().tokenReviews - before, 1);
});
