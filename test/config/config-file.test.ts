import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadConfig } from "../../agent/config/index.js";
import { ConfigError } from "../../core/config/index.js";
import { runPullmedic } from "../support/cli.js";

// The agent's configuration file as an attacker or a bad day writes it: every problem is an
// exit-2 message that names the file, and no file makes the agent hang or fill its memory.

const dir = mkdtempSync(join(tmpdir(), "pm-config-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function problems(path: string): Promise<string[]> {
  try {
    await loadConfig({ file: path, env: {} });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail("expected a ConfigError");
}

/** The "billion laughs" of YAML: each alias doubles what the one before it expands to. */
function aliasBomb(levels: number): string {
  const lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(", ")}]`);
  return `${lines.join("\n")}\n`;
}

test("a YAML alias bomb is refused as a configuration problem naming the file, not expanded", async () => {
  const path = file("bomb.yaml", aliasBomb(9));
  const found = await problems(path);
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0] ?? "", /bomb\.yaml: .*alias/);
});

test("the agent given an alias bomb exits 2 naming the file", async () => {
  const path = file("bomb-cli.yaml", aliasBomb(9));
  const r = await runPullmedic(["agent", "--config", path]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /bomb-cli\.yaml/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
});

test("an unknown key gets a 'did you mean' only when it is close to a real one", async () => {
  const text = ["prune:", "  zzzzzzzz: 1", "  hihgWatermarkPercent: 90", "  highWatermark: 90", "  high: 90", "frobnicate: true", "listn: 127.0.0.1:1"].join(
    "\n",
  );
  const found = await problems(file("unknown.yaml", `${text}\n`));
  const line = (key: string) => found.find((p) => p.startsWith(`${key}:`)) ?? assert.fail(`no problem for ${key}: ${found.join("\n")}`);
  assert.doesNotMatch(line("prune.zzzzzzzz"), /did you mean/);
  assert.doesNotMatch(line("frobnicate"), /did you mean/);
  assert.match(line("prune.hihgWatermarkPercent"), /did you mean highWatermarkPercent\?/);
  assert.match(line("listn"), /did you mean listen\?/);
  assert.match(line("prune.highWatermark"), /did you mean highWatermarkPercent\?/, "the start of a key");
  assert.doesNotMatch(line("prune.high"), /did you mean/, "too little of it to tell");
});

test("a file with 100,000 unknown keys is refused quickly, listing some and counting the rest", { timeout: 30_000 }, async () => {
  // Short keys, so that the file stays under the size cap and the keys themselves are what is tested.
  const keys = Array.from({ length: 100_000 }, (_, i) => `k${i}: 0`);
  const found = await problems(file("many.yaml", `${keys.join("\n")}\n`));
  assert.ok(found.length <= 30, `${found.length} lines of problems`);
  assert.match(found.join("\n"), /^k0: unknown key/m);
  assert.match(found.join("\n"), /and 99,9\d\d more/);
});

test("a key written twice is still refused, with its line", async () => {
  const found = await problems(file("twice.yaml", "listen: 127.0.0.1:1\nlogLevel: info\nlisten: 127.0.0.1:2\n"));
  assert.match(found.join("\n"), /twice\.yaml: .*unique.*\(line 3\)/i);
});

test("a FIFO, a device or a huge file as the config is refused by name, without waiting or reading it all", async () => {
  const fifo = join(dir, "config.fifo");
  execFileSync("mkfifo", [fifo]);
  assert.match((await problems(fifo)).join("\n"), /config\.fifo: is a FIFO \(named pipe\), not a regular file/);
  assert.match((await problems("/dev/zero")).join("\n"), /\/dev\/zero: is a character device, not a regular file/);
  const big = file("big.yaml", `# ${"x".repeat(2 * 1024 * 1024)}\n`);
  assert.match((await problems(big)).join("\n"), /big\.yaml: is \d+ bytes or more, over the \d+-byte limit/);
  const r = await runPullmedic(["agent", "--config", fifo]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /config\.fifo: is a FIFO/);
});
