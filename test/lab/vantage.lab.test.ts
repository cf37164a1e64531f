import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CriError, RuntimeClient } from "../../agent/runtime/index.js";
import { runPullmedicJson } from "../support/cli.js";
import { buildImage, buildIndex, nodePlatform } from "./index.js";
import { NAMES, PROXY_CREDENTIALS, type RuntimeUnderTest, startVantageLab, type VantageLab } from "./vantage.js";

// The differential test of the runtime's view: for each scenario a real CRI PullImage on a
// containerd whose view differs from this process's (its own /etc through absolute links, its
// own DNS server, proxy, NO_PROXY and hosts dir), and `pullmedic diagnose` told only the socket.
// They must agree: pulled ⇔ ok, failed ⇔ the cause `pullmedic explain` gives for the runtime's
// own message. The table is printed.

interface Diagnosis {
  cause: string;
  summary: string;
  evidence: { check: string; ok: boolean; detail: string }[];
  vantage: { line: string; origin: { kind: string; pid?: number; boundPath?: string } };
}

interface Row {
  scenario: string;
  image: string;
  on: "isolated" | "legacy";
  expect: "pulled" | "failed";
  /** Runs before the pull and the diagnosis; returns what undoes it. */
  setUp?: () => Promise<() => Promise<void>>;
}

interface Outcome {
  row: Row;
  pulled: boolean;
  message: string | undefined;
  explained: string | undefined;
  diagnosis: Diagnosis;
  agree: boolean;
}

let lab: VantageLab;
const outcomes: Outcome[] = [];
const other = nodePlatform().architecture === "arm64" ? { os: "linux", architecture: "amd64" } : { os: "linux", architecture: "arm64", variant: "v8" };

before(async () => {
  lab = await startVantageLab();
  for (const tag of ["v1", "v2", "v3"]) await lab.push(buildImage({ files: { "app/run": tag }, label: `vantage-${tag}` }), `demo/app:${tag}`);
  await lab.push(buildIndex([buildImage({ label: "vantage-other", platform: other })]), "demo/foreign:1.0");
});

after(async () => {
  if (outcomes.length > 0) process.stdout.write(`\n${agreementTable(outcomes)}\n`);
  await lab?.stop();
});

function rows(): Row[] {
  const { tls, plain, untrusted } = lab.ports;
  return [
    { scenario: "CA only in the node's trust store", image: `${NAMES.hostsFile}:${tls}/demo/app:v1`, on: "isolated", expect: "pulled" },
    { scenario: "name only in the node's /etc/hosts (plain http)", image: `${NAMES.plain}:${plain}/demo/app:v1`, on: "isolated", expect: "pulled" },
    { scenario: "name only the node's resolver knows", image: `${NAMES.dns}:${tls}/demo/app:v1`, on: "isolated", expect: "pulled" },
    { scenario: "reachable only through the runtime's proxy (https)", image: `${NAMES.proxied}:${tls}/demo/app:v1`, on: "isolated", expect: "pulled" },
    { scenario: "reachable only through the runtime's proxy (http)", image: `${NAMES.plainProxied}:${plain}/demo/app:v1`, on: "isolated", expect: "pulled" },
    { scenario: "NO_PROXY sends a registry direct", image: `${NAMES.direct}:${tls}/demo/app:v1`, on: "isolated", expect: "pulled" },
    { scenario: "hosts dir only the runtime's config names", image: `${NAMES.plain}:${plain}/demo/app:v2`, on: "isolated", expect: "pulled" },
    { scenario: "legacy mirror in config.toml", image: `${NAMES.mirrorSource}/demo/app:v1`, on: "legacy", expect: "pulled" },
    {
      scenario: "the runtime's proxy down",
      image: `${NAMES.proxied}:${tls}/demo/app:v2`,
      on: "isolated",
      expect: "failed",
      setUp: async () => {
        await lab.proxy.stop();
        return () => lab.proxy.restart();
      },
    },
    { scenario: "fault: a name nobody resolves", image: `${NAMES.dnsGone}:${tls}/demo/app:v1`, on: "isolated", expect: "failed" },
    { scenario: "fault: a CA the node does not trust", image: `${NAMES.untrusted}:${untrusted}/demo/app:v1`, on: "isolated", expect: "failed" },
    { scenario: "fault: a tag that does not exist", image: `${NAMES.hostsFile}:${tls}/demo/app:v9`, on: "isolated", expect: "failed" },
    { scenario: "fault: nothing listens on the port", image: `${NAMES.hostsFile}:1/demo/app:v1`, on: "isolated", expect: "failed" },
    { scenario: "fault: no image for this platform", image: `${NAMES.hostsFile}:${tls}/demo/foreign:1.0`, on: "isolated", expect: "failed" },
  ];
}

async function criPull(runtime: RuntimeUnderTest, image: string): Promise<{ pulled: boolean; message?: string }> {
  const client = await RuntimeClient.connect({ endpoint: runtime.criEndpoint, timeoutMs: 60_000 });
  try {
    await client.pullImage(image, { timeoutMs: 60_000 });
    return { pulled: true };
  } catch (err) {
    if (!(err instanceof CriError)) throw err;
    return { pulled: false, message: err.message };
  } finally {
    client.close();
  }
}

async function judge(row: Row): Promise<Outcome> {
  const runtime = row.on === "isolated" ? lab.runtime : lab.legacy;
  const undo = await row.setUp?.();
  try {
    const pull = await criPull(runtime, row.image);
    const explained = pull.message === undefined ? undefined : (await runPullmedicJson<{ cause: string }>(["explain", pull.message])).out.cause;
    const { out: diagnosis } = await runPullmedicJson<Diagnosis>(["diagnose", row.image, "--cri-endpoint", runtime.criEndpoint, "--timeout", "5"]);
    const agree = pull.pulled ? diagnosis.cause === "ok" : diagnosis.cause === explained;
    return { row, pulled: pull.pulled, message: pull.message, explained, diagnosis, agree };
  } finally {
    await undo?.();
  }
}

function agreementTable(list: Outcome[]): string {
  const head = ["scenario", "runtime PullImage", "explain (runtime's message)", "diagnose (told the socket)", "agree"];
  const body = list.map((o) => [o.row.scenario, o.pulled ? "pulled" : "failed", o.explained ?? "-", o.diagnosis.cause, o.agree ? "yes" : "NO"]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

test("the runtime's view is read through its own root: its pid by the socket's inode, not by its name", async () => {
  const { out } = await runPullmedicJson<{
    origin: { kind: string; pid: number; boundPath: string };
    resolver: { nameservers: string[]; resolvConf: string };
    environment: { httpsProxy: string; noProxy: string };
    trust: { source: string };
    registry: { kind: string; dir: string };
  }>(["runtime", "--cri-endpoint", lab.runtime.criEndpoint]);
  assert.equal(out.origin.kind, "process");
  assert.equal(out.origin.pid, lab.runtime.pid);
  assert.equal(out.origin.boundPath, lab.runtime.boundAs, "the runtime bound its socket under another name than the one used here");
  // resolv.conf links to <lab>/side/resolv.conf: here a decoy naming 127.0.0.9, in the runtime's root its DNS server.
  assert.deepEqual(out.resolver.nameservers, [lab.dns.address]);
  assert.match(out.resolver.resolvConf, /resolv\.conf \(→ .*\/side\/resolv\.conf\) in containerd's root/);
  assert.equal(out.environment.httpsProxy, `http://127.0.0.1:${lab.proxy.port}`);
  assert.match(out.trust.source, /ca-certificates\.crt \+ \/etc\/ssl\/certs/);
  assert.deepEqual(out.registry, { kind: "hosts-dir", dir: lab.hostsDir, from: "config_path in containerd's CRI status (its merged config)" });
  assert.doesNotMatch(JSON.stringify(out), new RegExp(PROXY_CREDENTIALS.password));
});

test("differential: a real PullImage and `pullmedic diagnose` told only the socket agree in every scenario", async () => {
  for (const row of rows()) outcomes.push(await judge(row));
  for (const o of outcomes) {
    const shown = `${o.row.scenario}: ${o.row.image}\nruntime: ${o.pulled ? "pulled" : o.message}\nexplain: ${o.explained}\ndiagnose: ${JSON.stringify(o.diagnosis, null, 2)}`;
    assert.equal(o.pulled ? "pulled" : "failed", o.row.expect, `the scenario is not what it claims to be\n${shown}`);
    assert.ok(o.agree, `runtime and diagnosis disagree\n${shown}`);
    const runtime = o.row.on === "isolated" ? lab.runtime : lab.legacy;
    assert.equal(o.diagnosis.vantage.origin.pid, runtime.pid, `diagnosed from the runtime's view\n${shown}`);
    assert.doesNotMatch(JSON.stringify(o.diagnosis), new RegExp(PROXY_CREDENTIALS.password), "proxy credentials are never shown");
  }
});

test("the proxy's log shows the runtime's pulls and the diagnosis going through it, and the direct registry not", () => {
  const targets = lab.proxy.log.map((e) => `${e.method} ${e.target}`);
  const tunnel = `CONNECT ${NAMES.proxied}:${lab.ports.tls}`;
  assert.ok(targets.filter((t) => t === tunnel).length >= 2, `runtime and diagnosis both tunnel: ${targets.join("\n")}`);
  assert.ok(
    targets.some((t) => t.startsWith(`GET http://${NAMES.plainProxied}:${lab.ports.plain}/v2/`)),
    `plain http goes as an absolute URI: ${targets.join("\n")}`,
  );
  assert.ok(!targets.some((t) => t.includes(NAMES.direct) || t.includes(NAMES.hostsFile)), `NO_PROXY names stay direct: ${targets.join("\n")}`);
  assert.ok(
    lab.proxy.log.every((e) => e.authorized),
    "every request carried the proxy URL's credentials",
  );
  assert.ok(lab.dns.asked.includes(`A ${NAMES.dns}`), `the runtime's DNS server was asked: ${lab.dns.asked.join(", ")}`);
});

/** pullmedic as uid 0 with the given capability bounding set (setpriv), as the DaemonSet's container would run. */
function pullmedicWithCaps<T>(caps: string, verb: string[]): Promise<T> {
  const root = new URL("../..", import.meta.url).pathname;
  const args = ["--inh-caps=-all", `--bounding-set=${caps}`, "--", process.execPath, "--import", "tsx", join(root, "cli/main.ts")];
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/setpriv", [...args, ...verb, "--cri-endpoint", lab.runtime.criEndpoint, "--json"], {
      cwd: root,
      env: { ...process.env, CRI_ENDPOINT: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", () => {
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`no JSON from pullmedic ${verb.join(" ")} under setpriv ${caps}: ${stdout}\n${stderr}`));
      }
    });
  });
}

interface View {
  origin: { kind: string; pid?: number };
  problems: string[];
}

test("root without capabilities cannot read the runtime's view and says so; CAP_SYS_PTRACE alone is enough", async () => {
  const status = readFileSync(`/proc/${lab.runtime.pid}/status`, "utf8");
  assert.match(status, /CapPrm:\s+0*[1-9a-f]/, "containerd runs with capabilities, as on a node");
  const none = await pullmedicWithCaps<View>("-all", ["runtime"]);
  assert.equal(none.origin.kind, "own-root");
  assert.match(none.problems.join("\n"), /cannot be read here: as root that needs CAP_SYS_PTRACE/);
  const ptrace = await pullmedicWithCaps<View>("-all,+sys_ptrace", ["runtime"]);
  assert.equal(ptrace.origin.kind, "process");
  assert.equal(ptrace.origin.pid, lab.runtime.pid);
});

test("control: from this process's own view (no CAP_SYS_PTRACE) the same scenarios come out wrong, and the vantage line says why", async () => {
  const { tls, plain } = lab.ports;
  const cases = [`${NAMES.hostsFile}:${tls}/demo/app:v1`, `${NAMES.proxied}:${tls}/demo/app:v1`, `${NAMES.plain}:${plain}/demo/app:v1`];
  for (const image of cases) {
    const d = await pullmedicWithCaps<Diagnosis>("-all", ["diagnose", image, "--timeout", "3"]);
    assert.notEqual(d.cause, "ok", `${image} pulls on the runtime, but this process alone cannot reach it: ${JSON.stringify(d, null, 2)}`);
    assert.equal(d.vantage.origin.kind, "own-root");
    assert.match(d.vantage.line, /this process's own files and no runtime environment, not the runtime's/);
  }
});

test("probe and prepull take the same view: registries behind the proxy, in the hosts file and in DNS are reached as the runtime reaches them", async () => {
  const { tls, plain } = lab.ports;
  const before = lab.proxy.log.length;
  const registries = [`${NAMES.proxied}:${tls}`, `${NAMES.plainProxied}:${plain}`, `${NAMES.dns}:${tls}`, `${NAMES.hostsFile}:${tls}`];
  const probe = await runPullmedicJson<{ registries: { registry: string; ok: boolean; hosts: { steps: { step: string; detail: string }[] }[] }[] }>([
    "probe",
    ...registries,
    "--cri-endpoint",
    lab.runtime.criEndpoint,
  ]);
  assert.equal(probe.code, 0, JSON.stringify(probe.out, null, 2));
  assert.deepEqual(
    probe.out.registries.map((r) => [r.registry, r.ok]),
    registries.map((r) => [r, true]),
  );
  const proxiedTcp = probe.out.registries[0]?.hosts[0]?.steps.find((s) => s.step === "tcp")?.detail ?? "";
  assert.match(proxiedTcp, new RegExp(`CONNECT ${NAMES.proxied}:${tls} → 200`));
  const prepull = await runPullmedicJson<{ images: { image: string; action: string; cause: string | null }[] }>([
    "prepull",
    `${NAMES.proxied}:${tls}/demo/app:v3`,
    `${NAMES.dns}:${tls}/demo/app:v3`,
    "--cri-endpoint",
    lab.runtime.criEndpoint,
  ]);
  assert.equal(prepull.code, 0, JSON.stringify(prepull.out, null, 2));
  assert.deepEqual(
    prepull.out.images.map((i) => i.action),
    ["pulled", "pulled"],
  );
  const through = lab.proxy.log.slice(before).map((e) => `${e.method} ${e.target}`);
  assert.ok(through.filter((t) => t === `CONNECT ${NAMES.proxied}:${tls}`).length >= 3, `probe, HEAD and pull tunnel through the proxy: ${through.join("\n")}`);
});
