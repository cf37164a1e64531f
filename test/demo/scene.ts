// The demo's world: the real lab (containerd and the CNCF registry), a second registry that wants
// credentials, one serving HTTPS with an expired certificate, a Docker-Hub-like registry whose
// quota is used up, a registry that is down, and a stand-in Kubernetes API holding one node with a
// pod failing for each of those causes (plus a mistyped tag and a platform mismatch). The agent the
// caller starts with agentConfig diagnoses them for real, from the node, within seconds.
// `npm run demo` and the lab tests of the dashboard and of the Grafana dashboard start it.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestCerts } from "../lab/certs.js";
import { type FaultServer, startFaultServer } from "../lab/faults.js";
import { buildImage, buildIndex, type Lab, nodePlatform, startLab } from "../lab/index.js";
import { signal } from "../lab/process.js";
import { push } from "../lab/push.js";
import { type RegistryServer, startRegistry } from "../lab/registry.js";
import { type KubeStandIn, podFixture, startKubeStandIn } from "../support/kube-apiserver.js";
import { closedPort } from "../support/net.js";

export const DEMO_NODE = "demo-node";
export const DEMO_NAMESPACE = "shop";

/** A seeded failure: the pod, its image, and the cause the agent should find. */
export interface SeededFailure {
  pod: string;
  image: string;
  cause: string;
  what: string;
}

export interface DemoScene {
  dir: string;
  lab: Lab;
  api: KubeStandIn;
  kubeconfig: string;
  failures: SeededFailure[];
  /** An image every node should have, present in the lab registry: pre-pulled for real. */
  prepullImage: string;
  /** The agent's configuration file (YAML); `report` adds the aggregator to report to. */
  agentConfig(opts: { listen?: string; report?: { aggregator: string; tokenFile: string } }): string;
  stop(): Promise<void>;
}

const OTHER_PLATFORM = nodePlatform().architecture === "arm64" ? { os: "linux", architecture: "amd64" } : { os: "linux", architecture: "arm64", variant: "v8" };

function hostsToml(hostsDir: string, host: string, url: string, ca?: string): void {
  mkdirSync(join(hostsDir, host), { recursive: true });
  const lines = [`server = ${JSON.stringify(url)}`, "", `[host.${JSON.stringify(url)}]`, `  capabilities = ["pull", "resolve"]`];
  if (ca !== undefined) lines.push(`  ca = ${JSON.stringify(ca)}`);
  writeFileSync(join(hostsDir, host, "hosts.toml"), `${lines.join("\n")}\n`);
}

interface Registries {
  priv: RegistryServer;
  expired: RegistryServer;
  hub: FaultServer;
  downHost: string;
}

async function startRegistries(dir: string, lab: Lab): Promise<Registries> {
  const certs = await makeTestCerts(join(dir, "certs"));
  const priv = await startRegistry(join(dir, "private"), { username: "demo", password: "demo-password-not-given-to-pods" });
  const expired = await startRegistry(join(dir, "expired"), undefined, { certificate: certs.certs.expired.cert, key: certs.certs.expired.key });
  const hubImage = buildImage({ label: "demo/hub-nginx" });
  const hub = await startFaultServer({ kind: "rate-limited", limit: 100, remaining: 0, windowSeconds: 21_600, source: "203.0.113.7", headAtZero: 200 }, [
    { repo: "library/nginx", tag: "1.27", image: hubImage },
  ]);
  const downHost = `127.0.0.1:${await closedPort()}`;
  hostsToml(lab.hostsDir, priv.host, priv.url);
  hostsToml(lab.hostsDir, expired.host, expired.url, certs.caCert);
  hostsToml(lab.hostsDir, hub.host, hub.url);
  hostsToml(lab.hostsDir, downHost, `http://${downHost}`);
  return { priv, expired, hub, downHost };
}

async function seedImages(lab: Lab, r: Registries): Promise<{ failures: SeededFailure[]; prepullImage: string }> {
  const shop = await lab.push(buildImage({ files: { "index.html": "the demo shop\n" }, label: "demo/shop" }), "demo/shop:1.0");
  await lab.push(buildIndex([buildImage({ label: "demo/arm-only", platform: OTHER_PLATFORM })]), "demo/other-arch:1.0");
  const secret = await push({ url: r.priv.pushUrl, host: r.priv.host, auth: r.priv.auth }, buildImage({ label: "demo/private" }), "team/private:1.0");
  const secure = await push({ url: r.expired.pushUrl, host: r.expired.host, auth: undefined }, buildImage({ label: "demo/secure" }), "team/secure:1.0");
  const failures: SeededFailure[] = [
    { pod: "web-mistyped-tag", image: shop.ref.replace(/:1\.0$/, ":1.O"), cause: "not-found", what: "a mistyped tag (1.O for 1.0)" },
    { pod: "api-private-image", image: secret.ref, cause: "auth-required", what: "a private image and no pull Secret" },
    { pod: "billing-expired-cert", image: secure.ref, cause: "tls", what: "a registry whose certificate expired" },
    { pod: "proxy-rate-limited", image: `${r.hub.host}/library/nginx:1.27`, cause: "rate-limited", what: "a Docker-Hub-like registry with its quota used up" },
    {
      pod: "worker-other-arch",
      image: `${lab.registry.host}/demo/other-arch:1.0`,
      cause: "platform-mismatch",
      what: `an image built only for ${OTHER_PLATFORM.architecture}`,
    },
    { pod: "cache-registry-down", image: `${r.downHost}/team/cache:1.0`, cause: "connection-refused", what: "a registry that is down" },
  ];
  return { failures, prepullImage: shop.ref };
}

function writeAgentConfig(dir: string, lab: Lab, kubeconfig: string, r: Registries, prepull: string[], opts: Parameters<DemoScene["agentConfig"]>[0]): string {
  const lines = [
    `nodeName: ${DEMO_NODE}`,
    `listen: ${opts.listen ?? "127.0.0.1:0"}`,
    `criEndpoint: ${lab.criEndpoint}`,
    `hostsDir: ${lab.hostsDir}`,
    `stateFile: ${join(dir, "state.json")}`,
    "shutdownTimeout: 5s",
    "disk:\n  interval: 5s",
    "images:\n  interval: 5s",
    `probes:\n  interval: 10s\n  timeout: 2s\n  registries: ${JSON.stringify([lab.registry.host, r.priv.host, r.expired.host, r.hub.host, r.downHost])}`,
    `quota:\n  interval: 30s\n  registryUrl: ${r.hub.url}`,
    `prepull:\n  images: ${JSON.stringify(prepull)}\n  runAtStart: true\n  jitter: 0s\n  timeout: 3s\n  retries:\n    attempts: 1`,
    `kube:\n  enabled: true\n  kubeconfig: ${kubeconfig}\n  diagnoseTimeout: 3s`,
    `report:\n  interval: 5s${opts.report ? `\n  aggregator: ${opts.report.aggregator}\n  tokenFile: ${opts.report.tokenFile}` : ""}`,
  ];
  const file = join(dir, `agent-${Date.now()}.yaml`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** Starts everything; on a failure half-way, stops what had started. */
export async function startDemoScene(): Promise<DemoScene> {
  const dir = mkdtempSync(join(tmpdir(), "pm-demo-"));
  const stops: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => undefined);
  };
  try {
    const lab = await startLab({ imageFsSizeMiB: 256 });
    stops.push(() => lab.stop());
    const r = await startRegistries(dir, lab);
    stops.push(
      () => r.hub.stop(),
      () => stopRegistry(r.priv),
      () => stopRegistry(r.expired),
    );
    const { failures, prepullImage } = await seedImages(lab, r);
    const api = await startKubeStandIn();
    stops.push(() => api.close());
    api.putNode({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: DEMO_NODE },
      status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }] },
    });
    for (const f of failures) {
      api.putPod(podFixture({ name: f.pod, namespace: DEMO_NAMESPACE, nodeName: DEMO_NODE, image: f.image, state: "err-image-pull", imagePullSecrets: [] }));
    }
    const kubeconfig = await api.writeKubeconfig(join(dir, "kube"));
    // The private image is critical too: its pre-pull fails (no credentials), which the alerts see.
    const prepull = [prepullImage, failures[1]?.image ?? ""];
    return { dir, lab, api, kubeconfig, failures, prepullImage, agentConfig: (opts) => writeAgentConfig(dir, lab, kubeconfig, r, prepull, opts), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function stopRegistry(reg: RegistryServer): void {
  signal(reg.daemon.pid, "SIGTERM");
  if (reg.pushDaemon) signal(reg.pushDaemon.pid, "SIGTERM");
}
