import assert from "node:assert/strict";
import { test } from "node:test";
import { type AgentConfig, loadConfig } from "../../agent/config/index.js";
import { CHECKS, type CheckContext, CheckRecorder } from "../../agent/daemon/checks/index.js";
import type { ScheduledJob } from "../../agent/daemon/scheduler.js";
import { NodeState } from "../../agent/report/index.js";
import type { Logger } from "../../core/log/index.js";

// The agent's checks as its start-up sees them: a list of small objects, each with its jobs and
// schedules, and one recorder that turns a run into a NodeState record and a log line.

function captureLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}

/** The jobs of every check the config turns on; nothing runs (the context is only read when a job runs). */
async function jobsFor(config: AgentConfig): Promise<{ check: string; jobs: ScheduledJob[] }[]> {
  const log = captureLog();
  const context = { config, log, recorder: new CheckRecorder(new NodeState("n", "t"), log), kube: undefined } as unknown as CheckContext;
  const out: { check: string; jobs: ScheduledJob[] }[] = [];
  for (const make of CHECKS) {
    const check = await make(context);
    if (check) out.push({ check: check.name, jobs: [...check.jobs] });
  }
  return out;
}

test("the defaults: disk and images on their intervals, prune on its cron, the others as configured", async () => {
  const config = await loadConfig({ env: { NODE_NAME: "n" } });
  const checks = await jobsFor(config);
  const byName = new Map(checks.map((c) => [c.check, c.jobs]));
  assert.deepEqual(
    byName.get("disk")?.map((j) => [j.name, j.schedule]),
    [["disk", { every: config.disk.interval }]],
  );
  assert.deepEqual(
    byName.get("images")?.map((j) => [j.name, j.schedule]),
    [["images", { every: config.images.interval }]],
  );
  assert.equal(byName.has("prune"), config.prune.enabled);
  if (config.prune.enabled)
    assert.deepEqual(
      byName.get("prune")?.map((j) => j.schedule),
      [{ cron: config.prune.schedule }],
    );
  assert.equal(byName.has("probes"), config.probes.enabled);
  assert.equal(byName.has("quota"), config.quota.enabled);
  // No pre-pull without images to pull, no Secret checks without the pod watch.
  assert.equal(byName.has("prepull"), false);
  assert.equal(byName.has("pull-secrets"), false);
  // Job names are unique: the scheduler refuses a second job of the same name.
  const names = checks.flatMap((c) => c.jobs.map((j) => j.name));
  assert.equal(new Set(names).size, names.length);
});

test("pre-pull: one cron job per distinct schedule, the first named prepull, and a round of every image at start", async () => {
  const config = await loadConfig({ env: { NODE_NAME: "n" } });
  config.prepull.images = ["a:1", { image: "b:1", schedule: "*/5 * * * *" }, "c:1"];
  config.prepull.runAtStart = true;
  const prepull = (await jobsFor(config)).find((c) => c.check === "prepull");
  assert.deepEqual(
    prepull?.jobs.map((j) => [j.name, j.schedule]),
    [
      ["prepull", { cron: config.prepull.schedule }],
      ["prepull */5 * * * *", { cron: "*/5 * * * *" }],
      ["prepull-start", { atStart: true }],
    ],
  );
});

test("the recorder keeps the last good result through failures, logs a repeated failure once, and tells of each change", async () => {
  const log = captureLog();
  const state = new NodeState("n", "t");
  const recorder = new CheckRecorder(state, log);
  let changes = 0;
  recorder.onChange(() => changes++);
  const quota = {
    source: "192.0.2.1",
    limit: 100,
    remaining: 7,
    windowSeconds: 21600,
    unlimited: false,
    authenticated: false,
    observedAt: 1,
    via: "check" as const,
    problems: [],
  };
  const ok = { name: "quota" as const, work: async () => quota, keep: (q: typeof quota) => q, describe: () => "7 of 100 left" };
  const failing = (why: string) => ({ ...ok, work: async (): Promise<typeof quota> => Promise.reject(new Error(why)) });

  assert.equal(await recorder.run(ok), quota);
  assert.equal(await recorder.run(failing("timeout")), undefined);
  assert.equal(await recorder.run(failing("timeout")), undefined);
  assert.equal(await recorder.run(failing("refused")), undefined);

  const record = state.get("quota");
  assert.deepEqual([record?.ok, record?.runs, record?.failures, record?.error], [false, 4, 3, "refused"]);
  assert.equal(state.result("quota")?.remaining, 7);
  assert.deepEqual(log.lines, ["info quota: 7 of 100 left", "warn quota failed: timeout", "warn quota failed: refused"]);
  // First success, first failure, a different failure: three changes; the repeat is none.
  assert.equal(changes, 3);
});
