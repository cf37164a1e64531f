import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { buildImage, type FaultServer, type Lab, startFaultServer, startLab } from "../lab/index.js";
import { createPod } from "../lab/pods.js";
import { type AgentProcess, startAgentProcess } from "../support/agent-process.js";
import { runPullmedic } from "../support/cli.js";
import { waitFor } from "../support/wait.js";

// The agent as it runs on a node: a real process against the lab's containerd and registry,
// read through its HTTP endpoints. Docker Hub is the stand-in server (it cannot run here).

let lab: Lab;
let hub: FaultServer;
let client: RuntimeClient;
const dir = mkdtempSync(join(tmpdir(), "pm-agent-"));
const stateFile = join(dir, "state.json");
const refs: string[] = [];
let usedRef = "";

function config(extra = ""): string {
  const path = join(dir, `agent-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    path,
    [
      "listen: 127.0.0.1:0",
      `criEndpoint: ${lab.criEndpoint}`,
      `hostsDir: ${lab.hostsDir}`,
      `stateFile: ${stateFile}`,
      "shutdownTimeout: 5s",
      "disk:\n  interval: 1s",
      "images:\n  interval: 1s",
      `probes:\n  interval: 5s\n  registries: ["${lab.registry.host}"]`,
      `quota:\n  interval: 10s\n  registryUrl: ${hub.url}`,
      extra,
    ].join("\n"),
  );
  return path;
}

before(async () => {
  lab = await startLab({ imageFsSizeMiB: 48 });
  hub = await startFaultServer({ kind: "rate-limited", limit: 100, remaining: 62, windowSeconds: 21600, source: "192.0.2.1" });
  client = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
  for (const [i, name] of ["shop/web:1.0", "shop/old:1.0", "shop/older:1.0"].entries()) {
    const { ref } = await lab.push(buildImage({ label: name, padBytes: (i + 1) * 1024 * 1024 }), name);
    await client.pullImage(ref);
    refs.push(ref);
  }
  usedRef = refs[0] ?? "";
  await createPod(client, { name: "web-1", namespace: "shop", image: usedRef });
});

after(async () => {
  client?.close();
  await hub?.stop();
  await lab?.stop();
});

let agent: AgentProcess;

test("the agent starts, serves health at once, and is ready after its first round", async () => {
  agent = await startAgentProcess(["--config", config('prune:\n  schedule: "0 0 1 1 *"')]);
  assert.equal((await agent.get("/healthz")).status, 200);
  const ready = await waitFor(
    "readiness",
    () => agent.get("/readyz"),
    (r) => r.status === 200,
  );
  assert.equal(ready.text, "ready\n");
});

test("/v1/state holds the latest finding of each check", async () => {
  const state = await waitFor(
    "probes and quota in the state",
    async () =>
      JSON.parse((await agent.get("/v1/state")).text) as {
        node: string;
        checks: Record<string, { ok: boolean; result?: Record<string, unknown> | unknown[] }>;
      },
    (s) => s.checks["probes"] !== undefined && s.checks["quota"] !== undefined,
  );
  assert.equal(state.node, "lab-node");
  assert.equal(state.checks["disk"]?.ok, true);
  const images = state.checks["images"]?.result as { count: number; inUse: number; sandboxImage: string };
  assert.ok(images.count >= 4, JSON.stringify(images));
  assert.equal(images.inUse, 1);
  assert.equal(images.sandboxImage, lab.sandboxImage);
  assert.equal(state.checks["probes"]?.ok, true);
  assert.equal((state.checks["quota"]?.result as { remaining: number } | undefined)?.remaining, 62);
});

test("/metrics speaks Prometheus text with pullmedic_ names and units", async () => {
  const m = await waitFor(
    "probe metrics",
    () => agent.get("/metrics"),
    (r) => r.text.includes("pullmedic_registry_up"),
  );
  assert.equal(m.status, 200);
  for (const re of [
    /^pullmedic_image_fs_capacity_bytes\{mountpoint="[^"]+"\} 50331648$/m,
    /^pullmedic_image_fs_used_ratio\{mountpoint="[^"]+"\} 0\.\d+$/m,
    /^pullmedic_images \d+$/m,
    /^pullmedic_images_bytes \d+$/m,
    new RegExp(`^pullmedic_registry_up\\{registry="${lab.registry.host.replace(/\./g, "\\.")}"\\} 1$`, "m"),
    /^pullmedic_registry_probe_duration_seconds\{registry="[^"]+",host="[^"]+",step="dns"\} [\d.e-]+$/m,
    /^pullmedic_dockerhub_quota_remaining\{source="192\.0\.2\.1"\} 62$/m,
    /^pullmedic_dockerhub_quota_limit\{source="192\.0\.2\.1"\} 100$/m,
    /^pullmedic_prune_removed_images_total 0$/m,
    /^# TYPE pullmedic_check_success gauge$/m,
  ]) {
    assert.match(m.text, re);
  }
});

test("SIGTERM stops the agent cleanly with exit 0 and keeps image ages on disk", async () => {
  const code = await agent.stop("SIGTERM");
  assert.equal(code, 0, agent.stderr());
  const saved = JSON.parse(readFileSync(stateFile, "utf8")) as { images: Record<string, { firstSeen: number }> };
  assert.ok(Object.keys(saved.images).length >= 4, JSON.stringify(saved));
});

test("a restart keeps the ages it learned", async () => {
  const before = JSON.parse(readFileSync(stateFile, "utf8")) as { images: Record<string, { firstSeen: number }> };
  const again = await startAgentProcess(["--config", config('prune:\n  schedule: "0 0 1 1 *"')]);
  try {
    await waitFor(
      "readiness",
      () => again.get("/readyz"),
      (r) => r.status === 200,
    );
  } finally {
    assert.equal(await again.stop(), 0);
  }
  const afterRestart = JSON.parse(readFileSync(stateFile, "utf8")) as { images: Record<string, { firstSeen: number }> };
  for (const [id, entry] of Object.entries(before.images)) assert.equal(afterRestart.images[id]?.firstSeen, entry.firstSeen, id);
});

test("crossing the high watermark prunes at once: unused old images go, the used one and the sandbox image stay", async () => {
  // Age every image the agent knows past the minimum unused age, as if the node had run for days.
  const saved = JSON.parse(readFileSync(stateFile, "utf8")) as { images: Record<string, { firstSeen: number; lastUsed?: number }> };
  for (const entry of Object.values(saved.images)) entry.firstSeen -= 3 * 86_400_000;
  writeFileSync(stateFile, JSON.stringify(saved));
  // Fill the tmpfs to about 90 %, past the 80 % high watermark.
  const st = statfsSync(lab.containerdRoot);
  const capacity = st.blocks * st.bsize;
  writeFileSync(join(lab.containerdRoot, "filler.bin"), Buffer.alloc(Math.max(0, st.bavail * st.bsize - Math.floor(capacity * 0.1))));
  const pruning = await startAgentProcess(["--config", config('prune:\n  schedule: "0 0 1 1 *"\n  highWatermarkPercent: 80\n  lowWatermarkPercent: 70')]);
  try {
    const state = await waitFor(
      "a prune run",
      async () =>
        JSON.parse((await pruning.get("/v1/state")).text) as { checks: Record<string, { ok: boolean; result?: { removed: number; trigger: string } }> },
      (s) => (s.checks["prune"]?.result?.removed ?? 0) > 0,
    );
    assert.equal(state.checks["prune"]?.result?.trigger, "high-watermark");
  } finally {
    assert.equal(await pruning.stop(), 0);
  }
  const left = (await client.listImages()).flatMap((i) => i.repoTags);
  assert.ok(left.includes(usedRef), "the image a container uses stays");
  assert.ok(left.includes(lab.sandboxImage), "the sandbox image stays");
  assert.ok(!left.includes(refs[2] ?? ""), `the largest unused image went first: ${left.join(", ")}`);
});

test("an invalid configuration stops the agent before it starts: exit 2, naming the key", async () => {
  const bad = join(dir, "bad.yaml");
  writeFileSync(bad, "prune:\n  highWatermark: 90\n");
  const r = await runPullmedic(["agent", "--config", bad]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /prune\.highWatermark: unknown key \(did you mean highWatermarkPercent\?\)/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
