import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connect } from "node:tls";
import { createReporter } from "../../agent/report/index.js";
import { loadAggregatorConfig, type RunningAggregator, startAggregator } from "../../aggregator/index.js";
import { createLogger } from "../../core/log/log.js";
import { emptyNodeReport } from "../../core/protocol/protocol.js";
import { createAuthority, issueServing } from "../../core/x509/index.js";
import { type KubeStandIn, podFixture, startKubeStandIn } from "../support/kube-apiserver.js";
import { waitFor } from "../support/wait.js";

// TLS on the agent ⇄ aggregator stream without anyone writing a key into a manifest: the aggregator
// makes its CA and serving certificate the first time, keeps them in a Secret, publishes the CA in a
// ConfigMap for the agents, renews, and (with cert-manager's files) serves what the files hold now.

const log = createLogger("cli", "error");
const SECRET = "pullmedic-aggregator-tls";
const CA_MAP = "pullmedic-aggregator-ca";

async function start(api: KubeStandIn, dir: string, flags: Record<string, unknown> = {}): Promise<RunningAggregator> {
  const kubeconfig = await api.writeKubeconfig(dir);
  const config = await loadAggregatorConfig({
    env: {},
    flags: {
      grpcListen: "127.0.0.1:0",
      httpListen: "127.0.0.1:0",
      database: join(dir, `agg-${Math.random().toString(36).slice(2)}.db`),
      agentAuth: "serviceAccountToken",
      "kube.kubeconfig": kubeconfig,
      "tls.secret": SECRET,
      "tls.caConfigMap": CA_MAP,
      ...flags,
    },
  });
  return startAggregator(config, log, { env: {} });
}

function publishedCa(api: KubeStandIn): string {
  const ca = api.objectData("configmaps", "default", CA_MAP)?.["ca.crt"];
  assert.ok(ca, "the CA is published");
  return ca;
}

/** The certificate the gRPC port serves now, seen by a client that trusts `ca`. */
function served(address: string, ca: string, servername = "pullmedic-aggregator.default.svc"): Promise<X509Certificate> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, ca, servername, ALPNProtocols: ["h2"] }, () => {
      const raw = socket.getPeerX509Certificate();
      socket.destroy();
      if (raw) resolve(raw);
      else reject(new Error("no peer certificate"));
    });
    socket.on("error", reject);
  });
}

test("two installs make two CAs; the Secret keeps the keys, the ConfigMap only the CA; a restart reuses them", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pm-tls-"));
  const [api1, api2] = [await startKubeStandIn(), await startKubeStandIn()];
  t.after(() => Promise.all([api1.close(), api2.close()]));
  const agg1 = await start(api1, join(dir, "one"));
  const agg2 = await start(api2, join(dir, "two"));
  const [ca1, ca2] = [publishedCa(api1), publishedCa(api2)];
  assert.notEqual(new X509Certificate(ca1).fingerprint256, new X509Certificate(ca2).fingerprint256);

  const secret = api1.objectData("secrets", "default", SECRET) ?? {};
  assert.deepEqual(Object.keys(secret).sort(), ["ca.crt", "ca.key", "tls.crt", "tls.key"]);
  assert.equal(Buffer.from(secret["ca.crt"] ?? "", "base64").toString(), ca1);
  assert.deepEqual(Object.keys(api1.objectData("configmaps", "default", CA_MAP) ?? {}), ["ca.crt"]);
  assert.doesNotMatch(ca1, /PRIVATE KEY/);

  const leaf = await served(agg1.grpcAddress, ca1);
  assert.ok(leaf.checkIssued(new X509Certificate(ca1)) && leaf.verify(new X509Certificate(ca1).publicKey));
  for (const name of ["pullmedic-aggregator.default.svc", "pullmedic-aggregator", "localhost"]) assert.equal(leaf.checkHost(name), name);
  assert.equal(leaf.checkIP("127.0.0.1"), "127.0.0.1");
  await assert.rejects(served(agg2.grpcAddress, ca1), /self.signed|unable to verify|certificate/i, "one install's CA does not vouch for the other's");
  await agg1.stop();
  await agg2.stop();

  const writes = api1.requests().filter((r) => r.method !== "GET" && r.path.includes("/secrets")).length;
  const again = await start(api1, join(dir, "one"));
  assert.equal(publishedCa(api1), ca1, "the same CA after a restart");
  assert.equal((await served(again.grpcAddress, ca1)).fingerprint256, leaf.fingerprint256, "and the same certificate");
  assert.equal(api1.requests().filter((r) => r.method !== "GET" && r.path.includes("/secrets")).length, writes, "nothing rewritten");
  await again.stop();
});

test("an agent that trusts the published CA reports over TLS; one that trusts another CA, or none, is refused", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pm-tls-agent-"));
  const api = await startKubeStandIn();
  t.after(() => api.close());
  const agg = await start(api, dir);
  t.after(() => agg.stop());
  const pod = api.putPod(podFixture({ name: "pullmedic-agent-x", namespace: "pullmedic", nodeName: "node-a", image: "pullmedic:0.1.0" }));
  api.addPodToken({
    token: "token-a",
    serviceAccount: "pullmedic:pullmedic-agent",
    pod: { name: "pullmedic-agent-x", uid: pod.metadata.uid ?? "" },
    node: "node-a",
    audiences: ["pullmedic"],
  });
  const trusted = join(dir, "ca.crt");
  writeFileSync(trusted, publishedCa(api));
  const stranger = join(dir, "other-ca.crt");
  writeFileSync(stranger, createAuthority({ commonName: "someone else's CA", validDays: 30 }).cert);

  const reporter = async (caFile: string | undefined) => {
    const r = await createReporter({
      address: agg.grpcAddress,
      token: async () => "token-a",
      ...(caFile !== undefined ? { caFile } : {}),
      node: "node-a",
      agentVersion: "0.1.0-test",
      intervalMs: 60_000,
      buildReport: () => ({ ...emptyNodeReport(Date.now()), runtime: `containerd (${caFile ?? "plaintext"})` }),
      backoff: { baseMs: 50, maxMs: 200 },
    });
    r.start();
    t.after(() => r.stop(0));
    return r;
  };
  const good = await reporter(trusted);
  await waitFor(
    "the agent trusting the published CA is acked",
    () => good.status(),
    (s) => s.acked > 0,
    { timeoutMs: 15_000 },
  );

  const wrong = await reporter(stranger);
  const s = await waitFor(
    "the agent trusting another CA fails",
    () => wrong.status(),
    (st) => st.lastError !== undefined,
    { timeoutMs: 15_000 },
  );
  assert.match(s.lastError ?? "", /TLS to the aggregator at .* failed with the CA file .*other-ca\.crt/);
  const plain = await reporter(undefined);
  await waitFor(
    "a plaintext agent fails",
    () => plain.status(),
    (st) => st.lastError !== undefined,
    { timeoutMs: 15_000 },
  );
  assert.deepEqual([wrong.status().acked, plain.status().acked], [0, 0]);
});

test("a serving certificate near its end is renewed with the same CA; an empty Secret and ConfigMap from the manifest are filled", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pm-tls-renew-"));
  const api = await startKubeStandIn();
  t.after(() => api.close());
  const ca = createAuthority({ commonName: "pullmedic aggregator CA (test)", validDays: 3650 });
  const day = 86_400_000;
  const ending = issueServing(ca, {
    commonName: "pullmedic-aggregator",
    names: ["pullmedic-aggregator.default.svc"],
    validDays: 375,
    now: Date.now() - 365 * day,
  });
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  api.putSecret({
    metadata: { name: SECRET, namespace: "default" },
    data: { "ca.crt": b64(ca.cert), "ca.key": b64(ca.key), "tls.crt": b64(ending.cert), "tls.key": b64(ending.key) },
  });
  api.putConfigMap({ metadata: { name: CA_MAP, namespace: "default" } });
  const agg = await start(api, dir);
  t.after(() => agg.stop());
  assert.equal(publishedCa(api), ca.cert, "the CA agents already trust is kept");
  const leaf = await served(agg.grpcAddress, ca.cert);
  assert.notEqual(leaf.fingerprint256, new X509Certificate(ending.cert).fingerprint256);
  assert.ok(Date.parse(leaf.validTo) - Date.now() > 300 * day, `renewed for a year: ${leaf.validTo}`);
  assert.equal(Buffer.from(api.objectData("secrets", "default", SECRET)?.["tls.crt"] ?? "", "base64").toString(), leaf.toString());

  const empty = await startKubeStandIn();
  t.after(() => empty.close());
  empty.putSecret({ metadata: { name: SECRET, namespace: "default" } });
  const fresh = await start(empty, join(dir, "empty"));
  t.after(() => fresh.stop());
  assert.deepEqual(Object.keys(empty.objectData("secrets", "default", SECRET) ?? {}).sort(), ["ca.crt", "ca.key", "tls.crt", "tls.key"]);
});

test("with cert-manager's files, a renewed certificate is served without a restart; a key that is not the certificate's stops the start", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pm-tls-files-"));
  const ca = createAuthority({ commonName: "cert-manager CA (test)", validDays: 30 });
  const write = () => {
    const pair = issueServing(ca, { commonName: "pullmedic-aggregator", names: ["pullmedic-aggregator.pullmedic.svc", "127.0.0.1"], validDays: 30 });
    writeFileSync(join(dir, "tls.crt"), pair.cert);
    writeFileSync(join(dir, "tls.key"), pair.key);
    return new X509Certificate(pair.cert).fingerprint256;
  };
  const first = write();
  const tokenFile = join(dir, "tokens");
  writeFileSync(tokenFile, "a-shared-token-of-some-length\n");
  const flags = {
    grpcListen: "127.0.0.1:0",
    httpListen: "127.0.0.1:0",
    database: join(dir, "agg.db"),
    tokenFile,
    "tls.certFile": join(dir, "tls.crt"),
    "tls.keyFile": join(dir, "tls.key"),
  };
  const agg = await startAggregator(await loadAggregatorConfig({ env: {}, flags }), log, { env: {}, tlsRefreshMs: 100 });
  t.after(() => agg.stop());
  assert.equal((await served(agg.grpcAddress, ca.cert, "pullmedic-aggregator.pullmedic.svc")).fingerprint256, first);
  const second = write();
  await waitFor(
    "the renewed certificate is served",
    () => served(agg.grpcAddress, ca.cert, "pullmedic-aggregator.pullmedic.svc"),
    (c) => c.fingerprint256 === second,
    { timeoutMs: 10_000 },
  );

  writeFileSync(join(dir, "tls.key"), createAuthority({ commonName: "x", validDays: 1 }).key);
  await assert.rejects(
    startAggregator(await loadAggregatorConfig({ env: {}, flags: { ...flags, database: join(dir, "agg2.db") } }), log, { env: {} }),
    /tls\.keyFile: .*tls\.key is not the key of the certificate in .*tls\.crt/,
  );
});
