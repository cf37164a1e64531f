import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type RegistryStandIn, startRegistryStandIn } from "../cli/registry-standin.js";
import { startRawServer, type TestServer } from "../registry/client-servers.js";
import { type AgentProcess, startAgentProcess } from "../support/agent-process.js";
import { waitFor } from "../support/wait.js";

// The agent pointed at files that block or never end: a FIFO as one registry's hosts.toml must not
// stop the probes of the others, /dev/zero as hosts.toml, CA or docker config must not fill its
// memory, and SIGTERM ends it whatever is in flight: a probe to a registry that never answers, or a
// thread of the process stuck in the kernel on a file (the state a hung NFS read leaves a thread
// in, made here without FUSE: a blocking open of a FIFO nobody writes).

const dir = mkdtempSync(join(tmpdir(), "pm-blocking-files-"));
let healthy: RegistryStandIn;
let blackHole: TestServer;
let connections = 0;

before(async () => {
  healthy = await startRegistryStandIn();
  blackHole = await startRawServer(() => {
    connections++;
  });
});
after(async () => {
  await healthy.stop();
  await blackHole.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface ProbeState {
  checks?: { probes?: { ok: boolean; runs?: number; at?: string; result?: { registry: string; ok: boolean; warnings: string[] }[] } };
}

/** A certs.d root: per registry, a hosts.toml made by `make` (a FIFO, a link to /dev/zero) or written as text. */
function hostsDir(name: string, files: Record<string, string | ((path: string) => void)>): string {
  const root = join(dir, name);
  for (const [registry, content] of Object.entries(files)) {
    const at = join(root, registry.replace(/:(\d+)$/, "_$1_"));
    mkdirSync(at, { recursive: true });
    if (typeof content === "string") writeFileSync(join(at, "hosts.toml"), content);
    else content(join(at, "hosts.toml"));
  }
  return root;
}

function agentConfig(name: string, body: string): string {
  const path = join(dir, `${name}.yaml`);
  const base = [
    "listen: 127.0.0.1:0",
    `stateFile: ${join(dir, `${name}-state.json`)}`,
    "shutdownTimeout: 2s",
    "prune:\n  enabled: false",
    "kube:\n  enabled: false",
    "prepull:\n  runAtStart: false",
  ];
  writeFileSync(path, `${[...base, body].join("\n")}\n`);
  return path;
}

async function probes(agent: AgentProcess): Promise<NonNullable<NonNullable<ProbeState["checks"]>["probes"]>> {
  const state = JSON.parse((await agent.get("/v1/state")).text) as ProbeState;
  return state.checks?.probes ?? { ok: false };
}

const fifo = (path: string) => execFileSync("mkfifo", [path]);
const devZero = (path: string) => symlinkSync("/dev/zero", path);

test("a FIFO as one registry's hosts.toml: the others are still probed, round after round, and the FIFO is named", { timeout: 60_000 }, async () => {
  const stuck = "stuck.example:5000";
  const root = hostsDir("fifo", { [stuck]: fifo, [healthy.host]: `server = "http://${healthy.host}"\n` });
  const agent = await startAgentProcess([
    "--config",
    agentConfig("fifo", `hostsDir: ${root}\nprobes:\n  interval: 5s\n  timeout: 2s\n  registries: ["${stuck}", "${healthy.host}"]\nquota:\n  enabled: false`),
  ]);
  try {
    const first = await waitFor(
      "the first probe round",
      () => probes(agent),
      (p) => p.result?.length === 2,
      { timeoutMs: 30_000 },
    );
    const good = first.result?.find((r) => r.registry === healthy.host);
    assert.equal(good?.ok, true, JSON.stringify(first));
    const bad = first.result?.find((r) => r.registry === stuck);
    assert.match(bad?.warnings.join("\n") ?? "", /hosts\.toml: cannot be read \(is a FIFO \(named pipe\), not a regular file\)/, JSON.stringify(first));
    // A second round comes: the FIFO held up nothing.
    const second = await waitFor(
      "a second probe round",
      () => probes(agent),
      (p) => (p.runs ?? 0) > (first.runs ?? 0),
      { timeoutMs: 30_000 },
    );
    assert.equal(second.result?.find((r) => r.registry === healthy.host)?.ok, true, JSON.stringify(second));
  } finally {
    assert.equal(await agent.stop("SIGTERM"), 0, agent.stderr());
  }
});

test("/dev/zero as hosts.toml, as a CA file and as the quota docker config: refused by name, memory stays bounded", { timeout: 60_000 }, async () => {
  // The CA is read once the registry is reached: the stand-in, asked for over https.
  const caZero = healthy.host;
  const root = hostsDir("zero", {
    "zero.example": devZero,
    [caZero]: `server = "https://${caZero}"\nca = "/dev/zero"\n`,
  });
  const agent = await startAgentProcess([
    "--config",
    agentConfig(
      "zero",
      `hostsDir: ${root}\nprobes:\n  interval: 5s\n  timeout: 2s\n  registries: ["zero.example", "${caZero}"]\nquota:\n  dockerConfig: /dev/zero\n  registryUrl: http://${blackHole.host}\n  timeout: 1s`,
    ),
  ]);
  try {
    const round = await waitFor(
      "a probe round",
      () => probes(agent),
      (p) => p.result?.length === 2,
      { timeoutMs: 30_000 },
    );
    const text = JSON.stringify(round);
    assert.match(text, /zero\.example.*hosts\.toml: cannot be read \(is a character device, not a regular file\)/);
    assert.match(text, /\/dev\/zero: is a character device, not a regular file/);
    await waitFor("the quota check's warning", () => agent.logs.some((l) => /quota\.dockerConfig \/dev\/zero.*character device/.test(String(l["message"]))), {
      timeoutMs: 30_000,
    });
    // Reading /dev/zero whole took about 1 GB a round before; the peak must stay near an idle agent's.
    const status = readFileSync(`/proc/${agent.child.pid}/status`, "utf8");
    const peakKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
    assert.ok(peakKb > 0 && peakKb < 400 * 1024, `peak RSS ${peakKb} kB`);
  } finally {
    await agent.stop("SIGTERM");
  }
});

test("SIGTERM ends the agent within its shutdown bound while a probe waits on a silent registry and a thread is stuck in the kernel", {
  timeout: 60_000,
}, async () => {
  const parked = join(dir, "parked.fifo");
  fifo(parked);
  // Loaded before the agent: one libuv thread blocks in open() of a FIFO no one writes, as a read on
  // a hung mount would, and stays there. Node's exit waits for its threads; the agent must not.
  const preload = join(dir, "park-thread.mjs");
  // open(), as core/fs opens every file: Node 26's readFile() runs outside the requests
  // process.getActiveResourcesInfo() lists, so a stuck readFile would not be seen there.
  writeFileSync(preload, `import { open } from "node:fs";\nopen(${JSON.stringify(parked)}, "r", () => undefined);\n`);
  const connectionsBefore = connections;
  const agent = await startAgentProcess(
    ["--config", agentConfig("term", `probes:\n  interval: 5s\n  timeout: 120s\n  registries: ["${blackHole.host}"]\nquota:\n  enabled: false`)],
    { NODE_OPTIONS: `--import ${preload}` },
  );
  // The probe is in flight once the silent registry has a connection.
  await waitFor("a connection to the silent registry", () => connections > connectionsBefore);
  const exit = agent.stop("SIGTERM");
  const ended = await Promise.race([exit.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 20_000))]);
  if (!ended) agent.child.kill("SIGKILL");
  assert.equal(ended, true, `the agent was still running 20 s after SIGTERM (shutdown bound 2 s); logs: ${JSON.stringify(agent.logs.slice(-5))}`);
  assert.ok(
    agent.logs.some((l) => /stuck in the kernel/.test(String(l["message"]))),
    JSON.stringify(agent.logs.slice(-5)),
  );
});

test("a FIFO as the aggregator token file or CA file: the report says which file and why, and the agent runs on", { timeout: 60_000 }, async () => {
  const tokenFifo = join(dir, "token.fifo");
  const caFifo = join(dir, "ca.fifo");
  fifo(tokenFifo);
  fifo(caFifo);
  const token = join(dir, "token");
  writeFileSync(token, "a-token-of-32-characters-0123456\n");
  for (const [name, report, words] of [
    ["token", `tokenFile: ${tokenFifo}`, /cannot read the aggregator token: .*token\.fifo: is a FIFO \(named pipe\), not a regular file/],
    ["ca", `tokenFile: ${token}\n  caFile: ${caFifo}`, /cannot read the aggregator CA file .*ca\.fifo: is a FIFO \(named pipe\), not a regular file/],
  ] as const) {
    const agent = await startAgentProcess([
      "--config",
      agentConfig(
        `report-${name}`,
        `probes:\n  enabled: false\nquota:\n  enabled: false\nreport:\n  aggregator: ${blackHole.host}\n  interval: 1s\n  ${report}`,
      ),
    ]);
    try {
      const state = await waitFor(
        `the report's error about the ${name} file`,
        async () => JSON.parse((await agent.get("/v1/state")).text) as { report?: { lastError?: string } },
        (s) => s.report?.lastError !== undefined,
      );
      assert.match(state.report?.lastError ?? "", words);
    } finally {
      assert.equal(await agent.stop("SIGTERM"), 0, agent.stderr());
    }
  }
});
