import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runPullmedic } from "../support/cli.js";

// A pod watch that cannot start must stop the agent at once with the reason, not run half-blind.

const dir = mkdtempSync(join(tmpdir(), "pm-kube-start-"));
const NO_CLUSTER = { KUBECONFIG: "", KUBERNETES_SERVICE_HOST: "", CRI_ENDPOINT: "" };

function agentConfig(kube: string): string {
  const path = join(dir, `agent-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, `listen: 127.0.0.1:0\nstateFile: ${join(dir, "state.json")}\n${kube}\n`);
  return path;
}

test("kube.enabled: true without any API to use stops the agent with the ways to give one", async () => {
  const r = await runPullmedic(["agent", "--config", agentConfig("kube:\n  enabled: true")], { env: NO_CLUSTER });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /kube\.enabled is true, but there is no Kubernetes API to use: set KUBECONFIG/);
});

test("a kubeconfig with an exec credential plugin is refused by name, without its arguments", async () => {
  const kubeconfig = join(dir, "exec-kubeconfig");
  writeFileSync(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      "current-context: eks",
      "clusters:\n- name: eks\n  cluster:\n    server: https://127.0.0.1:6443",
      "users:\n- name: eks\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [eks, get-token, --cluster-name, prod, --role-arn, arn:aws:iam::123456789012:role/SECRET-ROLE]",
      "contexts:\n- name: eks\n  context:\n    cluster: eks\n    user: eks",
    ].join("\n"),
  );
  const r = await runPullmedic(["agent", "--config", agentConfig(""), "--kubeconfig", kubeconfig], { env: NO_CLUSTER });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /exec/);
  assert.match(r.stderr, new RegExp(kubeconfig.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")));
  assert.ok(!r.stderr.includes("SECRET-ROLE"), r.stderr);
});
