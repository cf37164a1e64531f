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

/** cert-manager's kinds: no models package is installed for them; the cert-manager test asserts their fields. */
const isCertManager = (d: K8sObject) => d.apiVersion.startsWith("cert-manager.io/");

async function schemaProblems(docs: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const doc of docs.filter((d) => !isCertManager(d))) {
    const { schemaErrors, unknownFields } = await validateObject(doc);
    for (const p of [...schemaErrors, ...unknownFields]) problems.push(`${doc.kind} ${doc.metadata?.name}: ${p}`);
  }
  return problems;
}

const agentOf = (docs: K8sObject[]) => workload(docs, "DaemonSet", "pullmedic-agent");
const aggregatorOf = (docs: K8sObject[], name = "pullmedic-aggregator") => workload(docs, "Deployment", name);
/** The aggregator's aggregator.yaml, from its ConfigMap. */
const aggregatorYaml = (docs: K8sObject[], name = "pullmedic-aggregator") =>
  parseYaml(objectData(find(docs, "ConfigMap", `${name}-config`))["aggregator.yaml"] ?? "") as Record<string, unknown> & {
    kube: { audience: string; agentServiceAccounts: string[] };
    tls?: Record<string, unknown>;
  };
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
  "shared token from an existing Secret, digest, pull secrets": {
    auth: { mode: "token", token: { existingSecret: "my-token" } },
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
  "TLS by cert-manager, extra names, another audience": {
    auth: { audience: "pullmedic.example" },
    aggregator: { tls: { mode: "certManager", dnsNames: ["pullmedic.example.com"] } },
  },
  "PostgreSQL mode with its defaults": {
    aggregator: { database: { engine: "postgres", postgres: { existingSecret: "pm-db" } } },
  },
  "PostgreSQL mode, 3 replicas, minAvailable, another key, cert-manager, shared token": {
    auth: { mode: "token", token: { existingSecret: "my-token" } },
    aggregator: {
      database: { engine: "postgres", postgres: { existingSecret: "pm-db", key: "url" } },
      replicas: 3,
      podDisruptionBudget: { minAvailable: 1 },
      tls: { mode: "certManager" },
      affinity: { nodeAffinity: {} },
    },
  },
  "plaintext, outside the node's namespaces": {
    agent: { hostNetwork: false, hostPID: false },
    aggregator: { tls: { mode: "plaintext" }, config: { reportMemoryBytes: 134217728, maxNodes: 2000 } },
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

  test("the runtime presets set the socket and the runtime's root together; the hosts directory is the runtime's own, not mounted", () => {
    const expect: Record<string, [string, string]> = {
      containerd: ["/run/containerd/containerd.sock", "/var/lib/containerd"],
      k3s: ["/run/k3s/containerd/containerd.sock", "/var/lib/rancher/k3s/agent/containerd"],
      rke2: ["/run/k3s/containerd/containerd.sock", "/var/lib/rancher/rke2/agent/containerd"],
      microk8s: ["/var/snap/microk8s/common/run/containerd.sock", "/var/snap/microk8s/common/var/lib/containerd"],
      k0s: ["/run/k0s/containerd.sock", "/var/lib/k0s/containerd"],
      crio: ["/var/run/crio/crio.sock", "/var/lib/containers"],
    };
    for (const [preset, [socket, root]] of Object.entries(expect)) {
      const { pod, container } = agentOf(render({ runtime: { preset } }));
      const hostPath = (volume: string) => pod.volumes?.find((v) => v.name === volume)?.hostPath?.path;
      const mountOf = (volume: string) => container.volumeMounts?.find((m) => m.name === volume)?.mountPath;
      assert.equal(env(container, "CRI_ENDPOINT"), `unix://${socket}`, preset);
      assert.equal(hostPath("cri-socket"), socket.replace(/\/[^/]+$/, ""), `${preset}: the socket's directory is mounted`);
      assert.equal(hostPath("runtime-root"), root, preset);
      // Read through /proc/<runtime pid>/root where the runtime's configuration names it.
      assert.equal(env(container, "PULLMEDIC_HOSTS_DIR"), undefined, preset);
      assert.deepEqual(
        pod.volumes?.filter((v) => v.hostPath).map((v) => v.name),
        ["cri-socket", "runtime-root", "state"],
        `${preset}: no other host path`,
      );
      assert.equal(pod.hostPID, true, `${preset}: the runtime's process is visible`);
      for (const v of ["cri-socket", "runtime-root"]) assert.equal(mountOf(v), hostPath(v), `${preset}: ${v} is mounted at the host's path`);
    }
    const custom = agentOf(render({ runtime: { preset: "k3s", socket: "unix:///custom/run/k3s.sock" } }));
    assert.equal(env(custom.container, "CRI_ENDPOINT"), "unix:///custom/run/k3s.sock");
    assert.equal(
      custom.pod.volumes?.find((v) => v.name === "runtime-root")?.hostPath?.path,
      "/var/lib/rancher/k3s/agent/containerd",
      "the rest of the preset stays",
    );
  });

  test("auth.mode token: the shared token from a Secret the user made (required), named in both pods; the image can be pinned by digest", () => {
    const docs = render(MATRIX["shared token from an existing Secret, digest, pull secrets"] ?? {});
    for (const w of [agentOf(docs), aggregatorOf(docs)]) {
      assert.equal(w.pod.volumes?.find((v) => v.name === "token")?.secret?.secretName, "my-token");
      assert.equal(w.container.image, `ghcr.io/acme/pullmedic:0.1.0@sha256:${"a".repeat(64)}`);
      assert.deepEqual(w.pod.imagePullSecrets, [{ name: "ghcr" }]);
    }
    assert.equal(env(agentOf(docs).container, "PULLMEDIC_TOKEN_FILE"), "/etc/pullmedic/token/token");
    assert.ok(!agentOf(docs).pod.volumes?.some((v) => v.projected), "no projected token in token mode");
    assert.equal(env(aggregatorOf(docs).container, "PULLMEDIC_AGGREGATOR_TOKEN_FILE"), "/etc/pullmedic/token/token");
    assert.equal(aggregatorYaml(docs)["agentAuth"], "sharedToken", "beyond loopback the shared token is asked for by name");
    assert.equal(aggregatorYaml(docs)["httpAuth"], "kubernetes", "HTTP callers still bring their Kubernetes tokens");
    // The chart never renders a credential: the only Secret is the aggregator's TLS one, empty.
    assert.deepEqual(
      docs.filter((d) => d.kind === "Secret").map((d) => [d.metadata.name, objectData(d)]),
      [["pullmedic-aggregator-tls", {}]],
    );
    for (const major of MAJORS) {
      const r = helmTemplateRun(major, { values: { auth: { mode: "token" } } });
      assert.notEqual(r.status, 0, `Helm ${major} rendered token mode without a Secret`);
      assert.match(r.stderr.replace(/\//g, "."), /auth.*token/, `Helm ${major}: ${r.stderr}`);
    }
  });

  test("auth.mode serviceAccount (default): a projected token for the aggregator's audience and the release's own agent service account, with any release name and namespace", () => {
    const texts = MAJORS.map((m) => helmTemplate(m, { release: "pm", namespace: "ops", values: { auth: { audience: "pm.example" } } }));
    assert.equal(texts[0], texts[1]);
    const docs = parseDocuments(texts[1] ?? "", "helm template pm -n ops");
    const agent = workload(docs, "DaemonSet", "pm-pullmedic-agent");
    const token = agent.pod.volumes?.find((v) => v.projected);
    assert.deepEqual(token?.projected?.sources, [{ serviceAccountToken: { audience: "pm.example", expirationSeconds: 3600, path: "token" } }]);
    assert.equal(env(agent.container, "PULLMEDIC_TOKEN_FILE"), "/var/run/secrets/pullmedic/aggregator/token");
    const config = aggregatorYaml(docs, "pm-pullmedic-aggregator");
    assert.equal(config["agentAuth"], "serviceAccountToken");
    assert.deepEqual(config.kube, { audience: "pm.example", agentServiceAccounts: ["ops:pm-pullmedic-agent"] });
    assert.deepEqual(config.tls, { secret: "pm-pullmedic-aggregator-tls", caConfigMap: "pm-pullmedic-aggregator-ca", service: "pm-pullmedic-aggregator" });
    assert.equal(env(agent.container, "PULLMEDIC_AGGREGATOR"), "pm-pullmedic-aggregator.ops.svc:9477", "the name the certificate carries");
    assert.equal(agent.pod.volumes?.find((v) => v.name === "aggregator-ca")?.configMap?.name, "pm-pullmedic-aggregator-ca");
    const bindings = docs.filter((d) => (d["roleRef"] as { name?: string } | undefined)?.name === "system:auth-delegator");
    assert.deepEqual(
      bindings.map((b) => b["subjects"]),
      [
        [{ kind: "ServiceAccount", name: "pm-pullmedic-agent", namespace: "ops" }],
        [{ kind: "ServiceAccount", name: "pm-pullmedic-aggregator", namespace: "ops" }],
      ],
    );
    const role = find(docs, "Role", "pm-pullmedic-aggregator") as K8sObject & { rules: { resourceNames: string[] }[] };
    assert.deepEqual(
      role.rules.map((r) => r.resourceNames),
      [["pm-pullmedic-aggregator-tls"], ["pm-pullmedic-aggregator-ca"]],
    );
  });

  test("on Kubernetes before 1.30 (tokens without the node claim) the aggregator may get pods, by the cluster's version or by the value", () => {
    type Role = K8sObject & { rules: { resources: string[]; verbs: string[] }[] };
    const readsPods = (opts: { values?: Record<string, unknown>; kubeVersion?: string }) => {
      const texts = MAJORS.map((m) => helmTemplate(m, { ...opts, noHooks: true }));
      assert.equal(texts[0], texts[1], "Helm 3 and Helm 4 render alike");
      const role = find(parseDocuments(texts[1] ?? "", "helm template"), "Role", "pullmedic-aggregator") as Role;
      return role.rules.some((r) => r.resources.includes("pods") && r.verbs.includes("get"));
    };
    assert.equal(readsPods({}), false, "helm template's default cluster is 1.30 or later");
    assert.equal(readsPods({ kubeVersion: "1.29.4" }), true);
    assert.equal(readsPods({ kubeVersion: "v1.30.0" }), false);
    assert.equal(readsPods({ kubeVersion: "1.28.0", values: { aggregator: { readPodsForNodeClaim: false } } }), false);
    assert.equal(readsPods({ kubeVersion: "1.31.0", values: { aggregator: { readPodsForNodeClaim: true } } }), true);
  });

  test("aggregator.tls: cert-manager makes the CA and certificate the aggregator mounts; plaintext drops TLS, its Secret, CA and Role", () => {
    const cm = render(MATRIX["TLS by cert-manager, extra names, another audience"] ?? {});
    const certs = cm.filter(isCertManager) as (K8sObject & { spec: Record<string, unknown> })[];
    assert.deepEqual(certs.map((c) => `${c.kind} ${c.metadata.name}`).sort(), [
      "Certificate pullmedic-aggregator-tls",
      "Certificate pullmedic-ca",
      "Issuer pullmedic-ca",
      "Issuer pullmedic-selfsigned",
    ]);
    const byName = (kind: string, name: string) => certs.find((c) => c.kind === kind && c.metadata.name === name)?.spec;
    assert.deepEqual(byName("Issuer", "pullmedic-selfsigned"), { selfSigned: {} });
    assert.deepEqual(byName("Issuer", "pullmedic-ca"), { ca: { secretName: "pullmedic-ca" } });
    assert.equal(byName("Certificate", "pullmedic-ca")?.["isCA"], true);
    const serving = byName("Certificate", "pullmedic-aggregator-tls") ?? {};
    assert.equal(serving["secretName"], "pullmedic-aggregator-tls");
    assert.deepEqual(serving["issuerRef"], { name: "pullmedic-ca", kind: "Issuer" });
    assert.ok((serving["dnsNames"] as string[]).includes("pullmedic-aggregator.pullmedic.svc"), "the name the agents dial");
    assert.ok((serving["dnsNames"] as string[]).includes("pullmedic.example.com"));
    const agg = aggregatorOf(cm);
    assert.equal(agg.pod.volumes?.find((v) => v.name === "tls")?.secret?.secretName, "pullmedic-aggregator-tls");
    assert.equal(agg.container.volumeMounts?.find((m) => m.name === "tls")?.mountPath, "/etc/pullmedic/tls");
    assert.deepEqual(aggregatorYaml(cm).tls, {
      certFile: "/etc/pullmedic/tls/tls.crt",
      keyFile: "/etc/pullmedic/tls/tls.key",
      caFile: "/etc/pullmedic/tls/ca.crt",
      caConfigMap: "pullmedic-aggregator-ca",
      service: "pullmedic-aggregator",
    });
    assert.ok(!cm.some((d) => d.kind === "Secret"), "cert-manager writes the Secret");
    const role = find(cm, "Role", "pullmedic-aggregator") as K8sObject & { rules: { resources: string[] }[] };
    assert.deepEqual(
      role.rules.map((r) => r.resources),
      [["configmaps"]],
      "no Secret grant: the aggregator reads cert-manager's files",
    );

    const plain = render(MATRIX["plaintext, outside the node's namespaces"] ?? {});
    const config = aggregatorYaml(plain);
    assert.equal(config["plaintext"], true);
    assert.equal(config.tls, undefined);
    assert.equal(config["reportMemoryBytes"], 134217728, "aggregator.config reaches aggregator.yaml");
    assert.ok(!plain.some((d) => d.kind === "Secret" || d.kind === "Role" || d.metadata.name === "pullmedic-aggregator-ca"));
    const agent = agentOf(plain);
    assert.equal(env(agent.container, "PULLMEDIC_AGGREGATOR_CA_FILE"), undefined);
    assert.equal(agent.pod.hostPID, false);
    assert.equal(agent.pod.dnsPolicy, undefined);
    assert.deepEqual(agent.container.securityContext?.capabilities, { drop: ["ALL"] }, "no SYS_PTRACE without hostPID");
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
    assert.deepEqual(container.securityContext?.capabilities, { drop: ["ALL"], add: ["SYS_PTRACE"] }, "named twice, added once");
    const agg = workload(docs, "Deployment", "pullmedic-aggregator");
    assert.equal(agg.pod.volumes?.find((v) => v.name === "data")?.persistentVolumeClaim?.claimName, "pm-data");
    assert.ok(!docs.some((d) => d.kind === "PersistentVolumeClaim"));
    const policy = find(docs, "NetworkPolicy", "pullmedic-aggregator") as K8sObject & { spec: { ingress: { from?: unknown[] }[] } };
    assert.equal(policy.spec.ingress[0]?.from?.length, 2, "the agents' pods and the nodes' CIDR");
    assert.ok(find(docs, "PodDisruptionBudget", "pullmedic-aggregator"));
    assert.ok(find(docs, "ClusterRole", "pullmedic-user"));
  });

  test("aggregator.database.engine postgres: 2 replicas by default, rolling, spread across nodes and zones, a budget, no volume, the DSN's Secret mounted as a file named in databaseFile", () => {
    const text = helmTemplate(4, { values: MATRIX["PostgreSQL mode with its defaults"] ?? {} });
    const docs = render(MATRIX["PostgreSQL mode with its defaults"] ?? {});
    const agg = aggregatorOf(docs);
    const spec = agg.object["spec"] as { replicas: number; strategy: unknown; selector: { matchLabels: Record<string, string> } };
    assert.equal(spec.replicas, 2);
    assert.deepEqual(spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, "a rollout keeps every replica serving");
    const spread = agg.pod.topologySpreadConstraints ?? [];
    assert.deepEqual(
      spread.map((c) => [c.topologyKey, c.whenUnsatisfiable, c.maxSkew]),
      [
        ["kubernetes.io/hostname", "DoNotSchedule", 1],
        ["topology.kubernetes.io/zone", "ScheduleAnyway", 1],
      ],
    );
    for (const c of spread) assert.deepEqual(c.labelSelector?.matchLabels, agg.podLabels, "the spread counts the aggregator's own pods");
    const pdb = find(docs, "PodDisruptionBudget", "pullmedic-aggregator") as K8sObject & { spec: Record<string, unknown> };
    assert.deepEqual(pdb.spec, { maxUnavailable: 1, selector: { matchLabels: spec.selector.matchLabels } });

    assert.ok(!docs.some((d) => d.kind === "PersistentVolumeClaim"), "no volume: the data is in PostgreSQL");
    assert.ok(!agg.pod.volumes?.some((v) => v.persistentVolumeClaim));
    assert.equal(env(agg.container, "PULLMEDIC_AGGREGATOR_DATABASE"), undefined);
    const volume = agg.pod.volumes?.find((v) => v.secret?.secretName === "pm-db");
    const mount = agg.container.volumeMounts?.find((m) => m.name === volume?.name);
    assert.equal(mount?.readOnly, true);
    assert.equal(env(agg.container, "PULLMEDIC_AGGREGATOR_DATABASE_FILE"), `${mount?.mountPath}/dsn`, "databaseFile is the Secret's key, mounted");
    // The chart never renders a credential: no DSN anywhere, and the only Secret is the empty TLS one.
    assert.doesNotMatch(text, /postgres(ql)?:\/\//);
    assert.ok(!agg.container.env?.some((e) => e.valueFrom?.secretKeyRef), "the DSN is no environment variable");
    assert.deepEqual(
      docs.filter((d) => d.kind === "Secret").map((d) => [d.metadata.name, objectData(d)]),
      [["pullmedic-aggregator-tls", {}]],
    );
    assert.equal(aggregatorYaml(docs)["database"], undefined);

    const more = render(MATRIX["PostgreSQL mode, 3 replicas, minAvailable, another key, cert-manager, shared token"] ?? {});
    const moreAgg = aggregatorOf(more);
    assert.equal((moreAgg.object["spec"] as { replicas: number }).replicas, 3);
    assert.equal(env(moreAgg.container, "PULLMEDIC_AGGREGATOR_DATABASE_FILE"), "/etc/pullmedic/database/url");
    assert.deepEqual(
      moreAgg.container.volumeMounts?.map((m) => m.name),
      ["database", "config", "token", "tls", "tmp"],
    );
    assert.deepEqual(moreAgg.pod.affinity, { nodeAffinity: {} }, "the user's affinity stays beside the spread");
    const morePdb = find(more, "PodDisruptionBudget", "pullmedic-aggregator") as K8sObject & { spec: Record<string, unknown> };
    assert.equal(morePdb.spec["minAvailable"], 1);
    assert.equal(morePdb.spec["maxUnavailable"], undefined);

    const noBudget = { aggregator: { database: { engine: "postgres", postgres: { existingSecret: "pm-db" } }, podDisruptionBudget: { enabled: false } } };
    assert.ok(!render(noBudget).some((d) => d.kind === "PodDisruptionBudget"), "the budget can be turned off");
    const sqlite = render({});
    assert.ok(!sqlite.some((d) => d.kind === "PodDisruptionBudget"), "SQLite's one replica has no budget unless asked");
    assert.equal(aggregatorOf(sqlite).pod.topologySpreadConstraints, undefined);
    assert.equal((aggregatorOf(render({ aggregator: { replicas: 1 } })).object["spec"] as { replicas: number }).replicas, 1);
  });

  test("aggregator.replicas above 1 with SQLite, and PostgreSQL without its Secret, are refused with the value named, by Helm 3 and Helm 4", () => {
    for (const major of MAJORS) {
      const many = helmTemplateRun(major, { values: { aggregator: { replicas: 2 } } });
      assert.notEqual(many.status, 0, `Helm ${major} rendered 2 SQLite replicas`);
      assert.match(many.stderr, /aggregator\.replicas 2 needs aggregator\.database\.engine postgres/, `Helm ${major}: ${many.stderr}`);
      const noSecret = helmTemplateRun(major, { values: { aggregator: { database: { engine: "postgres" } } } });
      assert.notEqual(noSecret.status, 0, `Helm ${major} rendered PostgreSQL mode without a Secret`);
      assert.match(noSecret.stderr.replace(/\//g, "."), /aggregator.database.postgres.existingSecret/, `Helm ${major}: ${noSecret.stderr}`);
    }
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
      [{ auth: { mode: "oidc" } }, /auth.*mode/],
      [{ aggregator: { tls: { mode: "selfSigned" } } }, /aggregator.*tls.*mode/],
      [{ aggregator: { config: { reportMemoryBytes: "256Mi" } } }, /aggregator.*config.*reportMemoryBytes/],
      [{ aggregator: { config: { grpcListen: "0.0.0.0:1" } } }, /grpcListen/],
      // The database is wired by aggregator.database: a DSN is never a value.
      [{ aggregator: { config: { database: "postgres://pm:secret@db/pm" } } }, /aggregator.*config.*database/],
      [{ aggregator: { database: { engine: "mysql" } } }, /aggregator.*database.*engine/],
      [{ aggregator: { replicas: 0 } }, /aggregator.*replicas/],
      // The agent's port is on the node's network: never open to anyone.
      [{ agent: { config: { httpAuth: "none" } } }, /agent.*config.*httpAuth/],
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
