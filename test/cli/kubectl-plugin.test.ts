// `kubectl pullmedic` against the API stand-in, the way a person runs it: their kubeconfig, the API
// server's pod proxy to the agent on the pod's node and its service proxy to the aggregator (here
// small HTTP servers answering as they do), and through a real kubectl binary (from the aws-cdk
// kubectl layer), which finds the plugin on PATH. `pullmedic cleanup` removes the node conditions.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { KubeEvent, Pod } from "../../agent/kube/index.js";
import { type CliRun, runPullmedic } from "../support/cli.js";
import { type KubeStandIn, podFixture, startKubeStandIn } from "../support/kube-apiserver.js";
import { layerTool } from "../support/layer-tools.js";
import { listenOnLoopback } from "../support/net.js";

const root = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "pm-plugin-"));
const NODE = "node-1";
let api: KubeStandIn;
let kubeconfig = "";
let agentHeaders: IncomingHttpHeaders[] = [];
let prepullStatus = 202;
const servers: Server[] = [];

function plugin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "cli/kubectl-pullmedic.ts"), ...args], {
      cwd: root,
      env: { ...process.env, KUBECONFIG: kubeconfig, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function serve(
  handler: (path: string, method: string, headers: IncomingHttpHeaders, body: string) => { status: number; body: unknown },
): Promise<string> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d));
    req.on("end", () => {
      const a = handler(req.url ?? "/", req.method ?? "GET", req.headers, body);
      res.writeHead(a.status, { "content-type": "application/json" });
      res.end(JSON.stringify(a.body));
    });
  });
  servers.push(server);
  return `http://127.0.0.1:${await listenOnLoopback(server)}`;
}

const failingPod = (name: string) => podFixture({ name, namespace: "shop", nodeName: NODE, image: "registry.example/shop/api:9.9", state: "err-image-pull" });

before(async () => {
  api = await startKubeStandIn();
  kubeconfig = await api.writeKubeconfig(dir);
  const agentUrl = await serve((path, _m, headers) => {
    agentHeaders.push(headers);
    if (path !== "/v1/state") return { status: 404, body: {} };
    return {
      status: 200,
      body: {
        pods: {
          failures: [
            {
              pod: "shop/api-2",
              container: "api",
              image: "registry.example/shop/api:9.9",
              cause: "not-found",
              summary: "the tag 9.9 does not exist in registry.example/shop/api",
              fix: ["kubectl set image deployment/api api=registry.example/shop/api:1.2 -n shop"],
            },
          ],
        },
      },
    };
  });
  const aggregatorUrl = await serve((path, method, _h, body) => {
    if (path === "/api/v1/nodes")
      return {
        status: 200,
        body: {
          nodes: [
            {
              node: NODE,
              connected: true,
              stale: false,
              lastReportMs: Date.now() - 5000,
              runtime: "containerd 1.7.24",
              runtimeProblem: "",
              failures: 2,
              checkErrors: {},
              agentVersion: "0.1.0",
            },
            {
              node: "node-2",
              connected: false,
              stale: true,
              lastReportMs: 0,
              runtime: "",
              runtimeProblem: "",
              failures: 0,
              checkErrors: { probes: "dns" },
              agentVersion: "0.1.0",
            },
          ],
        },
      };
    if (path === "/api/v1/failures")
      return {
        status: 200,
        body: {
          failures: [
            {
              cause: "not-found",
              image: "registry.example/shop/api:9.9",
              summary: "the tag 9.9 does not exist",
              fix: ["kubectl set image …"],
              pods: [{ pod: "shop/api-1", node: NODE, container: "api" }],
              podCount: 1,
              nodes: [NODE],
              nodeCount: 1,
              sinceMs: Date.now() - 60_000,
            },
          ],
        },
      };
    if (path === "/api/v1/prepull" && method === "POST") {
      if (prepullStatus !== 202) return { status: prepullStatus, body: { error: "a bearer token is required" } };
      return {
        status: 202,
        body: { id: "cmd-1", images: (JSON.parse(body) as { images: string[] }).images, plan: [{ node: NODE, notBeforeMs: Date.now() }], skipped: [] },
      };
    }
    return { status: 404, body: { error: "no such view" } };
  });
  const agentPort = new URL(agentUrl).port;
  const agentPod = podFixture({
    name: "pullmedic-agent-x7k2p",
    namespace: "pullmedic",
    nodeName: NODE,
    image: "registry.example.com/pullmedic:0.1.0",
    labels: { "app.kubernetes.io/name": "pullmedic", "app.kubernetes.io/component": "agent" },
  }) as Pod & { status: { podIP?: string }; spec: { containers: { ports?: unknown[] }[] } };
  agentPod.status.podIP = "127.0.0.1";
  (agentPod.spec.containers[0] as { ports?: unknown[] }).ports = [{ name: "http", containerPort: Number(agentPort), protocol: "TCP" }];
  api.putPod(agentPod);
  api.putService("pullmedic", "pullmedic-aggregator", { http: aggregatorUrl });
  const withEvent = api.putPod(failingPod("api-1"));
  api.putPod(failingPod("api-2"));
  api.putPod(podFixture({ name: "web-1", namespace: "shop", nodeName: NODE, image: "nginx:1.27", state: "running" }));
  const event: KubeEvent = {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: "api-1.17f", namespace: "shop" },
    involvedObject: { apiVersion: "v1", kind: "Pod", namespace: "shop", name: "api-1", uid: withEvent.metadata.uid ?? "", fieldPath: "spec.containers{api}" },
    reason: "PullDiagnosis",
    message: "not-found: the tag 9.9 does not exist in registry.example/shop/api (pullmedic, from node-1)",
    type: "Warning",
    count: 1,
    firstTimestamp: new Date().toISOString(),
    lastTimestamp: new Date().toISOString(),
    source: { component: "pullmedic", host: NODE },
  };
  api.putEvent(event);
  for (const [name, conditions] of [
    [
      NODE,
      [
        { type: "Ready", status: "True", reason: "KubeletReady" },
        { type: "RegistryUnreachable", status: "True", reason: "RegistryUnreachable" },
        { type: "ImageFsPressure", status: "False", reason: "ImageFsOk" },
      ],
    ],
    ["node-2", [{ type: "Ready", status: "True", reason: "KubeletReady" }]],
  ] as const) {
    api.putNode({ apiVersion: "v1", kind: "Node", metadata: { name }, status: { conditions: conditions.map((c) => ({ ...c })) } });
  }
});

after(async () => {
  for (const s of servers) s.close();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("kubectl pullmedic why", () => {
  test("answers from the pod's PullDiagnosis Event when there is one", async () => {
    const r = await plugin(["why", "api-1", "-n", "shop"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /shop\/api-1 on node-1: pullmedic's diagnosis \(PullDiagnosis Event\)/);
    assert.match(r.stdout, /not-found: the tag 9\.9 does not exist/);
  });

  test("without an Event, asks the agent on the pod's node through the API server's pod proxy, without passing the user's token on", async () => {
    agentHeaders = [];
    const r = await plugin(["why", "api-2", "--namespace", "shop", "-o", "json"]);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { source: string; agent: string; failures: { cause: string; fix: string[] }[] };
    assert.equal(out.source, "agent");
    assert.equal(out.agent, "pullmedic/pullmedic-agent-x7k2p");
    assert.equal(out.failures[0]?.cause, "not-found");
    assert.ok(api.requests().some((q) => /^\/api\/v1\/namespaces\/pullmedic\/pods\/pullmedic-agent-x7k2p:\d+\/proxy\/v1\/state$/.test(q.path)));
    assert.equal(agentHeaders.length, 1);
    assert.equal(agentHeaders[0]?.authorization, undefined, "the API server keeps the caller's credentials to itself");
  });

  test("a pod that is not failing: exit 0; a pod that does not exist: exit 2; no access to the proxy: the API's words", async () => {
    const ok = await plugin(["why", "web-1", "-n", "shop"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /knows no pull failure of this pod/);
    const missing = await plugin(["why", "nope", "-n", "shop"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /pod nope not found in namespace shop/);
  });
});

describe("kubectl pullmedic failures, nodes, prepull (the aggregator through the service proxy)", () => {
  test("nodes: a table, wider with -o wide, kind/name with -o name", async () => {
    const r = await plugin(["nodes"]);
    assert.equal(r.code, 1, "a stale node is a problem");
    assert.match(r.stdout, /^NODE\s+STATE\s+FAILURES\s+RUNTIME\nnode-1\s+reporting\s+2\s+containerd 1\.7\.24\nnode-2\s+stale\s+0\s+—\n$/);
    const wide = await plugin(["nodes", "-o", "wide"]);
    assert.match(wide.stdout, /PROBLEMS/);
    assert.match(wide.stdout, /probes: dns/);
    assert.equal((await plugin(["nodes", "-o", "name"])).stdout, "node/node-1\nnode/node-2\n");
    assert.ok(api.requests().some((q) => q.path === "/api/v1/namespaces/pullmedic/services/pullmedic-aggregator:http/proxy/api/v1/nodes"));
  });

  test("failures: grouped by cause and image; -o yaml", async () => {
    const r = await plugin(["failures"]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /not-found\s+registry\.example\/shop\/api:9\.9\s+1\s+1\s+1m ago/);
    assert.match((await plugin(["failures", "-o", "yaml"])).stdout, /^failures:\n {2}- cause: not-found/);
  });

  test("prepull: the plan; an aggregator that wants its own token is bad usage, said so", async () => {
    const r = await plugin(["prepull", "nginx:1.27"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pre-pull cmd-1: nginx:1\.27 on 1 node\(s\)\n {2}node-1\n/);
    prepullStatus = 401;
    const refused = await plugin(["prepull", "nginx:1.27"]);
    prepullStatus = 202;
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /wants its own token/);
  });

  test("RBAC: a user without services/proxy gets the API server's 403 with what grants it", async () => {
    api.deny("get", "services/proxy", "pullmedic");
    const r = await plugin(["failures"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot get resource "services\/proxy"/);
    assert.match(r.stderr, /pullmedic-user ClusterRole/);
  });
});

describe("through a real kubectl", () => {
  let binDir = "";
  before(() => {
    binDir = mkdtempSync(join(tmpdir(), "pm-kubectl-bin-"));
    // What `npm install -g` puts on PATH, pointing at the source tree.
    writeFileSync(join(binDir, "kubectl-pullmedic"), `#!/bin/sh\nexec "${process.execPath}" --import tsx "${join(root, "cli/kubectl-pullmedic.ts")}" "$@"\n`);
    chmodSync(join(binDir, "kubectl-pullmedic"), 0o755);
  });
  after(() => rmSync(binDir, { recursive: true, force: true }));

  // Not spawnSync: the stand-in answers from this very process.
  const kubectl = (args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const env = { ...process.env, PATH: `${binDir}:${process.env.PATH}`, KUBECONFIG: kubeconfig, HOME: dir };
      const child = spawn(layerTool("kubectl", 4), args, { env, cwd: root });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d));
      child.stderr.on("data", (d: Buffer) => (stderr += d));
      child.on("error", reject);
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    });

  test("kubectl plugin list shows it", async () => {
    const r = await kubectl(["plugin", "list"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${binDir}/kubectl-pullmedic`));
  });

  test("kubectl pullmedic why works", async () => {
    const r = await kubectl(["pullmedic", "why", "api-2", "-n", "shop"]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /the agent's diagnosis \(no Event yet\)[\s\S]*cause: not-found[\s\S]*fix: kubectl set image/);
  });
});

test("pullmedic cleanup removes the conditions the agents own, and nothing else", async () => {
  const dry = await runPullmedic(["cleanup", "--dry-run", "--kubeconfig", kubeconfig]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.stdout, "node-1: would remove RegistryUnreachable, ImageFsPressure\n");
  assert.equal(api.nodeStatusPatches().length, 0);
  const r = await runPullmedic(["cleanup", "--kubeconfig", kubeconfig, "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { dryRun: false, nodes: [{ node: "node-1", removed: ["RegistryUnreachable", "ImageFsPressure"] }] });
  const nodes = (await (await fetch(`${api.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${api.token}` } })).json()) as {
    items: { metadata: { name: string }; status: { conditions: { type: string }[] } }[];
  };
  for (const n of nodes.items)
    assert.deepEqual(
      n.status.conditions.map((c) => c.type),
      ["Ready"],
      n.metadata.name,
    );
  const again = await plugin(["cleanup"]);
  assert.equal(again.stdout, "no node carries a pullmedic condition\n");
});
