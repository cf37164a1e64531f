// The Grafana dashboard tested for real: a real Prometheus (Debian's, on loopback, in a temporary
// directory) scrapes a real agent and a real aggregator running on the lab with the demo's
// failures in it, and every panel's query, evaluated through Prometheus' HTTP API, returns data.
// On the same scrapes, `promtool check metrics` finds nothing to fix in either /metrics, and the
// alerts' expressions see the seeded causes. Beside the demo's failures, one pull is left stalled
// on the lab's containerd (a registry that stops sending part-way through a layer), for the pulls
// panels and PullmedicPullStalled.

import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { DEMO_NODE, type DemoScene, startDemoScene } from "../demo/scene.js";
import { writeRegistryHost } from "../lab/containerd.js";
import { multiLayerImage } from "../pulls/image.js";
import { type AgentProcess, startAgentProcess } from "../support/agent-process.js";
import { type AggregatorProcess, startAggregatorProcess } from "../support/aggregator-process.js";
import { closedPort } from "../support/net.js";
import { startTrickleRegistry, type TrickleRegistry } from "../support/trickle-registry.js";
import { waitFor } from "../support/wait.js";
import { chartDir } from "./chart.js";

interface Target {
  expr: string;
  refId: string;
}
interface Panel {
  title: string;
  type: string;
  targets?: Target[];
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync(join(chartDir, "files", "grafana-dashboard.json"), "utf8")) as {
  panels: Panel[];
  templating: { list: { name: string; query?: unknown }[] };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== "row");

let scene: DemoScene;
let aggregator: AggregatorProcess;
let agent: AgentProcess;
let prometheus: ChildProcess;
let promUrl = "";
let promLog = "";
let stalling: TrickleRegistry;
let runtime: RuntimeClient;
const MiB = 1024 * 1024;

async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${promUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  assert.equal(body.status, "success", `${expr}: ${body.error}`);
  return body.data?.result ?? [];
}

/** A panel's expression as Grafana sends it with every variable at "All". */
function expand(expr: string): string {
  return expr.replaceAll("$node", ".*").replaceAll("$registry", ".*").replaceAll("$__rate_interval", "1m");
}

before(async () => {
  scene = await startDemoScene();
  const tokenFile = join(scene.dir, "token");
  writeFileSync(tokenFile, `${randomBytes(24).toString("hex")}\n`);
  aggregator = await startAggregatorProcess([
    "--grpc-listen",
    "127.0.0.1:0",
    "--http-listen",
    "127.0.0.1:0",
    "--database",
    join(scene.dir, "aggregator.db"),
    "--token-file",
    tokenFile,
  ]);
  const agentConfig = scene.agentConfig({ report: { aggregator: aggregator.grpcAddress, tokenFile } });
  // A stall is seen after 5 s without a byte rather than the default minute.
  appendFileSync(agentConfig, "pulls:\n  interval: 1s\n  stallAfter: 5s\n");
  agent = await startAgentProcess(["--config", agentConfig], { NODE_NAME: DEMO_NODE });
  // The stalled pull: 2 MiB of a 6 MiB layer, then nothing, through a registry in front of the lab's.
  await scene.lab.push(multiLayerImage([6 * MiB], "shop/stuck"), "shop/stuck:1");
  stalling = await startTrickleRegistry(scene.lab.registry.url, { bytesPerSecond: 8 * MiB, stallAfterBytes: 2 * MiB });
  writeRegistryHost(scene.lab.hostsDir, stalling.host);
  runtime = await RuntimeClient.connect({ endpoint: scene.lab.criEndpoint });
  void runtime.pullImage(`${stalling.host}/shop/stuck:1`, { timeoutMs: 600_000 }).catch(() => undefined);
  const port = await closedPort();
  promUrl = `http://127.0.0.1:${port}`;
  const config = {
    global: { scrape_interval: "1s", evaluation_interval: "1s" },
    scrape_configs: [
      { job_name: "pullmedic-agent", static_configs: [{ targets: [new URL(agent.url).host], labels: { node: DEMO_NODE } }] },
      { job_name: "pullmedic-aggregator", static_configs: [{ targets: [new URL(aggregator.httpUrl).host] }] },
    ],
  };
  writeFileSync(join(scene.dir, "prometheus.yml"), JSON.stringify(config));
  prometheus = spawn(
    "/usr/bin/prometheus",
    [
      `--config.file=${join(scene.dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(scene.dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-lifecycle",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  prometheus.stderr?.on("data", (d: Buffer) => (promLog = `${promLog}${d}`.slice(-20_000)));
  await waitFor(
    "Prometheus scraping both targets",
    async () => {
      try {
        return await query('up{job=~"pullmedic-.*"} == 1');
      } catch {
        return [];
      }
    },
    (r) => r.length === 2,
    { timeoutMs: 60_000 },
  );
});

after(async () => {
  await stalling?.stop();
  runtime?.close();
  prometheus?.kill("SIGTERM");
  await agent?.stop();
  await aggregator?.stop();
  await scene?.stop();
});

test("every seeded failure is diagnosed with its cause by the real agent", async () => {
  const want = scene.failures.map((f) => `${f.pod}=${f.cause}`).sort();
  await waitFor(
    "the agent's diagnoses of the seeded pods",
    async () => {
      const state = JSON.parse((await agent.get("/v1/state")).text) as { pods?: { failures: { pod: string; cause?: string }[] } };
      return (state.pods?.failures ?? []).map((f) => `${f.pod.split("/")[1]}=${f.cause}`).sort();
    },
    (got) => JSON.stringify(got) === JSON.stringify(want),
    { timeoutMs: 90_000 },
  );
});

test("every panel's query returns data from the real agent and aggregator, through Prometheus' HTTP API", async () => {
  assert.ok(panels.length >= 12, `${panels.length} panels`);
  const missing = await waitFor(
    "every panel's query to return data",
    async () => {
      const empty: string[] = [];
      for (const p of panels) for (const t of p.targets ?? []) if ((await query(expand(t.expr))).length === 0) empty.push(`${p.title} [${t.refId}]: ${t.expr}`);
      return empty;
    },
    (empty) => empty.length === 0,
    { timeoutMs: 120_000, intervalMs: 2000 },
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\nPrometheus said: ${promLog.slice(-2000)}`);
  });
  assert.deepEqual(missing, []);
});

test("the dashboard's variables list this node and the probed registries", async () => {
  const values = async (metric: string, label: string) => {
    const res = await fetch(`${promUrl}/api/v1/label/${label}/values?${new URLSearchParams({ "match[]": metric })}`);
    return ((await res.json()) as { data: string[] }).data;
  };
  assert.deepEqual(await values("pullmedic_images", "node"), [DEMO_NODE]);
  assert.ok((await values("pullmedic_registry_up", "registry")).length >= 5);
  for (const v of ["node", "registry"]) {
    const def = dashboard.templating.list.find((x) => x.name === v);
    assert.ok(def, `variable ${v}`);
  }
});

test("promtool check metrics finds nothing to fix in the agent's /metrics nor the aggregator's", async () => {
  for (const url of [`${agent.url}/metrics`, `${aggregator.httpUrl.replace(/\/$/, "")}/metrics`]) {
    const text = await (await fetch(url)).text();
    assert.match(text, /^pullmedic_/m);
    const r = spawnSync("/usr/bin/promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    assert.equal(`${r.stdout}${r.stderr}`.trim(), "", `${url}`);
    assert.equal(r.status, 0);
  }
});

test("the alerts' expressions see the seeded causes", async () => {
  const rules = (
    parseYaml(readFileSync(join(chartDir, "files", "pullmedic.rules.yaml"), "utf8")) as { groups: { rules: { alert: string; expr: string }[] }[] }
  ).groups.flatMap((g) => g.rules);
  const expr = (name: string) => rules.find((r) => r.alert === name)?.expr ?? "";
  const expectSeen = async (alert: string, check: (labels: Record<string, string>[]) => boolean) => {
    const seen = await waitFor(`${alert}'s expression`, async () => (await query(expr(alert))).map((r) => r.metric), check, {
      timeoutMs: 60_000,
      intervalMs: 2000,
    });
    assert.ok(check(seen));
  };
  const causes = new Set(scene.failures.map((f) => f.cause));
  await expectSeen("PullmedicPullsFailing", (l) => causes.size === new Set(l.map((x) => x["cause"])).size && l.every((x) => x["namespace"] === "shop"));
  await expectSeen("PullmedicRegistryUnreachableFromAllNodes", (l) => l.length >= 1);
  await expectSeen("PullmedicRegistryCertificateExpired", (l) => l.length === 1);
  await expectSeen("PullmedicDockerHubQuotaLow", (l) => l.some((x) => x["source"] === "203.0.113.7"));
  await expectSeen("PullmedicPrepullFailing", (l) => l.some((x) => x["image"] === scene.failures[1]?.image));
  // No pod waits for the stalled pull, so its registry comes from the runtime's labels, which name
  // the host without the port (agent/pulls/view.ts).
  const stalledRegistry = stalling.host.replace(/:\d+$/, "");
  await expectSeen("PullmedicPullStalled", (l) => l.length === 1 && l[0]?.["registry"] === stalledRegistry && l[0]?.["node"] === DEMO_NODE);
});
