import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { writeRegistryHost } from "../lab/containerd.js";
import { type Lab, startLab } from "../lab/index.js";
import { startTrickleRegistry, type TrickleRegistry } from "../support/trickle-registry.js";
import { waitFor } from "../support/wait.js";
import { multiLayerImage } from "./image.js";

// `pullmedic pulls` and `pullmedic prepull` in a real terminal (tmux): the bar is drawn, moves,
// and is redrawn in place; piped or with --json there is no bar and no escape sequence.

const MiB = 1024 * 1024;
const root = new URL("../..", import.meta.url).pathname;
const session = `pm-pulls-${process.pid}`;
let lab: Lab;
let proxy: TrickleRegistry;
let runtime: RuntimeClient;

before(async () => {
  lab = await startLab();
  proxy = await startTrickleRegistry(lab.registry.url, { bytesPerSecond: 2 * MiB });
  writeRegistryHost(lab.hostsDir, proxy.host);
  runtime = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
});

function killSession(): void {
  try {
    execFileSync("tmux", ["kill-session", "-t", session], { stdio: "ignore" });
  } catch {
    // already gone: Ctrl-C ended the verb and its window
  }
}

after(async () => {
  killSession();
  runtime?.close();
  await proxy?.stop();
  await lab?.stop();
});

function tmux(...args: string[]): string {
  return execFileSync("tmux", args, { encoding: "utf8" });
}

/** The pane as a person sees it now. */
const pane = (): string => tmux("capture-pane", "-p", "-t", session);

function cli(args: string[]): string {
  return ["node", "--import", "tsx", "cli/main.ts", ...args].map((a) => `'${a}'`).join(" ");
}

function percentOf(screen: string, name: RegExp): number | undefined {
  const line = screen.split("\n").find((l) => name.test(l) && l.includes("["));
  const m = line === undefined ? null : /\]\s+(\d+) %/.exec(line);
  return m ? Number(m[1]) : undefined;
}

test("pullmedic pulls in a terminal: a bar per pull that moves in place, then none left", async () => {
  const image = multiLayerImage([10 * MiB, 8 * MiB], "pulls/tty");
  await lab.push(image, "pulls/tty:1");
  const ref = `${proxy.host}/pulls/tty:1`;
  tmux("new-session", "-d", "-s", session, "-x", "180", "-y", "20", "-c", root, cli(["pulls", "--cri-endpoint", lab.criEndpoint, "--interval", "300ms"]));
  await waitFor("the live header", () => pane().includes("pulls in flight: 0"), { timeoutMs: 30_000 });
  const pull = runtime.pullImage(ref);
  const name = /127\.0\.0\.1\/pulls\/tty@sha256:/;
  const first = await waitFor(
    "a bar",
    () => percentOf(pane(), name),
    (p) => p !== undefined && p > 0,
    { timeoutMs: 30_000 },
  );
  const screen = pane();
  const later = await waitFor(
    "the bar to move",
    () => percentOf(pane(), name),
    (p) => p !== undefined && p > (first ?? 0),
    { timeoutMs: 30_000 },
  );
  assert.ok((later ?? 0) > (first ?? 0));
  assert.match(screen, /\[█+░*\]\s+\d+ %\s+[\d.]+ MiB \/ 18\.0 MiB\s+\d\/2 layers\s+[\d.]+ (KiB|MiB)\/s\s+ETA/);
  assert.equal(screen.split("\n").filter((l) => name.test(l)).length, 1, "redrawn in place: one line per pull, not a scroll of them");
  await pull;
  await waitFor(
    "no pulls left",
    () => pane(),
    (s) => s.includes("pulls in flight: 0") && !name.test(s),
    { timeoutMs: 30_000 },
  );
  console.log(`captured pane during the pull:\n${screen}`);
  tmux("send-keys", "-t", session, "C-c");
});

test("pullmedic pulls piped or with --json: one snapshot, no bar, no escape sequence", async () => {
  const image = multiLayerImage([8 * MiB], "pulls/pipe");
  await lab.push(image, "pulls/pipe:1");
  // Slow enough for three runs of the CLI to see it in flight.
  proxy.setRate(256 * 1024);
  const pull = runtime.pullImage(`${proxy.host}/pulls/pipe:1`);
  await waitFor("the pull in flight", async () => (await runOnce(["pulls", "--cri-endpoint", lab.criEndpoint])).includes("pulls/pipe"), { timeoutMs: 30_000 });
  const text = await runOnce(["pulls", "--cri-endpoint", lab.criEndpoint]);
  const json = JSON.parse(await runOnce(["pulls", "--json", "--cri-endpoint", lab.criEndpoint])) as {
    available: boolean;
    pulls: { image: string; bytesTotal: number }[];
  };
  proxy.setRate(8 * MiB);
  await pull;
  proxy.setRate(2 * MiB);
  assert.ok(!text.includes("\u001b"), "no escape sequence");
  // Under load the snapshot may come before the first bytes: the size is in whatever unit fits.
  assert.match(text, /127\.0\.0\.1\/pulls\/pipe@sha256:\S+ {2}\d+ % \([\d.]+ (B|KiB|MiB) of 8\.0 MiB, 0 of 1 layers\)/);
  assert.equal(json.available, true);
  assert.ok(json.pulls.some((p) => p.image.includes("pulls/pipe") && p.bytesTotal > 8 * MiB));
});

test("pullmedic prepull in a terminal: a bar under its lines while it pulls, gone when done", async () => {
  const image = multiLayerImage([12 * MiB], "pulls/prepull");
  await lab.push(image, "pulls/prepull:1");
  const ref = `${proxy.host}/pulls/prepull:1`;
  killSession();
  tmux(
    "new-session",
    "-d",
    "-s",
    session,
    "-x",
    "180",
    "-y",
    "20",
    "-c",
    root,
    `${cli(["prepull", "--cri-endpoint", lab.criEndpoint, "--hosts-dir", lab.hostsDir, ref])}; sleep 60`,
  );
  const during = await waitFor(
    "a bar for the image",
    () => pane(),
    (s) => /pulls\/prepull:1 {2}\[█*░+\]/.test(s),
    { timeoutMs: 30_000 },
  );
  const done = await waitFor(
    "the round's summary",
    () => pane(),
    (s) => /1 image in [\d.]+ s: 1 pulled/.test(s),
    { timeoutMs: 60_000 },
  );
  assert.match(during, /ETA/);
  assert.match(done, /pulled\s+\S+pulls\/prepull:1/);
  assert.doesNotMatch(done, /\[█*░+\]/, "the bar is cleared when the pull is done");
});

function runOnce(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], { cwd: root, env: { ...process.env, CRI_ENDPOINT: "" } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.on("close", (code) => (code === 0 || code === 1 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}
