// daemonset.yaml against the Kubernetes API's own definitions, offline: every document validates
// with kubernetes-models (the OpenAPI schema of a current release) and has no field the API server's
// strict field validation would refuse; the references between documents resolve; and the
// workloads carry what issue 8 asks of them.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IVolume } from "kubernetes-models/v1/Volume";
import { parse as parseYaml } from "yaml";
import { modelsPackageVersion, validateObject } from "./k8s-schema.js";
import {
  AGENT,
  AGGREGATOR,
  containerPort,
  find,
  type K8sObject,
  loadManifest,
  NAMESPACE,
  objectData,
  optInDocuments,
  readManifest,
  repoRoot,
  workload,
} from "./manifest.js";

const docs = loadManifest();
const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding"]);
/** ClusterRoles every cluster has (default RBAC), bound here rather than defined. */
const BUILT_IN_ROLES = new Set(["system:auth-delegator"]);

interface AggregatorYaml {
  agentAuth: string;
  httpAuth: string;
  kube: { audience: string; agentServiceAccounts: string[] };
  tls: { secret: string; caConfigMap: string; service: string };
  reportMemoryBytes: number;
  maxNodes?: number;
  viewThread?: boolean;
}
/** The aggregator's configuration file, from its ConfigMap. */
function aggregatorYaml(): AggregatorYaml {
  return parseYaml(objectData(find(docs, "ConfigMap", "pullmedic-aggregator-config"))["aggregator.yaml"] ?? "") as AggregatorYaml;
}

/** A Kubernetes quantity in bytes or cores: "96Mi", "1Gi", "20m", "1". */
function quantity(q: string | number | undefined): number {
  if (q === undefined) return NaN;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|m)?$/.exec(String(q));
  if (!m) throw new Error(`not a quantity this test reads: ${q}`);
  const n = Number(m[1]);
  return m[2] === "Ki" ? n * 1024 : m[2] === "Mi" ? n * 1024 ** 2 : m[2] === "Gi" ? n * 1024 ** 3 : m[2] === "m" ? n / 1000 : n;
}
const MiB = 1024 ** 2;

function env(container: IContainer, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}

function mount(container: IContainer, pod: { volumes?: IVolume[] }, mountPath: string): { readOnly: boolean; volume: IVolume } {
  const m = container.volumeMounts?.find((v) => v.mountPath === mountPath);
  assert.ok(m, `${container.name} mounts nothing at ${mountPath}`);
  const volume = pod.volumes?.find((v) => v.name === m.name);
  assert.ok(volume, `${container.name} mounts volume ${m.name}, which the pod does not declare`);
  return { readOnly: m.readOnly === true, volume };
}

describe("daemonset.yaml against the Kubernetes schemas", () => {
  test(`every document validates against kubernetes-models ${modelsPackageVersion()} (the OpenAPI definitions of Kubernetes 1.36 or later), strictly`, async () => {
    const all = [...docs, ...optInDocuments()];
    assert.ok(all.length >= 12, `expected the whole install in one file, found ${all.length} documents`);
    const problems: string[] = [];
    for (const doc of all) {
      const { schemaErrors, unknownFields } = await validateObject(doc);
      for (const p of [...schemaErrors, ...unknownFields]) problems.push(`${doc.kind} ${doc.metadata?.name}: ${p}`);
    }
    assert.deepEqual(problems, []);
  });

  test("the strict check catches a misspelled field and one under the wrong parent; the schema check a wrong type and a wrong enum", async () => {
    const mutated = structuredClone(find(docs, AGENT.kind, AGENT.name)) as K8sObject & {
      spec: { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } };
    };
    const pod = mutated.spec.template.spec;
    const container = pod.containers[0] as Record<string, unknown>;
    container["imagePullPolicyy"] = "IfNotPresent";
    container["tolerations"] = pod["tolerations"];
    delete pod["tolerations"];
    pod["hostPid"] = false;
    const strict = await validateObject(mutated);
    assert.deepEqual(strict.schemaErrors, [], "the misplaced fields are invisible to the OpenAPI validation alone");
    assert.deepEqual(strict.unknownFields.sort(), [
      'spec.template.spec.containers[0].imagePullPolicyy: unknown field "imagePullPolicyy" in IContainer (did you mean "imagePullPolicy"?)',
      'spec.template.spec.containers[0].tolerations: unknown field "tolerations" in IContainer',
      'spec.template.spec.hostPid: unknown field "hostPid" in IPodSpec (did you mean "hostPID"?)',
    ]);

    const typed = structuredClone(find(docs, AGENT.kind, AGENT.name)) as K8sObject & {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    const c = typed.spec.template.spec.containers[0] as { ports: { containerPort: unknown }[]; imagePullPolicy: unknown };
    (c.ports[0] as { containerPort: unknown }).containerPort = "9476";
    c.imagePullPolicy = "Sometimes";
    const schema = await validateObject(typed);
    assert.ok(
      schema.schemaErrors.some((e) => e.startsWith("/spec/template/spec/containers/0/ports/0/containerPort: must be integer")),
      schema.schemaErrors.join("\n"),
    );
    assert.ok(
      schema.schemaErrors.some((e) => e.startsWith("/spec/template/spec/containers/0/imagePullPolicy: must be equal to one of the allowed values")),
      schema.schemaErrors.join("\n"),
    );

    const unknownKind = await validateObject({ apiVersion: "apps/v1", kind: "DeamonSet", metadata: { name: "x" } });
    assert.match(unknownKind.schemaErrors.join(), /not a kind of this Kubernetes release/);
  });

  test("documents are namespaced in pullmedic (cluster-scoped ones excepted), unique, and in an order kubectl can apply", () => {
    const seen = new Set<string>();
    for (const d of docs) {
      const key = `${d.kind}/${d.metadata.name}`;
      assert.ok(!seen.has(key), `${key} appears twice`);
      seen.add(key);
      if (CLUSTER_SCOPED.has(d.kind)) assert.equal(d.metadata.namespace, undefined, `${key} is cluster-scoped`);
      else assert.equal(d.metadata.namespace, NAMESPACE, `${key} belongs in ${NAMESPACE}`);
    }
    assert.equal(docs[0]?.kind, "Namespace", "the Namespace comes first, so the rest can be created in it");
    assert.equal(docs[0]?.metadata.name, NAMESPACE);
    // hostPath volumes are forbidden by the baseline Pod Security level.
    assert.equal(docs[0]?.metadata.labels?.["pod-security.kubernetes.io/enforce"], "privileged");
  });

  test("every reference resolves: service accounts, roles, volumes, selectors, Service ports", () => {
    for (const binding of [...docs, ...optInDocuments()].filter((d) => d.kind === "ClusterRoleBinding" || d.kind === "RoleBinding")) {
      const roleRef = binding["roleRef"] as { kind: string; name: string };
      if (!BUILT_IN_ROLES.has(roleRef.name)) find(docs, roleRef.kind, roleRef.name);
      for (const s of binding["subjects"] as { kind: string; name: string; namespace: string }[]) {
        assert.equal(s.namespace, NAMESPACE);
        find(docs, s.kind, s.name);
      }
    }
    for (const w of [AGENT, AGGREGATOR]) {
      const { object, pod, podLabels, container } = workload(docs, w.kind, w.name);
      assert.ok(pod.serviceAccountName, `${w.name} names its service account`);
      find(docs, "ServiceAccount", pod.serviceAccountName);
      const selector = (object["spec"] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      for (const [k, v] of Object.entries(selector)) assert.equal(podLabels[k], v, `${w.name}: the selector's ${k} matches the pod template`);
      for (const m of container.volumeMounts ?? [])
        assert.ok(
          pod.volumes?.some((v) => v.name === m.name),
          `${w.name} mounts undeclared volume ${m.name}`,
        );
      for (const v of pod.volumes ?? []) {
        assert.ok(
          container.volumeMounts?.some((m) => m.name === v.name),
          `${w.name} declares volume ${v.name} and mounts it nowhere`,
        );
        if (v.configMap) find(docs, "ConfigMap", v.configMap.name ?? "");
        for (const source of v.projected?.sources ?? []) assert.ok(source.serviceAccountToken, `${w.name}: projected volume ${v.name} holds a token only`);
        if (v.secret) find(docs, "Secret", v.secret.secretName ?? "");
        if (v.persistentVolumeClaim) find(docs, "PersistentVolumeClaim", v.persistentVolumeClaim.claimName);
      }
    }
    const service = find(docs, "Service", "pullmedic-aggregator") as K8sObject & {
      spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[] };
    };
    const agg = workload(docs, AGGREGATOR.kind, AGGREGATOR.name);
    for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(agg.podLabels[k], v, `the Service selects the aggregator's pods (${k})`);
    const agentPods = workload(docs, AGENT.kind, AGENT.name).podLabels;
    assert.ok(
      Object.entries(service.spec.selector).some(([k, v]) => agentPods[k] !== v),
      "the Service does not select the agents",
    );
    const ports = Object.fromEntries(service.spec.ports.map((p) => [p.name, { port: p.port, target: containerPort(agg.container, p.targetPort) }]));
    assert.deepEqual(ports, { grpc: { port: 9477, target: 9477 }, http: { port: 9478, target: 9478 } });
  });

  test("RBAC: the agent gets exactly the rules its pod watch uses; reading Secrets is a separate, unbound opt-in; both servers review tokens and access", () => {
    const rules = (name: string) =>
      (find(docs, "ClusterRole", name)["rules"] as { apiGroups: string[]; resources: string[]; verbs: string[] }[])
        .flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g || "core"}/${res}:${v}`))))
        .sort();
    assert.deepEqual(rules("pullmedic-agent"), [
      "core/events:create",
      "core/events:list",
      "core/events:patch",
      "core/nodes/status:patch",
      "core/nodes:get",
      "core/pods:get",
      "core/pods:list",
      "core/pods:watch",
    ]);
    assert.deepEqual(rules("pullmedic-agent-read-secrets"), ["core/secrets:get", "core/serviceaccounts:get"]);

    const bound = docs
      .filter((d) => d.kind === "ClusterRoleBinding" || d.kind === "RoleBinding")
      .map((d) => `${d.kind} ${(d["roleRef"] as { name: string }).name} → ${(d["subjects"] as { name: string }[]).map((x) => x.name).join(",")}`)
      .sort();
    assert.deepEqual(
      bound,
      [
        "ClusterRoleBinding pullmedic-agent → pullmedic-agent",
        // TokenReview and SubjectAccessReview: the agents' tokens and HTTP callers (aggregator), callers of its port (agent).
        "ClusterRoleBinding system:auth-delegator → pullmedic-agent",
        "ClusterRoleBinding system:auth-delegator → pullmedic-aggregator",
        "RoleBinding pullmedic-aggregator → pullmedic-aggregator",
      ],
      "only the base role, the reviews and the aggregator's own Role are bound by default",
    );
    // The aggregator's Role: its TLS Secret and the CA ConfigMap, by name, get and patch only (both
    // objects are created here, so no create), in its namespace.
    const role = find(docs, "Role", "pullmedic-aggregator") as K8sObject & { rules: Record<string, string[]>[] };
    assert.deepEqual(role.rules, [
      { apiGroups: [""], resources: ["secrets"], resourceNames: ["pullmedic-aggregator-tls"], verbs: ["get", "patch"] },
      { apiGroups: [""], resources: ["configmaps"], resourceNames: ["pullmedic-aggregator-ca"], verbs: ["get", "patch"] },
    ]);
    const agg = aggregatorYaml();
    assert.deepEqual([agg.tls.secret, agg.tls.caConfigMap], ["pullmedic-aggregator-tls", "pullmedic-aggregator-ca"], "the Role names what the aggregator uses");
    const optIn = optInDocuments();
    assert.equal(optIn.length, 1);
    assert.equal(optIn[0]?.kind, "ClusterRoleBinding");
    assert.deepEqual(optIn[0]?.["roleRef"], { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "pullmedic-agent-read-secrets" });
    assert.deepEqual(optIn[0]?.["subjects"], [{ kind: "ServiceAccount", name: "pullmedic-agent", namespace: NAMESPACE }]);
    // The program's side of the opt-in stays off too, and the comment tells both steps.
    const config = parseYaml(objectData(find(docs, "ConfigMap", "pullmedic-agent-config"))["agent.yaml"] ?? "") as { kube?: { readSecrets?: boolean } };
    assert.equal(config.kube?.readSecrets, false);
    assert.match(readManifest(), /uncomment the ClusterRoleBinding[\s\S]*readSecrets: true/);
    // The aggregator calls the API (reviews, its Secret and ConfigMap) with its own service account's token.
    assert.equal(find(docs, "ServiceAccount", "pullmedic-aggregator")["automountServiceAccountToken"], true);
    assert.notEqual(workload(docs, AGGREGATOR.kind, AGGREGATOR.name).pod.automountServiceAccountToken, false);
  });

  test("the agent DaemonSet: every node, node-critical, NODE_NAME from the downward API, the host paths, locked down, measured resources, probes, rolling update, scrape annotations", () => {
    const { object, pod, podAnnotations, container } = workload(docs, AGENT.kind, AGENT.name);
    assert.deepEqual(pod.tolerations, [{ operator: "Exists" }], "one toleration with no key and no effect tolerates every taint");
    assert.equal(pod.priorityClassName, "system-node-critical");
    // The runtime's view: its process (files through /proc/<pid>/root) and the node's network.
    assert.equal(pod.hostPID, true);
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.dnsPolicy, "ClusterFirstWithHostNet", "cluster names still resolve in the host network");
    assert.equal(pod.hostIPC, false);
    assert.deepEqual(container.env?.find((e) => e.name === "NODE_NAME")?.valueFrom, { fieldRef: { fieldPath: "spec.nodeName" } });

    // Host paths: the socket's directory and the runtime's root read-only, the state read-write; the
    // runtime's registry configuration is read through /proc/<pid>/root, not mounted.
    const hostPath = (mountPath: string) => {
      const m = mount(container, pod, mountPath);
      assert.ok(m.volume.hostPath, `${mountPath} is a hostPath volume`);
      return { path: m.volume.hostPath.path, readOnly: m.readOnly };
    };
    assert.deepEqual(hostPath("/run/containerd"), { path: "/run/containerd", readOnly: true });
    assert.deepEqual(hostPath("/var/lib/containerd"), { path: "/var/lib/containerd", readOnly: true });
    assert.deepEqual(hostPath("/var/lib/pullmedic"), { path: "/var/lib/pullmedic", readOnly: false });
    assert.equal(pod.volumes?.filter((v) => v.hostPath).length, 3, "no other host path");
    assert.equal(env(container, "CRI_ENDPOINT"), "unix:///run/containerd/containerd.sock");
    assert.equal(env(container, "PULLMEDIC_STATE_FILE"), "/var/lib/pullmedic/state.json");
    assert.equal(env(container, "PULLMEDIC_HOSTS_DIR"), undefined, "the runtime's own hosts dir, found through its configuration");
    // Its port is on the node's network: the agent checks callers beyond loopback (httpAuth auto),
    // and nothing in the manifest turns that off.
    assert.equal(env(container, "PULLMEDIC_HTTP_AUTH"), undefined);
    const agentYaml = parseYaml(objectData(find(docs, "ConfigMap", "pullmedic-agent-config"))["agent.yaml"] ?? "") as { httpAuth?: string };
    assert.ok(agentYaml.httpAuth === undefined || agentYaml.httpAuth !== "none");

    const sc = container.securityContext ?? {};
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.equal(sc.privileged, false);
    assert.deepEqual(sc.capabilities, { drop: ["ALL"], add: ["SYS_PTRACE"] }, "SYS_PTRACE alone: reading the runtime's /proc/<pid>/root");
    assert.equal(sc.runAsUser, 0, "root for the CRI socket, stated in the manifest rather than left to the image");
    assert.equal((sc.seccompProfile ?? pod.securityContext?.seccompProfile)?.type, "RuntimeDefault");

    // Measured: 77 MiB RSS with 1,000 images, 100 MiB after 400 failing pods, ~2 % of a core idle.
    const r = container.resources ?? {};
    assert.ok(quantity(r.requests?.["memory"]) >= 77 * MiB, "the memory request covers the measured steady state (77 MiB)");
    assert.ok(quantity(r.limits?.["memory"]) >= 1.5 * 100 * MiB, "the memory limit leaves room over the measured burst peak (100 MiB)");
    assert.ok(quantity(r.requests?.["cpu"]) >= 0.02, "the CPU request covers the measured idle use (2 % of a core)");
    assert.ok(quantity(r.limits?.["cpu"]) > quantity(r.requests?.["cpu"]));
    assert.match(readManifest(), /77 MiB RSS with 1,000 images[\s\S]*100 MiB after a burst\s+# of 400 failing pods/);

    const port = containerPort(container, "http");
    assert.equal(port, 9476);
    assert.equal(containerPort(container, container.livenessProbe?.httpGet?.port ?? -1), port);
    assert.equal(container.livenessProbe?.httpGet?.path, "/healthz");
    assert.equal(containerPort(container, container.readinessProbe?.httpGet?.port ?? -1), port);
    assert.equal(container.readinessProbe?.httpGet?.path, "/readyz");

    const strategy = (object["spec"] as { updateStrategy: { type: string; rollingUpdate?: { maxUnavailable?: string | number } } }).updateStrategy;
    assert.equal(strategy.type, "RollingUpdate");
    assert.ok(strategy.rollingUpdate?.maxUnavailable !== undefined, "maxUnavailable is set");
    assert.deepEqual(podAnnotations, { "prometheus.io/scrape": "true", "prometheus.io/port": String(port), "prometheus.io/path": "/metrics" });
  });

  test("the aggregator: one replica, Recreate, a PersistentVolumeClaim, non-root, measured resources, probes", () => {
    const { object, pod, podAnnotations, container } = workload(docs, AGGREGATOR.kind, AGGREGATOR.name);
    const spec = object["spec"] as { replicas: number; strategy: { type: string } };
    assert.equal(spec.replicas, 1, "SQLite: one writer");
    assert.equal(spec.strategy.type, "Recreate", "the old pod closes the database before the new one opens it");
    const data = mount(container, pod, env(container, "PULLMEDIC_AGGREGATOR_DATABASE")?.replace(/\/[^/]+$/, "") ?? "");
    assert.ok(data.volume.persistentVolumeClaim, "the database lives on the PersistentVolumeClaim");
    assert.equal(data.readOnly, false);
    const psc = pod.securityContext ?? {};
    assert.equal(psc.runAsNonRoot, true);
    assert.equal(psc.runAsUser, 65532);
    assert.equal(psc.fsGroup, 65532, "the volume is writable for the non-root user");
    const sc = container.securityContext ?? {};
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.deepEqual(sc.capabilities, { drop: ["ALL"] });
    assert.equal(psc.seccompProfile?.type, "RuntimeDefault");
    // Measured: 78 MiB idle + 35 MiB per 1,000 reporting nodes.
    const r = container.resources ?? {};
    assert.ok(quantity(r.requests?.["memory"]) >= (78 + 35) * MiB, "the request covers 1,000 nodes");
    assert.ok(quantity(r.limits?.["memory"]) >= quantity(r.requests?.["memory"]));
    // The reports' memory budget is refused beyond, never the pod killed: the limit holds it beside the idle process.
    const { reportMemoryBytes } = aggregatorYaml();
    assert.ok(reportMemoryBytes >= 64 * MiB, "aggregator.yaml sets the reports' memory budget");
    assert.ok(quantity(r.limits?.["memory"]) >= 78 * MiB + reportMemoryBytes, "the memory limit holds the idle process and reportMemoryBytes");
    // The memory bench's worst case (BENCH_AGG_PARTS=memory BENCH_AGG_NODE=26, 2026-12-06): maxNodes
    // connected, each having sent the largest report, reportMemoryBytes full: 3,449 MiB at peak.
    // With dashboards open the view thread's heap comes on top, capped at 1.5 × reportMemoryBytes
    // + 64 MiB (aggregator/view-thread: beyond it the views go back to the main thread).
    const { maxNodes, viewThread } = aggregatorYaml();
    const viewThreadCap = viewThread === false ? 0 : 1.5 * reportMemoryBytes + 64 * MiB;
    assert.ok(
      quantity(r.limits?.["memory"]) >= (3449 * MiB * (maxNodes ?? 20_000)) / 20_000 + viewThreadCap,
      "the memory limit holds maxNodes connected with the largest reports, as measured, and the view thread's heap cap",
    );
    assert.ok(quantity(r.limits?.["cpu"]) >= 1, "one core: 500 reports/s");
    assert.equal(container.livenessProbe?.httpGet?.path, "/healthz");
    assert.equal(container.readinessProbe?.httpGet?.path, "/readyz");
    assert.deepEqual(podAnnotations, { "prometheus.io/scrape": "true", "prometheus.io/port": "9478", "prometheus.io/path": "/metrics" });
    const pvc = find(docs, "PersistentVolumeClaim", data.volume.persistentVolumeClaim?.claimName ?? "") as K8sObject & { spec: { accessModes: string[] } };
    assert.deepEqual(pvc.spec.accessModes, ["ReadWriteOnce"]);
  });

  test("both workloads run one image, tagged with this version (never :latest)", () => {
    const agent = workload(docs, AGENT.kind, AGENT.name);
    const agg = workload(docs, AGGREGATOR.kind, AGGREGATOR.name);
    assert.equal(agent.container.image, agg.container.image);
    assert.ok(agent.container.image?.endsWith(`:${pkg.version}`), `${agent.container.image} is tagged ${pkg.version}`);
    assert.equal(agent.container.imagePullPolicy, "IfNotPresent");
    assert.deepEqual(agent.container.args, ["agent"]);
    assert.deepEqual(agg.container.args, ["aggregator"]);
    assert.equal(agent.container.command, undefined, "the image's entrypoint (node --max-semi-space-size=2 dist/cli/main.js) runs");
    assert.equal(agg.container.command, undefined);
  });

  test("identity and TLS: the agent's projected token is for the aggregator's audience and service account, the CA it trusts is the one the aggregator publishes, and no credential is in the file", () => {
    const agent = workload(docs, AGENT.kind, AGENT.name);
    const agg = workload(docs, AGGREGATOR.kind, AGGREGATOR.name);
    const config = aggregatorYaml();
    // Each agent its own token, for its own node; HTTP callers their Kubernetes tokens.
    assert.equal(config.agentAuth, "serviceAccountToken");
    assert.equal(config.httpAuth, "kubernetes");
    assert.equal(env(agg.container, "PULLMEDIC_AGGREGATOR_CONFIG"), "/etc/pullmedic/config/aggregator.yaml");
    assert.equal(mount(agg.container, agg.pod, "/etc/pullmedic/config").volume.configMap?.name, "pullmedic-aggregator-config");
    assert.equal(env(agg.container, "PULLMEDIC_AGGREGATOR_TOKEN_FILE"), undefined, "no shared token");

    const tokenFile = env(agent.container, "PULLMEDIC_TOKEN_FILE") ?? "";
    const tokenMount = mount(agent.container, agent.pod, tokenFile.replace(/\/[^/]+$/, ""));
    assert.equal(tokenMount.readOnly, true);
    assert.deepEqual(tokenMount.volume.projected?.sources, [
      { serviceAccountToken: { audience: config.kube.audience, expirationSeconds: 3600, path: tokenFile.replace(/^.*\//, "") } },
    ]);
    assert.equal(config.kube.audience, "pullmedic");
    assert.deepEqual(
      config.kube.agentServiceAccounts,
      [`${NAMESPACE}:${agent.pod.serviceAccountName}`],
      "the agents' service account is the one the aggregator accepts",
    );

    // TLS: the aggregator's Secret (empty: it writes its CA and certificate there) and the CA it
    // publishes, which the agent mounts (optional until it is there) and names in its CA file.
    assert.equal(config.tls.service, "pullmedic-aggregator", "the certificate names the Service the agents dial");
    assert.match(env(agent.container, "PULLMEDIC_AGGREGATOR") ?? "", new RegExp(`^${config.tls.service}\\.${NAMESPACE}\\.svc:`));
    const caFile = env(agent.container, "PULLMEDIC_AGGREGATOR_CA_FILE") ?? "";
    const caMount = mount(agent.container, agent.pod, caFile.replace(/\/[^/]+$/, ""));
    assert.deepEqual(caMount.volume.configMap, { name: config.tls.caConfigMap, optional: true });
    assert.equal(caFile.replace(/^.*\//, ""), "ca.crt");
    const service = find(docs, "Service", "pullmedic-aggregator") as K8sObject & { spec: { ports: { name: string; appProtocol?: string }[] } };
    assert.equal(service.spec.ports.find((p) => p.name === "grpc")?.appProtocol, undefined, "the gRPC port is TLS, not h2c");

    // Nothing in the file is a credential: the Secret and the CA ConfigMap are created empty.
    for (const d of docs.filter((x) => x.kind === "Secret")) assert.deepEqual(objectData(d), {}, `Secret ${d.metadata.name} holds nothing`);
    assert.deepEqual(objectData(find(docs, "Secret", config.tls.secret)), {});
    assert.deepEqual(objectData(find(docs, "ConfigMap", config.tls.caConfigMap)), {});
    assert.doesNotMatch(readManifest(), /REPLACE-WITH|BEGIN [A-Z ]*PRIVATE KEY|BEGIN CERTIFICATE/);
  });
});
