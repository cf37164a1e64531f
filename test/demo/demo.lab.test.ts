// `npm run demo` as a newcomer runs it: it comes up with six real pull failures, the dashboard shows
// them in a real Chromium (a screenshot is kept), /metrics, the kubectl plugin and the node verbs
// have something true to say, and Ctrl-C removes everything it started.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openDashboard } from "../support/browser.js";
import { type CliRun, runPullmedic } from "../support/cli.js";
import { waitFor } from "../support/wait.js";

const root = new URL("../..", import.meta.url).pathname;
const SCREENSHOT = join(root, ".lab", "demo-dashboard.png");
const CAUSES = ["auth-required", "connection-refused", "not-found", "platform-mismatch", "rate-limited", "tls"];

let demo: ChildProcess;
let out = "";
let exited: Promise<number | null>;
const seen = { dashboard: "", agent: "", kubeconfig: "", criEndpoint: "", demoDir: "", labDir: "" };

function plugin(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "cli/kubectl-pullmedic.ts"), ...args], {
      cwd: root,
      env: { ...process.env, KUBECONFIG: seen.kubeconfig },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

before(async () => {
  // Its own process group, so that a Ctrl-C reaches npm, tsx and the demo together, as in a terminal.
  demo = spawn("npm", ["run", "demo", "--", "--listen", "127.0.0.1:0", "--dashboard-listen", "127.0.0.1:0"], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  demo.stdout?.on("data", (d: Buffer) => (out += d));
  demo.stderr?.on("data", (d: Buffer) => (out += d));
  exited = new Promise((resolve) => demo.on("close", (code) => resolve(code)));
  await waitFor("the demo to be up", () => out.includes("Ctrl-C stops everything"), { timeoutMs: 120_000 }).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${out}`);
  });
  seen.dashboard = /dashboard\s+(http:\/\/\S+?)\/?\n/.exec(out)?.[1] ?? "";
  seen.agent = /agent\s+(http:\/\/\S+)\/v1\/state/.exec(out)?.[1] ?? "";
  seen.kubeconfig = /kubeconfig\s+(\S+)/.exec(out)?.[1] ?? "";
  seen.criEndpoint = /runtime\s+(unix:\/\/\S+)/.exec(out)?.[1] ?? "";
  seen.demoDir = seen.kubeconfig.replace(/\/kube\/kubeconfig$/, "");
  seen.labDir = seen.criEndpoint.replace(/^unix:\/\//, "").replace(/\/containerd\.sock$/, "");
});

after(() => {
  try {
    // Whatever is left of the group, when a test failed before Ctrl-C.
    process.kill(-(demo.pid ?? 0), "SIGKILL");
  } catch {
    // the group is gone: Ctrl-C did its job
  }
});

test("it comes up within a minute and names six seeded failures, with where to look and what to run", () => {
  for (const [k, v] of Object.entries(seen)) assert.ok(v, `the banner gives the ${k}: ${out}`);
  for (const cause of CAUSES) assert.match(out, new RegExp(`shop/\\S+\\s+${cause}\\s`));
  assert.match(out, /pullmedic demo is up \((\d+) s\)/);
  assert.ok(Number(/is up \((\d+) s\)/.exec(out)?.[1]) < 60, "up within a minute");
});

test("the dashboard shows every failure with its cause, in a real Chromium (screenshot kept)", async () => {
  const dash = await openDashboard(`${seen.dashboard}/`);
  try {
    const causes = await waitFor(
      "six failure cards",
      async () => (await dash.page.locator('[data-testid="failure"]').evaluateAll((els) => els.map((e) => e.getAttribute("data-cause")))).sort(),
      (c) => c.length === CAUSES.length,
      { timeoutMs: 30_000 },
    );
    assert.deepEqual(causes, CAUSES);
    assert.ok(!(await dash.page.locator('[data-testid="runtime-problem"]').isVisible()), "the demo has a runtime");
    mkdirSync(join(root, ".lab"), { recursive: true });
    await dash.page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(statSync(SCREENSHOT).size > 20_000, "a screenshot with something in it");
    assert.deepEqual(dash.problems, []);
  } finally {
    await dash.close();
  }
});

test("/metrics, the kubectl plugin and the node verbs have something true to show", async () => {
  const metrics = await (await fetch(`${seen.agent}/metrics`)).text();
  for (const cause of CAUSES) assert.match(metrics, new RegExp(`pullmedic_pull_failing_containers\\{namespace="shop",image="[^"]+",cause="${cause}"\\} 1`));
  assert.match(metrics, /pullmedic_dockerhub_quota_remaining\{source="203\.0\.113\.7"\} 0/);
  assert.match(metrics, /pullmedic_registry_certificate_expiry_seconds\{[^}]*\} -\d/);

  const why = await plugin(["why", "web-mistyped-tag", "-n", "shop"]);
  assert.equal(why.code, 1, why.stderr);
  assert.match(why.stdout, /not-found/);
  const failures = await plugin(["failures", "-o", "json"]);
  assert.deepEqual(((JSON.parse(failures.stdout) as { failures: { cause: string }[] }).failures.map((f) => f.cause) ?? []).sort(), CAUSES);
  const nodes = await plugin(["nodes", "-o", "name"]);
  assert.equal(nodes.stdout, "node/demo-node\n");
  const images = await runPullmedic(["images", "--cri-endpoint", seen.criEndpoint, "-o", "name"]);
  assert.equal(images.code, 0, images.stderr);
  assert.match(images.stdout, /^image\//m);
});

test("Ctrl-C removes everything it started", async () => {
  process.kill(-(demo.pid ?? 0), "SIGINT");
  await exited;
  assert.match(out, /stopping the demo…\nstopped; everything it started is gone/);
  assert.ok(!existsSync(seen.demoDir), `${seen.demoDir} is gone`);
  assert.ok(!existsSync(seen.labDir), `${seen.labDir} is gone`);
  const left = await fetch(`${seen.dashboard}/healthz`).then(
    () => "answering",
    () => "gone",
  );
  assert.equal(left, "gone");
});
