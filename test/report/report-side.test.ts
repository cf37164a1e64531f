// The agent's report side against a real (in-process) aggregator: a cluster pre-pull command must
// end with a final state for every image on the node, whatever happens to the pre-pull round, or
// `pullmedic cluster prepull` waits on the node until its timeout.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { AgentConfig } from "../../agent/config/index.js";
import { type ReportSide, type ReportSources, startReportSide } from "../../agent/daemon/report-side.js";
import type { PrepullImageStatus, PrepullTarget } from "../../agent/prepull/index.js";
import { QuotaTracker } from "../../agent/quota/index.js";
import { NodeState } from "../../agent/report/node-state.js";
import { loadAggregatorConfig, type RunningAggregator, startAggregator } from "../../aggregator/index.js";
import { createLogger } from "../../core/log/log.js";
import { waitFor } from "../support/wait.js";

const log = createLogger("cli", "error");
let agg: RunningAggregator;
const sides: ReportSide[] = [];

before(async () => {
  const config = await loadAggregatorConfig({
    env: {},
    flags: { grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", database: ":memory:", allowUnauthenticated: true },
  });
  agg = await startAggregator(config, log);
});

after(async () => {
  for (const s of sides) await s.stop();
  await agg?.stop();
});

async function agentOn(node: string, prepull: ReportSources["prepull"], state = new NodeState(node, "0.1.0-test")): Promise<ReportSide> {
  const config = { nodeName: node, report: { interval: 60_000, bufferLimit: 1000 } } as unknown as AgentConfig;
  const side = await startReportSide(
    config,
    log,
    {
      state,
      quota: new QuotaTracker(),
      podWatch: () => undefined,
      conditions: () => [],
      runtime: () => undefined,
      prepull,
      pause: async () => true,
    },
    agg.grpcAddress,
  );
  sides.push(side);
  await waitFor(`${node} connected`, () => agg.state.node(node)?.connected === true && agg.state.node(node)?.report !== undefined);
  return side;
}

async function finalStates(id: string, node: string): Promise<Record<string, string>> {
  const cmd = await agg.store.command(id);
  return Object.fromEntries((cmd?.updates ?? []).filter((u) => u.node === node).map((u) => [u.image, `${u.state}${u.cause ? `:${u.cause}` : ""}`]));
}

test("a pre-pull command on a node whose round cannot run (no runtime) ends failed with the reason, not waiting forever", async () => {
  const state = new NodeState("no-runtime", "0.1.0-test");
  // What the agent's run("prepull", …) does when the round throws: records the error, resolves.
  const prepull = async (_targets: PrepullTarget[], _onProgress: (s: PrepullImageStatus) => void): Promise<unknown> => {
    state.record("prepull", { ok: false, durationMs: 1, error: "no container runtime at /run/containerd/containerd.sock" });
    return undefined;
  };
  await agentOn("no-runtime", prepull, state);
  const result = await agg.prepull(["ghcr.io/acme/web:1", "nginx:1.27"]);
  assert.deepEqual(
    result.plan.map((p) => p.node),
    ["no-runtime"],
  );
  await waitFor("a final state for both images", async () => {
    const s = await finalStates(result.id, "no-runtime");
    return s["ghcr.io/acme/web:1"]?.startsWith("failed") === true && s["nginx:1.27"]?.startsWith("failed") === true;
  });
  const cmd = (await agg.store.command(result.id))!;
  assert.ok(
    cmd.updates.every((u) => /no container runtime/.test(u.summary)),
    JSON.stringify(cmd.updates),
  );
});

test("a pre-pull round that rejects still leaves every image of the command with a final state", async () => {
  await agentOn("round-throws", async () => {
    throw new Error("the agent is shutting down");
  });
  const result = await agg.prepull(["ghcr.io/acme/api:2"]);
  await waitFor("a final state", async () => (await finalStates(result.id, "round-throws"))["ghcr.io/acme/api:2"]?.startsWith("failed") === true);
});

test("images the round reported on keep their own outcome; only the silent ones are marked failed", async () => {
  await agentOn("partial", async (targets, onProgress) => {
    const first = targets[0]!.image;
    onProgress({
      image: first,
      state: "present",
      action: "pulled",
      digest: undefined,
      lastCheck: undefined,
      lastPull: undefined,
      bytes: 1,
      durationMs: 5,
      attempts: 1,
      cause: undefined,
      summary: undefined,
      fix: undefined,
    });
    return undefined;
  });
  const result = await agg.prepull(["ghcr.io/acme/one:1", "ghcr.io/acme/two:1"]);
  await waitFor("a final state for both", async () => {
    const s = await finalStates(result.id, "partial");
    return s["ghcr.io/acme/one:1"] === "pulled" && s["ghcr.io/acme/two:1"]?.startsWith("failed") === true;
  });
});

test("a command sent again (the aggregator does so on reconnect) is run once by the agent that already has it", async () => {
  let rounds = 0;
  await agentOn("resent", async (targets, onProgress) => {
    rounds++;
    await new Promise((r) => setTimeout(r, 200));
    for (const t of targets)
      onProgress({
        image: t.image,
        state: "present",
        action: "pulled",
        digest: undefined,
        lastCheck: undefined,
        lastPull: undefined,
        bytes: 1,
        durationMs: 5,
        attempts: 1,
        cause: undefined,
        summary: undefined,
        fix: undefined,
      });
    return undefined;
  });
  const cmd = { id: "pp-resent-1", kind: "prepull" as const, prepull: { images: ["ghcr.io/acme/x:1"], notBeforeMs: Date.now() } };
  await agg.store.saveCommand({
    id: cmd.id,
    createdMs: Date.now(),
    images: cmd.prepull.images,
    plan: [{ node: "resent", notBeforeMs: cmd.prepull.notBeforeMs }],
  });
  assert.ok(agg.sendCommand("resent", cmd));
  assert.ok(agg.sendCommand("resent", cmd), "while it runs");
  await waitFor("pulled", async () => (await finalStates(cmd.id, "resent"))["ghcr.io/acme/x:1"] === "pulled");
  assert.ok(agg.sendCommand("resent", cmd), "after it finished");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(rounds, 1);
});
