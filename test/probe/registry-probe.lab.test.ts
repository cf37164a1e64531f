import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type HostProbe, probeRegistries, probeRegistry, type RegistryProbe, registriesOfImages } from "../../agent/probe/index.js";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { buildImage, EXPIRING_SOON_DAYS, type Lab, startLab } from "../lab/index.js";
import { runPullmedic } from "../support/cli.js";
import { listenOnLoopback } from "../support/net.js";

// Every probe here reaches a real registry (the lab's CNCF distribution), a real closed port or a
// name that cannot resolve; only the registry that never answers is a socket of ours.

const TIMEOUT_MS = 10_000;

const listen = listenOnLoopback;

/** A loopback port nothing listens on: bound by the kernel, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Accepts connections and never says a word, like a registry behind a stuck proxy. */
async function silentServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function tempHostsDir(): string {
  return mkdtempSync(join(tmpdir(), "pm-probe-hosts-"));
}

function writeHostsToml(hostsDir: string, registry: string, text: string): void {
  const dir = join(hostsDir, registry);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "hosts.toml"), text);
}

function failedStep(host: HostProbe | undefined): { step: string; errorKind?: string; detail: string } | undefined {
  return host?.steps.find((s) => !s.ok);
}

function show(p: RegistryProbe): string {
  return JSON.stringify(p, null, 2);
}

describe("registriesOfImages", () => {
  const cases: { name: string; refs: string[]; want: string[] }[] = [
    { name: "nothing in, nothing out", refs: [], want: [] },
    { name: "short Docker Hub names are docker.io", refs: ["nginx:1.27", "library/redis", "index.docker.io/org/app:1"], want: ["docker.io"] },
    {
      name: "tags and digests of several registries, each once, sorted",
      refs: [
        "ghcr.io/org/app:1",
        `ghcr.io/org/app@sha256:${"a".repeat(64)}`,
        "127.0.0.1:5000/shop/web:1.0",
        "registry.k8s.io/pause:3.10",
        "docker.io/library/busybox:1",
      ],
      want: ["127.0.0.1:5000", "docker.io", "ghcr.io", "registry.k8s.io"],
    },
    // distribution's grammar reads an upper-case first part as a host, like one with "." or ":".
    { name: "a first part with upper case is a registry host", refs: ["Registry/app:1"], want: ["Registry"] },
    {
      name: "IPv6 and localhost registries keep their ports",
      refs: ["[::1]:5000/a:1", "localhost:5000/b:2", "localhost/c"],
      want: ["[::1]:5000", "localhost", "localhost:5000"],
    },
    {
      name: "unparsable references are skipped",
      refs: ["shop/App:1", "", "a".repeat(64), "quay.io/ok:1", "bad tag/x::", "ghcr.io/o/a@sha256:short"],
      want: ["quay.io"],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(registriesOfImages(c.refs), c.want);
    });
  }
});

describe("probeRegistry against the plain-HTTP lab", () => {
  let lab: Lab;
  let webRef = "";
  let scratch = "";
  before(async () => {
    lab = await startLab();
    scratch = tempHostsDir();
    webRef = (await lab.push(buildImage({ files: { "srv/index.html": "probe" }, label: "probe" }), "probe/web:1")).ref;
  });
  after(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await lab?.stop();
  });

  test("walks dns, tcp, containerd's https-first turn and /v2/; the registry is ok", async () => {
    const fixed = Date.UTC(2026, 0, 2);
    const p = await probeRegistry(lab.registry.host, { hostsDir: lab.hostsDir, timeoutMs: TIMEOUT_MS, now: () => fixed });
    assert.equal(p.ok, true, show(p));
    assert.equal(p.registry, lab.registry.host);
    assert.equal(p.checkedAt, fixed);
    assert.deepEqual(p.warnings, []);
    // hosts.toml lists the registry as [host] and as server: one endpoint, probed once.
    assert.equal(p.hosts.length, 1, show(p));
    const host = p.hosts[0];
    assert.equal(host?.url, `http://${lab.registry.host}`);
    assert.equal(host?.mirror, false);
    assert.equal(host?.ok, true);
    assert.equal(host?.status, 200);
    assert.equal(host?.certificate, undefined);
    assert.deepEqual(
      host?.steps.map((s) => [s.step, s.ok]),
      [
        ["dns", true],
        ["tcp", true],
        ["tls", true],
        ["ping", true],
      ],
    );
    assert.match(host?.steps[2]?.detail ?? "", /answers in plain HTTP, so it uses http/);
    assert.match(host?.steps[3]?.detail ?? "", /GET \/v2\/ → 200/);
    for (const s of host?.steps ?? []) assert.ok(s.ms >= 0 && Number.isFinite(s.ms), JSON.stringify(s));
  });

  test("a closed port fails at tcp with refused", async () => {
    const port = await closedPort();
    const p = await probeRegistry(`127.0.0.1:${port}`, { hostsDir: scratch, timeoutMs: TIMEOUT_MS });
    assert.equal(p.ok, false);
    assert.equal(p.hosts.length, 1);
    const failed = failedStep(p.hosts[0]);
    assert.equal(failed?.step, "tcp", show(p));
    assert.equal(failed?.errorKind, "refused");
    assert.match(failed?.detail ?? "", /ECONNREFUSED/);
    assert.deepEqual(
      p.hosts[0]?.steps.map((s) => s.step),
      ["dns", "tcp"],
      "nothing after the failing step",
    );
  });

  test("a name that does not resolve fails at dns", async () => {
    // Generous: without a reachable DNS server glibc answers EAI_AGAIN only after its own retries.
    const p = await probeRegistry("registry.invalid", { hostsDir: scratch, timeoutMs: 30_000 });
    assert.equal(p.ok, false);
    assert.equal(p.hosts[0]?.url, "https://registry.invalid");
    const failed = failedStep(p.hosts[0]);
    assert.equal(failed?.step, "dns", show(p));
    assert.equal(failed?.errorKind, "dns");
    assert.match(failed?.detail ?? "", /registry\.invalid/);
  });

  test("a failing mirror in front of a working upstream: ok, with a warning naming the mirror and its failure", async () => {
    const hostsDir = tempHostsDir();
    try {
      const port = await closedPort();
      const mirror = `http://127.0.0.1:${port}`;
      writeHostsToml(
        hostsDir,
        lab.registry.host,
        [`server = "http://${lab.registry.host}"`, "", `[host."${mirror}"]`, `  capabilities = ["pull", "resolve"]`, ""].join("\n"),
      );
      const p = await probeRegistry(lab.registry.host, { hostsDir, timeoutMs: TIMEOUT_MS });
      assert.equal(p.ok, true, show(p));
      assert.deepEqual(
        p.hosts.map((h) => [h.url, h.mirror, h.ok]),
        [
          [mirror, true, false],
          [`http://${lab.registry.host}`, false, true],
        ],
      );
      assert.equal(failedStep(p.hosts[0])?.errorKind, "refused");
      assert.equal(p.warnings.length, 1, show(p));
      assert.match(
        p.warnings[0] ?? "",
        new RegExp(`^mirror ${mirror} fails at tcp \\(refused\\).*pulls from http://${lab.registry.host.replace(/\./g, "\\.")}`),
      );
    } finally {
      rmSync(hostsDir, { recursive: true, force: true });
    }
  });

  test("a registry that accepts connections and never answers fails at /v2/ with timeout; the others still come back", async () => {
    const silent = await silentServer();
    const hostsDir = tempHostsDir();
    try {
      const stuck = `127.0.0.1:${silent.port}`;
      // No TLS settings, so containerd speaks plain http to it straight away.
      writeHostsToml(hostsDir, stuck, `server = "http://${stuck}"\n`);
      writeHostsToml(hostsDir, lab.registry.host, `server = "http://${lab.registry.host}"\n`);
      const probes = await probeRegistries([stuck, lab.registry.host, "registry.invalid"], { hostsDir, timeoutMs: 1500, concurrency: 2 });
      assert.deepEqual(
        probes.map((p) => [p.registry, p.ok]),
        [
          [stuck, false],
          [lab.registry.host, true],
          ["registry.invalid", false],
        ],
      );
      const failed = failedStep(probes[0]?.hosts[0]);
      assert.equal(failed?.step, "ping", show(probes[0] as RegistryProbe));
      assert.equal(failed?.errorKind, "timeout");
    } finally {
      await silent.stop();
      rmSync(hostsDir, { recursive: true, force: true });
    }
  });

  test("a hosts.toml containerd cannot parse is named in a warning, and the probe goes on with containerd's defaults", async () => {
    const hostsDir = tempHostsDir();
    try {
      writeHostsToml(hostsDir, lab.registry.host, `server = "http://${lab.registry.host}"\n[host."http://mirror.invalid"\n`);
      const p = await probeRegistry(lab.registry.host, { hostsDir, timeoutMs: TIMEOUT_MS });
      assert.equal(p.ok, true, show(p));
      // containerd's default for a loopback registry with a port: https first, http when it answers in plain HTTP.
      assert.deepEqual(
        p.hosts.map((h) => h.url),
        [`http://${lab.registry.host}`],
      );
      assert.match(p.warnings[0] ?? "", /hosts\.toml: invalid TOML at line 2/);
    } finally {
      rmSync(hostsDir, { recursive: true, force: true });
    }
  });

  test("probeRegistries refuses a concurrency that is not a whole number ≥ 1", async () => {
    await assert.rejects(probeRegistries(["docker.io"], { hostsDir: scratch, timeoutMs: TIMEOUT_MS, concurrency: 0 }), RangeError);
  });

  test("a name that is not a registry host is reported, not thrown", async () => {
    const p = await probeRegistry("https://example.com", { hostsDir: scratch, timeoutMs: TIMEOUT_MS });
    assert.equal(p.ok, false);
    assert.deepEqual(p.hosts, []);
    assert.match(p.warnings[0] ?? "", /without a scheme/);
  });

  test("the probe verb with named registries: --json, exit 1 when one is down", async () => {
    const port = await closedPort();
    const r = await runPullmedic(["probe", lab.registry.host, `127.0.0.1:${port}`, "--hosts-dir", lab.hostsDir, "--json"]);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { registries: RegistryProbe[] };
    assert.deepEqual(
      out.registries.map((p) => [p.registry, p.ok]),
      [
        [lab.registry.host, true],
        [`127.0.0.1:${port}`, false],
      ],
    );
    assert.equal(failedStep(out.registries[1]?.hosts[0])?.errorKind, "refused");
  });

  test("the probe verb prints a table for a person and exits 0 when all are healthy", async () => {
    const r = await runPullmedic(["probe", lab.registry.host, "--hosts-dir", lab.hostsDir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.split("\n");
    assert.match(lines[0] ?? "", /^REGISTRY\s+HOST\s+DNS\s+TCP\s+TLS\s+\/v2\/\s+CERT$/);
    assert.match(
      lines[1] ?? "",
      new RegExp(`^${lab.registry.host.replace(/\./g, "\\.")}\\s+http://\\S+\\s+[\\d.]+ ms\\s+[\\d.]+ ms\\s+http\\s+200 [\\d.]+ ms\\s+-$`),
    );
    assert.match(r.stdout, /1 of 1 registry reachable/);
  });

  test("the probe verb with no registries probes those of the node's images, listed through the runtime", async () => {
    const client = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
    try {
      await client.pullImage(webRef);
    } finally {
      client.close();
    }
    const r = await runPullmedic(["probe", "--cri-endpoint", lab.criEndpoint, "--hosts-dir", lab.hostsDir, "--json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { registries: RegistryProbe[] };
    assert.deepEqual(
      out.registries.map((p) => [p.registry, p.ok]),
      [[lab.registry.host, true]],
    );
  });

  test("the probe verb with no registries and no reachable runtime exits 2 and says what to do", async () => {
    const r = await runPullmedic(["probe", "--cri-endpoint", `unix://${join(scratch, "no-such.sock")}`]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /no registries named and no container runtime reachable.*name the registries.*--cri-endpoint/);
  });

  test("the probe verb refuses something that is not a registry host, exit 2", async () => {
    const r = await runPullmedic(["probe", "nginx", "--hosts-dir", lab.hostsDir]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /"nginx" is not a registry host/);
  });
});

describe("probeRegistry against TLS and authenticated lab registries", () => {
  test("valid certificate: ok, with the certificate and its days left, no warnings", async () => {
    const lab = await startLab({ registryTls: "valid" });
    try {
      const p = await probeRegistry(lab.registry.host, { hostsDir: lab.hostsDir, timeoutMs: TIMEOUT_MS });
      assert.equal(p.ok, true, show(p));
      assert.deepEqual(p.warnings, []);
      const host = p.hosts[0];
      assert.equal(host?.url, `https://${lab.registry.host}`);
      assert.deepEqual(
        host?.steps.map((s) => [s.step, s.ok]),
        [
          ["dns", true],
          ["tcp", true],
          ["tls", true],
          ["ping", true],
        ],
      );
      assert.ok(host?.certificate, show(p));
      assert.ok(host.certificate.daysLeft >= 360 && host.certificate.daysLeft <= 365, String(host.certificate.daysLeft));
      assert.equal(host.certificate.expiresSoon, false);
      assert.match(host.certificate.issuer, /pullmedic lab CA/);
      assert.ok(host.certificate.names.includes("127.0.0.1"));
      assert.ok(!Number.isNaN(Date.parse(host.certificate.validTo)));
    } finally {
      await lab.stop();
    }
  });

  test("certificate expiring in a few days: still ok, with a warning naming the days", async () => {
    const lab = await startLab({ registryTls: "expiring" });
    try {
      const p = await probeRegistry(lab.registry.host, { hostsDir: lab.hostsDir, timeoutMs: TIMEOUT_MS });
      assert.equal(p.ok, true, show(p));
      assert.equal(p.hosts[0]?.certificate?.daysLeft, EXPIRING_SOON_DAYS);
      assert.equal(p.hosts[0]?.certificate?.expiresSoon, true);
      assert.equal(p.warnings.length, 1, show(p));
      assert.match(p.warnings[0] ?? "", new RegExp(`certificate expires in ${EXPIRING_SOON_DAYS} days .*under the 14-day warning threshold`));

      // The threshold is the caller's: under a lower one the same certificate is fine.
      const relaxed = await probeRegistry(lab.registry.host, { hostsDir: lab.hostsDir, timeoutMs: TIMEOUT_MS, certWarnDays: 3 });
      assert.deepEqual(relaxed.warnings, []);
      assert.equal(relaxed.hosts[0]?.certificate?.expiresSoon, false);

      const r = await runPullmedic(["probe", lab.registry.host, "--hosts-dir", lab.hostsDir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`\\s${EXPIRING_SOON_DAYS} d !$`, "m"));
      assert.match(r.stdout, /warnings:\n.*certificate expires in 5 days/);
    } finally {
      await lab.stop();
    }
  });

  test("a registry that wants credentials answers /v2/ with 401: that is reachable", async () => {
    const lab = await startLab({ registryAuth: { username: "probe", password: "s3cret-probe" } });
    try {
      const p = await probeRegistry(lab.registry.host, { hostsDir: lab.hostsDir, timeoutMs: TIMEOUT_MS });
      assert.equal(p.ok, true, show(p));
      assert.equal(p.hosts[0]?.status, 401);
      assert.match(p.hosts[0]?.steps.at(-1)?.detail ?? "", /GET \/v2\/ → 401 \(asks for basic auth\)/i);
    } finally {
      await lab.stop();
    }
  });

  test("certificate from an unknown CA: not ok, failing at tls with the problem as its kind", async () => {
    const lab = await startLab({ registryTls: "unknown-ca" });
    try {
      const p = await probeRegistry(lab.registry.host, { hostsDir: lab.hostsDir, timeoutMs: TIMEOUT_MS });
      assert.equal(p.ok, false, show(p));
      const failed = failedStep(p.hosts[0]);
      assert.equal(failed?.step, "tls");
      assert.equal(failed?.errorKind, "unknown-authority");
      assert.match(failed?.detail ?? "", /signed by an authority this node does not trust \(issuer: .*pullmedic unknown CA/);
      // What was seen of the certificate is kept, so a person can tell which one is served.
      assert.match(p.hosts[0]?.certificate?.issuer ?? "", /pullmedic unknown CA/);
      assert.deepEqual(
        p.hosts[0]?.steps.map((s) => s.step),
        ["dns", "tcp", "tls"],
      );

      const r = await runPullmedic(["probe", lab.registry.host, "--hosts-dir", lab.hostsDir]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /x unknown-authority/);
      assert.match(r.stdout, /problems:\n.*fails at tls: the certificate of .* is signed by an authority this node does not trust/);
    } finally {
      await lab.stop();
    }
  });
});
