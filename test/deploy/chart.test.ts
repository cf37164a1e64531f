// charts/pullmedic with the real Helm 3 and Helm 4 (from the aws-cdk kubectl layers): it lints,
// renders the same with both, daemonset.yaml is its render with the defaults, every render of a
// matrix of values validates offline against the Kubernetes and prometheus-operator schemas with
// the strict unknown-field check, and a bad value is refused by values.schema.json with its path.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { IContainer } from "kubernetes-models/v1/Container";
import { parse as parseYaml } from "yaml";
import type { HelmMajor } from "../support/layer-tools.js";
import { chartDir, helm, helmTemplate, helmTemplateRun, renderManifest, valuesSchemaPath } from "./chart.js";
import { valuesSchema } from "./chart-schema.js";
import { validateObject } from "./k8s-schema.js";
import { find, type K8sObject, objectData, parseDocuments, readManifest, workload } from "./manifest.js";

const MAJORS: HelmMajor[] = [3, 4];

function render(values: Record<string, unknown>, opts: { noHooks?: boolean } = {}): K8sObject[] {
  const texts = MAJORS.map((m) => helmTemplate(m, { values, ...opts }));
  assert.equal(texts[0], texts[1], `Helm 3 and Helm 4 render ${JSON.stringify(values)} alike`);
  return parseDocuments(texts[1] ?? "", `helm template ${JSON.stringify(values)}`);
}

async function schemaProblems(docs: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const doc of docs) {
    const { schemaErrors, unknownFields } = await validateObject(doc);
    for (const p of [...schemaErrors, ...unknownFields]) problems.push(`${doc.kind} ${doc.metadata?.name}: ${p}`);
  }
  return problems;
}

const agentOf = (docs: K8sObject[]) => workload(docs, "DaemonSet", "pullmedic-agent");
const env = (c: IContainer, name: string) => c.env?.find((e) => e.name === name)?.value;
const kinds = (docs: K8sObject[]) => docs.map((d) => d.kind);

/** The matrix: every runtime preset, monitoring on both ways, an existing Secret, every toggle. */
const MATRIX: Record<string, Record<string, unknown>> = {
  defaults: {},
  ...Object.fromEntries(["containerd", "k3s", "rke2", "microk8s", "k0s", "crio"].map((preset) => [`preset ${preset}`, { runtime: { preset } }])),
  "monitoring with prometheus-operator's ServiceMonitor": {
    monitoring: {
      serviceMonitor: { enabled: true, labels: { release: "kube-prometheus-stack" } },
      prometheusRule: { enabled: true },
      grafanaDashboard: { enabled: true },
    },
  },
  "monitoring with PodMonitor, no annotations": {
    monitoring: { scrapeAnnotations: false, podMonitor: { enabled: true, interval: "15s" }, prometheusRule: { enabled: true, labels: { team: "platform" } } },
  },
  "existing Secret, digest, pull secrets": {
    auth: { token: { existingSecret: "my-token" } },
    image: { registry: "ghcr.io/acme", tag: "0.1.0", digest: `sha256:${"a".repeat(64)}`, pullSecrets: ["ghcr"] },
  },
  "every toggle": {
    namespace: { create: false },
    agent: { readSecrets: true, hostNetwork: true, hostPID: true, capabilities: ["SYS_PTRACE"], affinity: { nodeAffinity: {} }, podAnnotations: { a: "b" } },
    aggregator: {
      persistence: { existingClaim: "pm-data" },
      priorityClassName: "system-cluster-critical",
      tolerations: [{ key: "dedicated", operator: "Equal", value: "ops", effect: "NoSchedule" }],
      podDisruptionBudget: { enabled: true },
      networkPolicy: {
        enabled: true,
        agentPeers: [{ ipBlock: { cidr: "10.0.0.0/16" } }],
        httpPeers: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
      },
    },
    userClusterRole: { enabled: true },
    logLevel: "debug",
  },
};

describe("charts/pullmedic", () => {
  for (const major of MAJORS) {
    test(`helm ${major} lint --strict passes, for the defaults and with everything on`, () => {
      for (const set of [[], ["--set", "monitoring.podMonitor.enabled=true,monitoring.prometheusRule.enabled=true,monitoring.grafanaDashboard.enabled=true"]]) {
        const r = helm(major, ["lint", "--strict", chartDir, ...set]);
        assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      }
    });
  }

  test("daemonset.yaml is the chart rendered with its defaults, by Helm 4 and Helm 3 alike (npm run manifest)", () => {
    const onDisk = readManifest();
    for (const major of MAJORS) assert.equal(renderManifest(major), onDisk, `daemonset.yaml differs from Helm ${major}'s render: run npm run manifest`);
    assert.doesNotMatch(onDisk, /helm\.sh\/hook/, "hooks are Helm's alone");
  });

  test("values.schema.json is test/deploy/chart-schema.ts's, and agent.config is the agent's own schema less what the chart wires", () => {
    assert.deepEqual(JSON.parse(readFileSync(valuesSchemaPath, "utf8")), valuesSchema(), "values.schema.json is stale: run npm run manifest");
    const config = (valuesSchema() as { properties: { agent: { properties: { config: { properties: Record<string, unknown> } } } } }).properties.agent
      .properties.config;
    assert.deepEqual(Object.keys(config.properties).sort(), [
      "disk",
      "httpAuth",
      "images",
      "kube",
      "prepull",
      "probes",
      "prune",
      "pulls",
      "quota",
      "report",
      "shutdownTimeout",
      "trustLoopbackPeers",
    ]);
  });

  for (const [name, values] of Object.entries(MATRIX)) {
    test(`${name}: renders, and every document validates strictly against the Kubernetes and prometheus-operator schemas`, async () => {
      const docs = render(values);
      assert.deepEqual(await schemaProblems(docs), []);
    });
  }

  test("the runtime presets set the socket, the runtime's root and the hosts directory together", () => {
    const expect: Record<string, [string, string, string]> = {
      containerd: ["/run/containerd/containerd.sock", "/var/lib/containerd", "/etc/containerd/certs.d"],
      k3s: ["/run/k3s/containerd/containerd.sock", "/var/lib/rancher/k3s/agent/containerd", "/var/lib/rancher/k3s/agent/etc/containerd/certs.d"],
      rke2: ["/run/k3s/containerd/containerd.sock", "/var/lib/rancher/rke2/agent/containerd", "/var/lib/rancher/rke2/agent/etc/containerd/certs.d"],
      microk8s: ["/var/snap/microk8s/common/run/containerd.sock", "/var/snap/microk8s/common/var/lib/containerd", "/var/snap/microk8s/current/args/certs.d"],
      k0s: ["/run/k0s/containerd.sock", "/var/lib/k0s/containerd", "/etc/containerd/certs.d"],
      crio: ["/var/run/crio/crio.sock", "/var/lib/containers", "/etc/containers/certs.d"],
    };
    for (const [preset, [socket, root, hostsDir]] of Object.entries(expect)) {
      const { pod, container } = agentOf(render({ runtime: { preset } }));
      const hostPath = (volume: string) => pod.volumes?.find((v) => v.name === volume)?.hostPath?.path;
      const mountOf = (volume: string) => container.volumeMounts?.find((m) => m.name === volume)?.mountPath;
      assert.equal(env(container, "CRI_ENDPOINT"), `unix://${socket}`, preset);
      assert.equal(hostPath("cri-socket"), socket.replace(/\/[^/]+$/, ""), `${preset}: the socket's directory is mounted`);
      assert.equal(hostPath("runtime-root"), root, preset);
      assert.equal(hostPath("registry-hosts"), hostsDir, preset);
      assert.equal(env(container, "PULLMEDIC_HOSTS_DIR"), hostsDir, preset);
      for (const v of ["cri-socket", "runtime-root", "registry-hosts"]) assert.equal(mountOf(v), hostPath(v), `${preset}: ${v} is mounted at the host's path`);
    }
    const custom = agentOf(render({ runtime: { preset: "k3s", socket: "unix:///custom/run/k3s.sock" } }));
    assert.equal(env(custom.container, "CRI_ENDPOINT"), "unix:///custom/run/k3s.sock");
    assert.equal(
      custom.pod.volumes?.find((v) => v.name === "runtime-root")?.hostPath?.path,
      "/var/lib/rancher/k3s/agent/containerd",
      "the rest of the preset stays",
    );
  });

  test("an existing Secret replaces the placeholder one; the image can be pinned by digest", () => {
    const docs = render(MATRIX["existing Secret, digest, pull secrets"] ?? {});
    assert.ok(!docs.some((d) => d.kind === "Secret"), "no Secret is rendered: nothing secret is ever in the render");
    for (const w of [agentOf(docs), workload(docs, "Deployment", "pullmedic-aggregator")]) {
      assert.equal(w.pod.volumes?.find((v) => v.name === "token")?.secret?.secretName, "my-token");
      assert.equal(w.container.image, `ghcr.io/acme/pullmedic:0.1.0@sha256:${"a".repeat(64)}`);
      assert.deepEqual(w.pod.imagePullSecrets, [{ name: "ghcr" }]);
    }
    const defaults = render({});
    assert.equal(
      objectData(find(defaults, "Secret", "pullmedic-token"))["token"],
      "REPLACE-WITH-A-RANDOM-TOKEN",
      "the default render holds a placeholder, never a credential",
    );
  });

  test("every toggle: readSecrets binds the role and turns the config on, hostNetwork brings its DNS policy, the aggregator's policy and budget", () => {
    const docs = render(MATRIX["every toggle"] ?? {});
    assert.ok(!kinds(docs).includes("Namespace"));
    const binding = find(docs, "ClusterRoleBinding", "pullmedic-agent-read-secrets");
    assert.equal((binding["roleRef"] as { name: string }).name, "pullmedic-agent-read-secrets");
    const config = parseYaml(objectData(find(docs, "ConfigMap", "pullmedic-agent-config"))["agent.yaml"] ?? "") as { kube: { readSecrets: boolean } };
    assert.equal(config.kube.readSecrets, true);
    const { pod, container } = agentOf(docs);
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.dnsPolicy, "ClusterFirstWithHostNet");
    assert.deepEqual(container.securityContext?.capabilities, { drop: ["ALL"], add: ["SYS_PTRACE"] });
    const agg = workload(docs, "Deployment", "pullmedic-aggregator");
    assert.equal(agg.pod.volumes?.find((v) => v.name === "data")?.persistentVolumeClaim?.claimName, "pm-data");
    assert.ok(!docs.some((d) => d.kind === "PersistentVolumeClaim"));
    const policy = find(docs, "NetworkPolicy", "pullmedic-aggregator") as K8sObject & { spec: { ingress: { from?: unknown[] }[] } };
    assert.equal(policy.spec.ingress[0]?.from?.length, 2, "the agents' pods and the nodes' CIDR");
    assert.ok(find(docs, "PodDisruptionBudget", "pullmedic-aggregator"));
    assert.ok(find(docs, "ClusterRole", "pullmedic-user"));
  });

  test("monitoring: monitors set job and node for the alerts; the PrometheusRule holds the plain rules file; the dashboard ConfigMap carries the sidecar label", () => {
    const docs = render(MATRIX["monitoring with prometheus-operator's ServiceMonitor"] ?? {});
    const monitors = docs.filter((d) => d.kind === "ServiceMonitor") as (K8sObject & { spec: { endpoints: { relabelings: unknown[] }[] } })[];
    assert.deepEqual(monitors.map((m) => m.metadata.name).sort(), ["pullmedic-agent", "pullmedic-aggregator"]);
    for (const m of monitors) {
      assert.equal(m.metadata.labels?.["release"], "kube-prometheus-stack");
      assert.deepEqual(m.spec.endpoints[0]?.relabelings, [
        { targetLabel: "job", replacement: `pullmedic-${m.metadata.labels?.["app.kubernetes.io/component"]}` },
        { sourceLabels: ["__meta_kubernetes_pod_node_name"], targetLabel: "node" },
      ]);
    }
    assert.ok(find(docs, "Service", "pullmedic-agent-metrics"), "the agents get a Service for the ServiceMonitor");
    const rule = find(docs, "PrometheusRule", "pullmedic") as K8sObject & { spec: unknown };
    const plain = parseYaml(readFileSync(join(chartDir, "files", "pullmedic.rules.yaml"), "utf8")) as { groups: unknown };
    assert.deepEqual(rule.spec, { groups: plain.groups });
    const moved = render({ monitoring: { prometheusRule: { enabled: true }, runbookBaseUrl: "https://wiki.example/runbooks/" } });
    assert.match(JSON.stringify(find(moved, "PrometheusRule", "pullmedic")), /"runbook_url":"https:\/\/wiki\.example\/runbooks\/PullmedicPullsFailing\.md"/);
    const dashboard = find(docs, "ConfigMap", "pullmedic-grafana-dashboard");
    assert.equal(dashboard.metadata.labels?.["grafana_dashboard"], "1");
    assert.deepEqual(
      JSON.parse(objectData(dashboard)["pullmedic.json"] ?? ""),
      JSON.parse(readFileSync(join(chartDir, "files", "grafana-dashboard.json"), "utf8")),
    );
    const both = helmTemplateRun(4, { values: { monitoring: { serviceMonitor: { enabled: true }, podMonitor: { enabled: true } } } });
    assert.notEqual(both.status, 0);
    assert.match(both.stderr, /serviceMonitor or podMonitor, not both/);
  });

  test("the strict check reaches into prometheus-operator's kinds", async () => {
    const docs = render({ monitoring: { podMonitor: { enabled: true } } });
    const monitor = structuredClone(find(docs, "PodMonitor", "pullmedic-agent")) as K8sObject & { spec: { podMetricsEndpoints: Record<string, unknown>[] } };
    (monitor.spec.podMetricsEndpoints[0] as Record<string, unknown>)["intervall"] = "30s";
    assert.match((await validateObject(monitor)).unknownFields.join("\n"), /intervall: unknown field "intervall".*did you mean "interval"/);
  });

  test("helm uninstall runs `pullmedic cleanup` first, as a pre-delete hook with just the RBAC it needs", () => {
    const docs = render({});
    const hooked = docs.filter((d) => d.metadata.annotations?.["helm.sh/hook"] === "pre-delete");
    assert.deepEqual(kinds(hooked).sort(), ["ClusterRole", "ClusterRoleBinding", "Job", "ServiceAccount"]);
    const job = find(docs, "Job", "pullmedic-cleanup") as K8sObject & {
      spec: { template: { spec: { containers: IContainer[]; serviceAccountName: string } } };
    };
    assert.deepEqual(job.spec.template.spec.containers[0]?.args, ["cleanup"]);
    const rules = find(docs, "ClusterRole", "pullmedic-cleanup")["rules"];
    assert.deepEqual(rules, [
      { apiGroups: [""], resources: ["nodes"], verbs: ["list"] },
      { apiGroups: [""], resources: ["nodes/status"], verbs: ["patch"] },
    ]);
    assert.ok(!render({ cleanupHook: { enabled: false } }).some((d) => d.kind === "Job"));
  });

  test("a bad value is refused by values.schema.json, naming its path, by Helm 3 and Helm 4", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ agent: { port: "9476" } }, /agent.*port/],
      [{ agent: { portt: 9476 } }, /portt/],
      [{ runtime: { preset: "docker" } }, /runtime.*preset/],
      [{ agent: { config: { prune: { highWatermark: 80 } } } }, /highWatermark/],
      [{ agent: { config: { listen: "0.0.0.0:1" } } }, /listen/],
      [{ image: { digest: "latest" } }, /image.*digest/],
      [{ aggregator: { resources: { limits: { memory: "lots" } } } }, /aggregator.*resources.*limits.*memory/],
    ];
    for (const major of MAJORS) {
      for (const [values, path] of cases) {
        const r = helmTemplateRun(major, { values });
        assert.notEqual(r.status, 0, `Helm ${major} accepted ${JSON.stringify(values)}`);
        assert.match(r.stderr, /schema/i, `Helm ${major}: ${r.stderr}`);
        assert.match(r.stderr.replace(/\//g, "."), path, `Helm ${major} names the path for ${JSON.stringify(values)}: ${r.stderr}`);
      }
    }
  });
});
