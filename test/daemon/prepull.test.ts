import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage, startLab, type Lab } from "../lab/index.js";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { startAgentProcess } from "../support/agent-process.js";

// The agent's pre-puller as it runs on a node: targets from the config, a round at start-up,
// statuses in /v1/state and /metrics, against the lab's real containerd and registry.

let lab: Lab;
const refs: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "pm-prepull-agent-"));

before(async () => {
  lab = await startLab();
  for (const name of ["critical/api:1.0", "critical/worker:2.0"]) refs.push((await lab.push(buildImage({ label: name, padBytes: 512 * 1024 }), name)).ref);
});

after(async () => {
  await lab?.stop();
});

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
    const state = await agent.waitFor(
      "the start-up pre-pull round",
      async () => JSON.parse((await agent.get("/v1/state")).text) as { checks: Record<string, { result?: { image: string; state: string; action?: string; cause?: string; digest?: string }[] }> },
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
