// The contract between daemonset.yaml (with the Dockerfile's entrypoint) and the program: the real
// agent and aggregator run with exactly the command, args, environment, ports, files and security
// context the manifest gives their containers, and answer where the manifest says they do.
//
// What stands in for the cluster:
// - the node is the lab (a real containerd): the DaemonSet's hostPaths are mapped onto the lab's
//   socket directory, root and certs.d, and a fresh directory for /var/lib/pullmedic; every other
//   volume is a directory holding what kubelet would put there (the ConfigMap's and Secret's data
//   from this same manifest, an empty dir for the claim). Paths in the environment are rewritten to
//   those directories by longest mount path, the way the mounts would resolve them;
// - each container runs in a mount namespace of its own where its read-only mounts and, with
//   readOnlyRootFilesystem, the root filesystem are really read-only, as its user and groups, with
//   no capability and no_new_privs;
// - the pods share a network namespace that holds only loopback: the Service's DNS name resolves to
//   127.0.0.1 there (the Service's port is the aggregator's container port), and no name outside
//   the cluster resolves, so the agent's probes of public registries fail at once, inside;
// - the 0.0.0.0 listens become 127.0.0.1 (asserted first to be 0.0.0.0 in the manifest): no server
//   of a test listens beyond loopback, even in a namespace of its own;
// - `node --import tsx cli/main.ts` stands in for `node dist/cli/main.js`, with the
//   entrypoint's node flags kept and the manifest's args after it; tsx's disk cache is off, since
//   the root filesystem is read-only;
// - the Kubernetes API is the stand-in (test/support/kube-apiserver), holding what `kubectl apply`
//   would create (the aggregator's empty TLS Secret and CA ConfigMap) and the agent's pod. The
//   aggregator reaches it at 127.0.0.1:6443 inside the namespace as the service account the
//   manifest mounts for it (a kubeconfig in KUBERNETES_SERVICE_HOST's place, its namespace
//   pullmedic), reviews the agent's token there and keeps its TLS material there. The agent's
//   projected token is one the stand-in's TokenReview knows: the agent's service account, the
//   projected audience, its pod and node. Kubelet's update of the optional CA volume is the test
//   writing the CA the aggregator published into it. The agent gets no API (KUBERNETES_SERVICE_HOST
//   unset), so its pod watch stays off (kube.enabled is "auto"); RBAC and Events are covered by the
//   manifest and kube tests;
// - hostNetwork and hostPID: both pods share the namespace above (the aggregator's Service name
//   must resolve to it), and the processes run in this machine's process namespace, where the
//   lab's containerd is: the agent reads its files through /proc/<pid>/root with SYS_PTRACE, the
//   one capability the manifest adds.

import assert from "node:assert/strict";
import { randomBytes, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { type Lab, startLab } from "../lab/index.js";
import { type KubeStandIn, podFixture, startKubeStandIn } from "../support/kube-apiserver.js";
import { waitFor } from "../support/wait.js";
import { renderManifest } from "./chart.js";
import { imageConfig, readDockerfile } from "./dockerfile.js";
import { AGENT, AGGREGATOR, containerPort, find, type K8sObject, loadManifest, NAMESPACE, objectData, repoRoot, workload } from "./manifest.js";
import { containerEnv, createNetns, type Netns, type PodProcess, requirePodTools, startPodProcess, translatePath, type VolumeDir, volumeDirs } from "./pod.js";

const NODE_NAME = "node-a";
const LISTEN_VARS = ["PULLMEDIC_LISTEN", "PULLMEDIC_AGGREGATOR_GRPC_LISTEN", "PULLMEDIC_AGGREGATOR_HTTP_LISTEN"];
/** Where the API server is, inside the pods' network namespace. */
const API_PORT = 6443;
/** The agent pod's projected token, as the stand-in's TokenReview knows it. */
const AGENT_TOKEN = `agent-${randomBytes(16).toString("hex")}`;

// The chart rendered with its defaults, which daemonset.yaml is (test/deploy/chart.test.ts holds
// them equal): applied as it is, with nothing to replace but the image.
const docs = loadManifest(renderManifest());
const image = imageConfig(readDockerfile(repoRoot).dockerfile);

interface AggregatorYaml {
  kube: { audience: string; agentServiceAccounts: string[] };
  tls: { secret: string; caConfigMap: string };
}
const aggregatorYaml = parseYaml(objectData(find(docs, "ConfigMap", "pullmedic-aggregator-config"))["aggregator.yaml"] ?? "") as AggregatorYaml;

/** kubelet's TokenRequest for the agent's projected volume: only the audience the aggregator accepts is known. */
function issueAgentToken(audience: string): string {
  assert.equal(audience, aggregatorYaml.kube.audience, "the agent's token is for the aggregator's audience");
  return AGENT_TOKEN;
}

interface Prepared {
  env: Record<string, string>;
  volumes: VolumeDir[];
  argv: string[];
  container: IContainer;
  pod: IPodSpec;
  listens: Record<string, number>;
}

/**
 * The container's process as the manifest and the image define it: entrypoint (node dist/cli/main.js
 * → node --import tsx cli/main.ts), args, environment with paths on the volumes and listens on
 * loopback.
 */
function prepare(kind: "DaemonSet" | "Deployment", name: string, manifest: K8sObject[], root: string, hostPaths: Record<string, string>): Prepared {
  const { pod, container } = workload(manifest, kind, name);
  const volumes = volumeDirs(pod, container, manifest, root, hostPaths, issueAgentToken);
  const raw = containerEnv(container, manifest, { "spec.nodeName": NODE_NAME });
  const env: Record<string, string> = {};
  const listens: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (LISTEN_VARS.includes(k)) {
      const m = /^0\.0\.0\.0:(\d+)$/.exec(v);
      assert.ok(m, `${name}: ${k} is ${v}; in a pod it must listen on every interface (0.0.0.0) for kubelet's probes and Prometheus`);
      const port = Number(m[1]);
      assert.ok(
        container.ports?.some((p) => p.containerPort === port),
        `${name}: ${k} listens on ${port}, a port the container declares`,
      );
      env[k] = `127.0.0.1:${port}`;
      listens[k] = port;
    } else {
      assert.ok(!v.includes("0.0.0.0"), `${name}: ${k}=${v}: only the listen variables may name 0.0.0.0`);
      env[k] = v.startsWith("/") || v.startsWith("unix://") ? translatePath(v, volumes) : v;
    }
  }
  // The entrypoint comes from the image, the args from the manifest (no `command` overrides it).
  assert.equal(container.command, undefined);
  const entrypoint = image.entrypoint;
  assert.equal(entrypoint[0], "node");
  assert.equal(entrypoint[entrypoint.length - 1], "dist/cli/main.js");
  assert.equal(image.workdir, "/app", "the entrypoint's relative path is resolved in WORKDIR, the repository root here");
  const argv = [process.execPath, ...entrypoint.slice(1, -1), "--import", "tsx", "cli/main.ts", ...(container.args ?? [])];
  for (const a of container.args ?? []) assert.ok(!a.startsWith("/"), `${name}: the arg ${a} would need a path mapping`);
  return { env, volumes, argv, container, pod, listens };
}

function start(netns: string, p: Prepared): PodProcess {
  const psc = p.pod.securityContext ?? {};
  const sc = p.container.securityContext ?? {};
  const imageUser = Number(image.user.split(":")[0]);
  const runAsUser = sc.runAsUser ?? psc.runAsUser ?? imageUser;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup ?? Number(image.user.split(":")[1] ?? runAsUser);
  const added = sc.capabilities?.add ?? [];
  // Only SYS_PTRACE, and only for a pod in the host's process namespace (reading the runtime's /proc/<pid>/root).
  assert.deepEqual(added, p.pod.hostPID === true ? ["SYS_PTRACE"] : [], `${p.container.name}: the capabilities added back`);
  return startPodProcess({
    netns,
    argv: p.argv,
    cwd: repoRoot,
    env: {
      PATH: process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
      HOME: runAsUser === 0 ? "/root" : "/",
      HOSTNAME: `${p.container.name}-pod`,
      ...image.env,
      ...p.env,
      // Test-only: tsx keeps its transpile cache in memory, the root filesystem being read-only.
      TSX_DISABLE_CACHE: "1",
    },
    volumes: p.volumes,
    securityContext: {
      runAsUser,
      runAsGroup,
      supplementalGroups: [...(psc.fsGroup !== undefined ? [psc.fsGroup] : []), ...(psc.supplementalGroups ?? [])],
      readOnlyRootFilesystem: sc.readOnlyRootFilesystem === true,
      noNewPrivs: sc.allowPrivilegeEscalation === false,
      dropAllCapabilities: sc.capabilities?.drop?.includes("ALL") === true,
      addCapabilities: added,
    },
  });
}

/** What the kernel says about a running container process: ids, capabilities, no_new_privs, its root mount. */
function processFacts(pid: number | undefined): {
  uid: string;
  gid: string;
  groups: string;
  capEff: string;
  capBnd: string;
  noNewPrivs: string;
  rootReadOnly: boolean;
} {
  assert.ok(pid, "the process has a pid");
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, "m").exec(status)?.[1]?.trim() ?? "";
  const root = readFileSync(`/proc/${pid}/mountinfo`, "utf8")
    .split("\n")
    .find((l) => l.split(" ")[4] === "/");
  return {
    uid: field("Uid").split(/\s+/)[0] ?? "",
    gid: field("Gid").split(/\s+/)[0] ?? "",
    groups: field("Groups"),
    capEff: field("CapEff"),
    capBnd: field("CapBnd"),
    noNewPrivs: field("NoNewPrivs"),
    rootReadOnly: /^ro(,|$)/.test(root?.split(" ")[5] ?? ""),
  };
}

describe("daemonset.yaml runs the real agent and aggregator", () => {
  let lab: Lab;
  let root: string;
  let netns: Netns;
  let get: (port: number, path: string) => Promise<{ status: number; text: string }>;
  let agg: Prepared;
  let agent: Prepared;
  let aggProc: PodProcess;
  let agentProc: PodProcess;
  let hostPaths: Record<string, string>;
  let api: KubeStandIn;
  const grace = (p: Prepared) => (p.pod.terminationGracePeriodSeconds ?? 30) * 1000;

  before(async () => {
    requirePodTools();
    lab = await startLab();
    root = mkdtempSync("/tmp/pm-deploy-");
    chmodSync(root, 0o755); // the aggregator's user must reach its volumes
    // The DaemonSet's hostPaths on the lab "node".
    assert.equal(lab.socketPath, join(lab.dir, "containerd.sock"), "the lab's socket sits in the folder mapped to /run/containerd");
    hostPaths = {
      "/run/containerd": lab.dir,
      "/var/lib/containerd": lab.containerdRoot,
      "/var/lib/pullmedic": join(root, "node-var-lib-pullmedic"),
    };
    mkdirSync(hostPaths["/var/lib/pullmedic"] as string, { recursive: true });

    // The Service's DNS name, as the agent is told it, resolves to the aggregator pod's loopback.
    const service = find(docs, "Service", "pullmedic-aggregator") as K8sObject & { spec: { ports: { port: number; targetPort: number | string }[] } };
    const serviceName = `${service.metadata.name}.${NAMESPACE}.svc`;
    netns = createNetns({ [serviceName]: "127.0.0.1" });

    // The cluster: what `kubectl apply` creates empty for the aggregator to fill, and the agent's
    // pod with its projected token (the agent's service account, the pod's node in the claim).
    api = await startKubeStandIn();
    api.putSecret({ metadata: { name: aggregatorYaml.tls.secret, namespace: NAMESPACE } });
    api.putConfigMap({ metadata: { name: aggregatorYaml.tls.caConfigMap, namespace: NAMESPACE } });
    const agentPod = api.putPod(podFixture({ name: "pullmedic-agent-x7k2p", namespace: NAMESPACE, nodeName: NODE_NAME, image: "pullmedic:test" }));
    const serviceAccount = aggregatorYaml.kube.agentServiceAccounts[0] ?? "";
    assert.equal(serviceAccount, `${NAMESPACE}:${workload(docs, AGENT.kind, AGENT.name).pod.serviceAccountName}`);
    api.addPodToken({
      token: AGENT_TOKEN,
      serviceAccount,
      pod: { name: agentPod.metadata.name, uid: agentPod.metadata.uid ?? "" },
      node: NODE_NAME,
      audiences: [aggregatorYaml.kube.audience],
    });
    await netns.expose(API_PORT, Number(new URL(api.url).port), root);

    agg = prepare(AGGREGATOR.kind, AGGREGATOR.name, docs, join(root, "aggregator"), {});
    // The pod's service-account token (the Deployment mounts it): the API server at its address in
    // the namespace, the aggregator's namespace for its TLS Secret and CA ConfigMap.
    assert.notEqual(workload(docs, AGGREGATOR.kind, AGGREGATOR.name).pod.automountServiceAccountToken, false);
    const kubeconfig = join(root, "aggregator-kubeconfig");
    writeFileSync(
      kubeconfig,
      stringifyYaml({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "cluster", cluster: { server: `http://127.0.0.1:${API_PORT}` } }],
        users: [{ name: "pullmedic-aggregator", user: { token: api.token } }],
        contexts: [{ name: "pod", context: { cluster: "cluster", user: "pullmedic-aggregator", namespace: NAMESPACE } }],
        "current-context": "pod",
      }),
      { mode: 0o644 },
    );
    agg.env["KUBECONFIG"] = kubeconfig;
    agent = prepare(AGENT.kind, AGENT.name, docs, join(root, "agent"), hostPaths);
    // The agent is told the Service's name and port; the Service sends that port to the port the
    // aggregator's gRPC listens on. They are the same number, so loopback needs no port relay.
    const [host, port] = (agent.env["PULLMEDIC_AGGREGATOR"] ?? "").split(":");
    assert.equal(host, serviceName);
    const servicePort = service.spec.ports.find((p) => p.port === Number(port));
    assert.ok(servicePort, `the Service has port ${port}`);
    assert.equal(
      containerPort(workload(docs, AGGREGATOR.kind, AGGREGATOR.name).container, servicePort.targetPort),
      agg.listens["PULLMEDIC_AGGREGATOR_GRPC_LISTEN"],
    );
    assert.equal(servicePort.port, agg.listens["PULLMEDIC_AGGREGATOR_GRPC_LISTEN"]);
    get = await netns.forward([...Object.values(agent.listens), ...Object.values(agg.listens)], root);
  });

  after(async () => {
    await Promise.all([agentProc?.stop(), aggProc?.stop()]);
    netns?.remove();
    await api?.close();
    await lab?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test("the agent refuses a ConfigMap with a wrong key (exit 2, naming it), so a started agent proves the real one parsed", async () => {
    const broken = structuredClone(docs);
    const cm = find(broken, "ConfigMap", "pullmedic-agent-config") as K8sObject & { data: Record<string, string> };
    cm.data["agent.yaml"] = (cm.data["agent.yaml"] ?? "").replace("highWatermarkPercent:", "highWatermark:");
    const p = prepare(AGENT.kind, AGENT.name, broken, join(root, "agent-broken"), hostPaths);
    const proc = start(netns.name, p);
    const { code } = await proc.exited;
    assert.equal(code, 2, proc.stderr());
    assert.match(proc.stderr(), /prune\.highWatermark: unknown key \(did you mean highWatermarkPercent\?\) in \/tmp\/pm-deploy-/);
  });

  test("the aggregator starts as its manifest says, as uid 65532 on a read-only root, and its probes answer 200", async () => {
    aggProc = start(netns.name, agg);
    const line = await aggProc.waitForLog(/^pullmedic aggregator: gRPC /);
    assert.match(String(line["message"]), /gRPC 127\.0\.0\.1:9477, dashboard http:\/\/127\.0\.0\.1:9478\//);
    const { container } = agg;
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      const port = containerPort(container, probe?.httpGet?.port ?? -1);
      const res = await waitFor(
        `aggregator ${probe?.httpGet?.path}`,
        () => get(port, probe?.httpGet?.path ?? ""),
        (r) => r.status === 200,
        { timeoutMs: 30_000 },
      );
      assert.equal(res.status, 200);
    }
    assert.deepEqual(processFacts(aggProc.child.pid), {
      uid: "65532",
      gid: "65532",
      groups: "65532",
      capEff: "0000000000000000",
      capBnd: "0000000000000000",
      noNewPrivs: "1",
      rootReadOnly: true,
    });
    // TLS by default: its CA and serving certificate made and kept in the Secret the manifest
    // created empty, the CA alone published in the ConfigMap the agents mount.
    const secret = await waitFor(
      "the aggregator's TLS Secret filled",
      async () => api.objectData("secrets", NAMESPACE, aggregatorYaml.tls.secret) ?? {},
      (d) => Object.keys(d).length > 0,
      { timeoutMs: 30_000 },
    );
    assert.deepEqual(Object.keys(secret).sort(), ["ca.crt", "ca.key", "tls.crt", "tls.key"]);
    const published = api.objectData("configmaps", NAMESPACE, aggregatorYaml.tls.caConfigMap) ?? {};
    assert.deepEqual(Object.keys(published), ["ca.crt"]);
    const serving = new X509Certificate(Buffer.from(secret["tls.crt"] ?? "", "base64"));
    assert.ok(serving.checkHost(`pullmedic-aggregator.${NAMESPACE}.svc`), `the certificate names the Service: ${serving.subjectAltName}`);
    assert.ok(serving.checkIssued(new X509Certificate(published["ca.crt"] ?? "")), "signed by the published CA");

    const dbPath = agg.env["PULLMEDIC_AGGREGATOR_DATABASE"] as string;
    const claim = agg.volumes.find((v) => v.mountPath === "/var/lib/pullmedic");
    assert.ok(claim && dbPath.startsWith(`${claim.dir}/`), "the database is on the claim's volume");
    assert.equal(statSync(dbPath).uid, 65532, "the database was created by the pod's user");
  });

  test("the agent starts with the ConfigMap's config on the lab node, its probes answer 200, and it reports to the aggregator through the Service name", async () => {
    // The config names no file path: one would need a mount and a mapping of its own here.
    const config = parseYaml(objectData(find(docs, "ConfigMap", "pullmedic-agent-config"))["agent.yaml"] ?? "") as unknown;
    const paths: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === "string" && v.startsWith("/")) paths.push(v);
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(config);
    assert.deepEqual(paths, []);

    // kubelet fills the optional CA volume once the aggregator has published its CA.
    const caFile = agent.env["PULLMEDIC_AGGREGATOR_CA_FILE"] as string;
    assert.ok(caFile, "the agent names the published CA");
    writeFileSync(caFile, api.objectData("configmaps", NAMESPACE, aggregatorYaml.tls.caConfigMap)?.["ca.crt"] ?? "");

    agentProc = start(netns.name, agent);
    const line = await agentProc.waitForLog(/state http:\/\/\S+\/v1\/state/);
    assert.match(String(line["message"]), new RegExp(`on node ${NODE_NAME}: state http://127\\.0\\.0\\.1:9476/v1/state`));
    // Root, as the manifest says, with SYS_PTRACE (bit 19) as its only capability.
    assert.deepEqual(processFacts(agentProc.child.pid), {
      uid: "0",
      gid: "0",
      groups: "",
      capEff: "0000000000080000",
      capBnd: "0000000000080000",
      noNewPrivs: "1",
      rootReadOnly: true,
    });
    const { container } = agent;
    const readiness = container.readinessProbe?.httpGet;
    const liveness = container.livenessProbe?.httpGet;
    const live = await get(containerPort(container, liveness?.port ?? -1), liveness?.path ?? "");
    assert.equal(live.status, 200, live.text);
    // 503 until the runtime answered and the first disk and image rounds are done.
    const ready = await waitFor(
      "agent /readyz 200",
      () => get(containerPort(container, readiness?.port ?? -1), readiness?.path ?? ""),
      (r) => r.status === 200,
      { timeoutMs: 90_000 },
    );
    assert.equal(ready.status, 200, ready.text);

    // The agent → aggregator stream: the Service name, TLS with the published CA, the projected
    // token reviewed by the API (its node from the token's claim), the node name from the downward API.
    const httpPort = agg.listens["PULLMEDIC_AGGREGATOR_HTTP_LISTEN"] as number;
    interface NodesView {
      nodes: { node: string; connected: boolean; reported: boolean; runtime: string }[];
    }
    const nodes = () => get(httpPort, "/api/v1/nodes").then((r) => JSON.parse(r.text) as NodesView);
    await waitFor("the node in /api/v1/nodes", nodes, (r) => r.nodes.some((n) => n.node === NODE_NAME && n.connected && n.reported), { timeoutMs: 60_000 });
    // The runtime's name joins the report after the first disk round, at the next report (30 s).
    const seen = await waitFor(
      "the lab's runtime in the node's report",
      nodes,
      (r) => /^containerd /.test(r.nodes.find((n) => n.node === NODE_NAME)?.runtime ?? ""),
      { timeoutMs: 75_000 },
    );
    assert.equal(seen.nodes.length, 1);
    assert.ok(!agentProc.logs.some((r) => /UNAUTHENTICATED|PERMISSION_DENIED|plaintext/.test(JSON.stringify(r))), "the projected token is accepted, over TLS");
    assert.ok(api.reviewCounts().tokenReviews >= 1, "the aggregator asked the API whose token it is");
  });

  test("the scrape annotations name the real metrics port and path of both pods; the agent's metrics show the ConfigMap's pre-pull list", async () => {
    for (const w of [AGENT, AGGREGATOR]) {
      const { podAnnotations } = workload(docs, w.kind, w.name);
      assert.equal(podAnnotations["prometheus.io/scrape"], "true");
      const res = await get(Number(podAnnotations["prometheus.io/port"]), podAnnotations["prometheus.io/path"] ?? "");
      assert.equal(res.status, 200, `${w.name}: ${res.text.slice(0, 200)}`);
      assert.match(res.text, /^# HELP pullmedic_/m, `${w.name} serves Prometheus text`);
    }
    const config = parseYaml(objectData(find(docs, "ConfigMap", "pullmedic-agent-config"))["agent.yaml"] ?? "") as { prepull: { images: string[] } };
    // The start-up pre-pull round may still be under way: its first state is what is asserted.
    const metrics = await waitFor(
      "the pre-pull list in the agent's metrics",
      async () => (await get(agent.listens["PULLMEDIC_LISTEN"] as number, "/metrics")).text,
      (text) => config.prepull.images.every((img) => text.includes(`image="${img}"`)),
      { timeoutMs: 60_000 },
    );
    for (const img of config.prepull.images) {
      assert.match(
        metrics,
        new RegExp(`pullmedic_prepull_image_state\\{[^}]*image="${img.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"`),
        `the ConfigMap's ${img} is pre-pulled (it fails here: no network)`,
      );
    }
  });

  test("the image filesystem the agent measures (statfs on the read-only mount) lies under the runtime root the DaemonSet mounts", async () => {
    interface DiskState {
      checks: { disk: { ok: boolean; result?: { mountpoint: string; host?: { capacityBytes: number } }[] } };
    }
    const state = JSON.parse((await get(agent.listens["PULLMEDIC_LISTEN"] as number, "/v1/state")).text) as DiskState;
    const disk = state.checks.disk;
    assert.equal(disk.ok, true, JSON.stringify(disk));
    const fs = disk.result?.[0];
    assert.ok(fs, `the runtime reports its image filesystem under its root: ${JSON.stringify(disk)}`);
    assert.ok(fs.mountpoint.startsWith(`${lab.containerdRoot}/`), `the runtime reports its image filesystem under its root: ${JSON.stringify(disk)}`);
    assert.ok((fs.host?.capacityBytes ?? 0) > 0, "statfs answered");
    // On a node the runtime reports it under /var/lib/containerd, which the DaemonSet mounts at the same path.
    const inPod = fs.mountpoint.replace(lab.containerdRoot, "/var/lib/containerd");
    assert.equal(translatePath(inPod, agent.volumes), fs.mountpoint);
    assert.equal(agent.volumes.find((v) => v.dir === lab.containerdRoot)?.readOnly, true);
  });

  test("the runtime's view: with the host's processes and SYS_PTRACE, the agent reads the runtime's own files through /proc/<pid>/root, with no hosts dir mounted", async () => {
    assert.equal(agent.pod.hostPID, true);
    assert.equal(agent.env["PULLMEDIC_HOSTS_DIR"], undefined);
    interface RuntimeState {
      runtime?: { origin?: { kind: string; pid?: number; root?: string }; line: string };
    }
    const state = await waitFor(
      "the runtime's view in /v1/state",
      async () => JSON.parse((await get(agent.listens["PULLMEDIC_LISTEN"] as number, "/v1/state")).text) as RuntimeState,
      (s) => s.runtime?.origin !== undefined,
      { timeoutMs: 60_000 },
    );
    const origin = state.runtime?.origin;
    assert.equal(origin?.kind, "process", `the runtime's own process, not a fallback: ${state.runtime?.line}`);
    assert.equal(origin?.root, `/proc/${origin?.pid}/root`);
    const socketOwner = readFileSync(`/proc/${origin?.pid}/cmdline`, "utf8");
    assert.match(socketOwner, /containerd/, "the process that holds the lab's CRI socket");
  });

  test("SIGTERM stops both within terminationGracePeriodSeconds with exit 0; the agent saved its state on the state hostPath", async () => {
    const a = await agentProc.stop();
    assert.equal(a.code, 0, agentProc.stderr());
    assert.ok(a.ms < grace(agent), `the agent stopped in ${a.ms} ms`);
    const stateFile = agent.env["PULLMEDIC_STATE_FILE"] as string;
    assert.ok(stateFile.startsWith(hostPaths["/var/lib/pullmedic"] as string));
    assert.ok(existsSync(stateFile), "state.json is on the state volume");
    assert.ok(JSON.parse(readFileSync(stateFile, "utf8")));
    const g = await aggProc.stop();
    assert.equal(g.code, 0, aggProc.stderr());
    assert.ok(g.ms < grace(agg), `the aggregator stopped in ${g.ms} ms`);
    // Nothing either process wrote landed outside its writable volumes: the root was read-only.
    for (const p of [agentProc, aggProc]) assert.ok(!/EROFS|read-only file system/i.test(p.stderr() + JSON.stringify(p.logs)), p.stderr());
  });
});
