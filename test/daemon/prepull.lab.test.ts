import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { buildImage, type FaultServer, type Lab, startFaultServer, startLab } from "../lab/index.js";
import { type AgentProcess, startAgentProcess } from "../support/agent-process.js";
import { waitFor } from "../support/wait.js";

// The agent's pre-puller as it runs on a node: targets from the config, a round at start-up,
// statuses in /v1/state and /metrics, against the lab's real containerd and registry.

let lab: Lab;
let slow: FaultServer;
const refs: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "pm-prepull-agent-"));

before(async () => {
  lab = await startLab();
  for (const name of ["critical/api:1.0", "critical/worker:2.0"]) refs.push((await lab.push(buildImage({ label: name, padBytes: 512 * 1024 }), name)).ref);
  // A registry whose blobs arrive slowly: a pull of these takes seconds.
  slow = await startFaultServer({ kind: "trickle", bytesPerSecond: 256 * 1024 }, [
    { repo: "slow/once", tag: "1.0", image: buildImage({ label: "slow-once", padBytes: 1024 * 1024 }) },
    { repo: "slow/stuck", tag: "1.0", image: buildImage({ label: "slow-stuck", padBytes: 4 * 1024 * 1024 }) },
  ]);
});

after(async () => {
  await slow?.stop();
  await lab?.stop();
});

function agentConfig(name: string, lines: string[]): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    [
      "listen: 127.0.0.1:0",
      `criEndpoint: ${lab.criEndpoint}`,
      `hostsDir: ${lab.hostsDir}`,
      `stateFile: ${join(dir, `${name}-state.json`)}`,
      "quota:\n  enabled: false",
      "probes:\n  enabled: false",
      ...lines,
    ].join("\n"),
  );
  return path;
}

function prepullLines(agent: AgentProcess): string[] {
  return agent.logs.map((l) => String(l["message"] ?? "")).filter((m) => m.startsWith("prepull: "));
}

test("a node that starts gets its critical images at once, and reports each one", async () => {
  const config = join(dir, "agent.yaml");
  writeFileSync(
    config,
    [
      "listen: 127.0.0.1:0",
      `criEndpoint: ${lab.criEndpoint}`,
      `hostsDir: ${lab.hostsDir}`,
      `stateFile: ${join(dir, "state.json")}`,
      "quota:\n  enabled: false",
      "probes:\n  enabled: false",
      "prepull:",
      `  images: ["${refs[0]}", { image: "${refs[1]}" }, "${lab.registry.host}/critical/missing:9.9"]`,
      '  schedule: "0 0 1 1 *"',
    ].join("\n"),
  );
  const agent = await startAgentProcess(["--config", config]);
  try {
    const state = await waitFor(
      "the start-up pre-pull round",
      async () =>
        JSON.parse((await agent.get("/v1/state")).text) as {
          checks: Record<string, { result?: { image: string; state: string; action?: string; cause?: string; digest?: string }[] }>;
        },
      (s) => (s.checks["prepull"]?.result?.length ?? 0) === 3 && s.checks["prepull"]?.result?.every((r) => r.action !== undefined) === true,
    );
    const byImage = new Map(state.checks["prepull"]?.result?.map((r) => [r.image, r]));
    for (const ref of refs) {
      assert.equal(byImage.get(ref)?.action, "pulled", JSON.stringify(byImage.get(ref)));
      assert.match(byImage.get(ref)?.digest ?? "", /^sha256:[0-9a-f]{64}$/);
    }
    const missing = byImage.get(`${lab.registry.host}/critical/missing:9.9`);
    assert.equal(missing?.action, "failed");
    assert.equal(missing?.cause, "not-found");
    const metrics = (await agent.get("/metrics")).text;
    assert.match(metrics, new RegExp(`^pullmedic_prepull_image_state\\{image="${refs[0]?.replace(/[.]/g, "\\.")}",state="present"\\} 1$`, "m"));
    assert.match(metrics, /^pullmedic_prepull_image_bytes\{image="[^"]+"\} \d+$/m);
  } finally {
    assert.equal(await agent.stop(), 0);
  }
  const client = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
  try {
    const tags = (await client.listImages()).flatMap((i) => i.repoTags);
    for (const ref of refs) assert.ok(tags.includes(ref), `${ref} is on the node`);
  } finally {
    client.close();
  }
});

test("rounds never overlap: a scheduled round that comes during the start-up round finds the image it pulled", async () => {
  const image = `${slow.host}/slow/once:1.0`;
  // Every second, with no random delay: the schedule fires while the start-up pull still runs.
  const config = agentConfig("overlap", ["prepull:", `  images: ["${image}"]`, '  schedule: "* * * * * *"', "  jitter: 0s"]);
  const agent = await startAgentProcess(["--config", config]);
  try {
    await waitFor(
      "two pre-pull rounds",
      async () => prepullLines(agent),
      (lines) => lines.length >= 2,
      { timeoutMs: 30_000 },
    );
    const [first, second] = prepullLines(agent);
    assert.match(first ?? "", /^prepull: 1 pulled, 0 unchanged/, prepullLines(agent).join("\n"));
    assert.match(second ?? "", /^prepull: 0 pulled, 1 unchanged/, prepullLines(agent).join("\n"));
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});

test("SIGTERM during a pull abandons it: exit 0 without waiting out the pull's deadline or the back-off", async () => {
  // The pull stalls with a 10 min deadline and a back-off of minutes after it; shutdown allows 1 s.
  const config = agentConfig("shutdown", [
    "shutdownTimeout: 1s",
    "prepull:",
    `  images: ["${slow.host}/slow/stuck:1.0"]`,
    '  schedule: "0 0 1 1 *"',
    "  pullDeadline: 10m",
    "  retries: { attempts: 3, baseDelay: 10m, maxDelay: 1h }",
  ]);
  const agent = await startAgentProcess(["--config", config]);
  await waitFor(
    "the first pull attempt",
    async () => slow.requests.some((r) => r.method === "GET" && r.path.includes("/slow/stuck/blobs/")),
    (seen) => seen,
  );
  // Waiting on the exit for minutes would mean the pull was waited out: fail well before that.
  const exited = await Promise.race([agent.stop("SIGTERM"), new Promise<"still running">((r) => setTimeout(() => r("still running"), 60_000).unref())]);
  assert.equal(exited, 0, agent.stderr());
  assert.ok(
    agent.logs.some((l) => /abandoned .*prepull/.test(String(l["message"]))),
    JSON.stringify(agent.logs.slice(-5)),
  );
});
