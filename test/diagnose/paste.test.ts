import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { ProviderCoverage } from "../../agent/diagnose/credential-provider/index.js";
import { explainPaste, MAX_PASTE_CHARS, readPaste } from "../../agent/diagnose/paste/index.js";
import { prng } from "../support/fuzz.js";

// Pastes as kubectl, journald and the runtimes print them (written here in their shapes):
// explain finds the pull message that decides and fills the fixes with the names around it.
const paste = (name: string) => readFileSync(new URL(`./pastes/${name}`, import.meta.url), "utf8");

function includesAll(list: string[], ...parts: string[]): void {
  for (const part of parts)
    assert.ok(
      list.some((f) => f.includes(part)),
      `expected a fix containing ${JSON.stringify(part)} in\n${list.join("\n")}`,
    );
}

function noPlaceholders(list: string[], ...placeholders: string[]): void {
  for (const p of placeholders) assert.ok(!list.some((f) => f.includes(p)), `${p} left in\n${list.join("\n")}`);
}

test("kubectl describe pod: the Failed event decides, and its pod, namespace, container and Deployment fill the fixes", () => {
  const e = explainPaste(paste("describe-not-found.txt"));
  assert.equal(e.cause, "not-found");
  assert.equal(e.source, "describe-pod");
  assert.equal(e.rule, "containerd-resolve-not-found");
  assert.deepEqual(e.names, {
    namespace: "shop",
    pod: "api-7c9d8f6b5-qq2vx",
    node: "worker-2",
    container: "api",
    serviceAccount: "api",
    workload: { kind: "deployment", name: "api" },
  });
  includesAll(
    e.fix,
    "kubectl set image deployment/api api=registry.example.com/team/api:<existing-tag> -n shop",
    "pullmedic diagnose registry.example.com/team/api:2.4.1",
  );
  noPlaceholders(e.fix, "<namespace>", "<deployment>", "<container>");
  assert.ok(e.candidates >= 4, String(e.candidates));
});

test("kubectl describe pod with terminal-wrapped events: a missing pull secret explains the 401 that follows it", () => {
  const e = explainPaste(paste("describe-wrapped-secret.txt"));
  assert.equal(e.cause, "secret-invalid");
  assert.match(e.summary, /harbor-robot/);
  includesAll(e.fix, "kubectl get secret harbor-robot -n payments", "kubectl create secret docker-registry harbor-robot --docker-server=harbor.corp.example");
  assert.deepEqual(e.names.workload, { kind: "statefulset", name: "ledger" });
  // The wrapped Failed event was joined back into one message.
  const failed = readPaste(paste("describe-wrapped-secret.txt")).candidates.find((c) => c.message.startsWith("Failed to pull image"));
  assert.match(failed?.message ?? "", /manifests\/5\.4\.0 : 401 Unauthorized$/);
});

test("kubectl get events (table): the namespace comes from the pasted command, the pod from OBJECT", () => {
  const e = explainPaste(paste("events-table.txt"));
  assert.equal(e.cause, "dns");
  assert.equal(e.source, "events-table");
  assert.equal(e.names.namespace, "batch");
  assert.equal(e.names.pod, "etl-29156420-8xq2k");
  includesAll(e.fix, "getent hosts registry.internal");
});

test("kubectl get events -A -o wide: NAMESPACE, SUBOBJECT and SOURCE columns; MESSAGE ends where FIRST SEEN begins", () => {
  const e = explainPaste(paste("events-wide.txt"));
  assert.equal(e.cause, "rate-limited");
  assert.ok(e.message.endsWith("429 Too Many Requests"), e.message);
  assert.deepEqual(e.names, {
    namespace: "default",
    pod: "web-5d4f8c7b9d-h7k2m",
    node: "node-a",
    container: "nginx",
    workload: { kind: "deployment", name: "web" },
  });
  includesAll(e.fix, "kubectl patch serviceaccount default -n default", "--docker-server=https://index.docker.io/v1/");
});

test("kubectl get events -o json: involvedObject and source name the pod, container and node", () => {
  const e = explainPaste(paste("events.json"));
  assert.equal(e.cause, "disk-full");
  assert.equal(e.source, "events-json");
  assert.deepEqual(e.names, {
    namespace: "ml",
    pod: "worker-6b8f9d7c5-zt4pl",
    node: "gpu-node-3",
    container: "worker",
    workload: { kind: "deployment", name: "worker" },
  });
});

test("events.k8s.io/v1 in YAML: note and regarding instead of message and involvedObject", () => {
  const e = explainPaste(paste("events-v1.yaml"));
  assert.equal(e.cause, "tls");
  assert.equal(e.source, "events-yaml");
  assert.equal(e.names.namespace, "edge");
  assert.equal(e.names.container, "gateway");
  assert.equal(e.names.node, "worker-4");
  includesAll(e.fix, "/etc/containerd/certs.d/quay.io/hosts.toml");
});

test("a pod manifest: the waiting message, the pod's own pull secret and its service account go into the fix", () => {
  const e = explainPaste(paste("pod.yaml"));
  assert.equal(e.cause, "auth-denied");
  assert.equal(e.source, "pod-status");
  assert.deepEqual(e.names.secrets, ["ghcr-pull"]);
  includesAll(e.fix, "kubectl get secret ghcr-pull -n finance -o yaml > pull-secret.yaml", "--docker-server=ghcr.io");
  assert.deepEqual(e.names.workload, { kind: "deployment", name: "reports" });
});

test("kubelet's journal: the pull error with the node from journald's prefix, pod and container from the pod worker", () => {
  const e = explainPaste(paste("kubelet-journal.txt"));
  assert.equal(e.cause, "network-timeout");
  assert.equal(e.source, "kubelet-log");
  assert.equal(e.names.node, "worker-2");
  assert.equal(e.names.namespace, "shop");
  assert.equal(e.names.container, "cart");
  includesAll(e.fix, "curl -sv --max-time 10 https://registry-1.docker.io/v2/");
});

test("containerd's journal: the error= of the failed PullImage line", () => {
  const e = explainPaste(paste("containerd-journal.txt"));
  assert.equal(e.cause, "tls");
  assert.equal(e.source, "containerd-log");
  assert.equal(e.names.node, "worker-5");
  assert.match(e.summary, /registry\.lab\.example:5000 speaks plain HTTP/);
});

test("a credential provider covers the image: the explanation is about the plugin, not about Secrets", () => {
  const coverage: ProviderCoverage = {
    provider: "ecr-credential-provider",
    matchedBy: "*.dkr.ecr.*.amazonaws.com",
    configPath: "/etc/eks/image-credential-provider/config.json",
    binDir: "/etc/eks/image-credential-provider",
    apiVersion: "credentialprovider.kubelet.k8s.io/v1",
    args: [],
    envNames: ["AWS_REGION"],
    binaryPresent: true,
  };
  const e = explainPaste(paste("ecr-provider-journal.txt"), { providerFor: (image) => (image.includes(".dkr.ecr.") ? coverage : undefined) });
  assert.equal(e.cause, "auth-required");
  assert.match(e.summary, /credential provider ecr-credential-provider failed \(exit status 1\)/);
  includesAll(
    e.fix,
    "journalctl -u kubelet",
    "cat /etc/eks/image-credential-provider/config.json",
    "/etc/eks/image-credential-provider/ecr-credential-provider | jq",
    "AmazonEC2ContainerRegistryReadOnly",
  );
  assert.ok(!e.fix.some((f) => f.includes("kubectl create secret")), e.fix.join("\n"));
  assert.equal(e.names.namespace, "payments");
  // No password is ever printed: the hand-run keeps only the registries the plugin answered for.
  assert.ok(e.fix.some((f) => f.includes(".auth | keys")));
});

test("without the provider context the plugin's failure still names it", () => {
  const e = explainPaste(paste("ecr-provider-journal.txt"));
  assert.match(e.summary, /ecr-credential-provider failed/);
  assert.equal(e.facts.provider?.exitStatus, 1);
});

test("a single message is a paste too", () => {
  const e = explainPaste(`Failed to pull image "nginx:1.27": pull QPS exceeded.`);
  assert.equal(e.source, "text");
  assert.equal(e.cause, "rate-limited");
  assert.match(e.summary, /registryPullQPS/);
});

test("names that are not Kubernetes names never reach a command", () => {
  const hostile = paste("describe-not-found.txt")
    .replace("-n shop", "-n '$(reboot)'")
    .replace("Namespace:        shop", "Namespace:        $(reboot)")
    .replace("  api:\n", "  api;rm -rf /:\n");
  const e = explainPaste(hostile);
  assert.equal(e.names.namespace, undefined);
  assert.ok(!e.fix.some((f) => f.includes("reboot") || f.includes("rm -rf")), e.fix.join("\n"));
  includesAll(e.fix, "-n <namespace>");
});

test("fuzz: pastes cut, shuffled and mixed never throw and always explain", () => {
  const rand = prng(0xfa57e);
  const all = [
    "describe-not-found.txt",
    "describe-wrapped-secret.txt",
    "events-table.txt",
    "events-wide.txt",
    "events.json",
    "events-v1.yaml",
    "pod.yaml",
    "kubelet-journal.txt",
    "containerd-journal.txt",
    "ecr-provider-journal.txt",
  ].map(paste);
  for (let i = 0; i < 300; i++) {
    const a = all[Math.floor(rand() * all.length)] ?? "";
    const b = all[Math.floor(rand() * all.length)] ?? "";
    const lines = (a + b).split("\n");
    const cut = lines.filter(() => rand() > 0.2).map((l) => (rand() < 0.1 ? l.slice(0, Math.floor(rand() * l.length)) : l));
    const e = explainPaste(cut.join(rand() < 0.5 ? "\n" : "\r\n"));
    assert.ok(e.summary.length > 0 && e.fix.length > 0);
  }
  const huge = `${"x".repeat(MAX_PASTE_CHARS)}\n${paste("events-table.txt")}`;
  assert.equal(explainPaste(huge).cause, "dns", "the end of an over-long paste is kept");
  for (const odd of ["", "   ", "{", "[1,2", "apiVersion: [", "Name: x\nEvents:\n  Type  Reason  Age  From  Message\n  Warning", "\\".repeat(100_000)]) {
    assert.ok(explainPaste(odd).fix.length > 0);
  }
});

test("k9s: the pane's frame is stripped and its wrapped event is joined back", () => {
  const e = explainPaste(paste("k9s-describe.txt"));
  assert.equal(e.cause, "auth-required");
  assert.equal(e.rule, "docker-pull-access-denied");
  assert.equal(e.names.namespace, "tools");
  assert.equal(e.names.container, "approver");
  assert.deepEqual(e.names.workload, { kind: "deployment", name: "csr-approver" });
});

test("an OpenShift node's journal: kubelet as hyperkube, the pod from the older pod-worker wording", () => {
  const e = explainPaste(paste("openshift-journal.txt"));
  assert.equal(e.cause, "tls");
  assert.equal(e.source, "kubelet-log");
  assert.deepEqual(
    [e.names.namespace, e.names.pod, e.names.container, e.names.node],
    ["openshift-cluster-version", "bootstrap-cvo-ip-10-0-1-98", "cluster-version-operator", "ip-10-0-1-98"],
  );
});

test("every row of the message table, pasted alone, gets the answer explain gives it", async () => {
  const { loadCorpus } = await import("../../agent/diagnose/corpus/index.js");
  const { explainMessage } = await import("../../agent/diagnose/explain.js");
  for (const row of loadCorpus().rows) {
    if (row.context !== undefined) continue;
    const pasted = explainPaste(row.message);
    const direct = explainMessage(row.message);
    assert.deepEqual([pasted.cause, pasted.rule], [direct.cause, direct.rule], row.message);
  }
});
