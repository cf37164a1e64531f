import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BearerTokens } from "../../aggregator/ingest/tokens.js";
import { startServingTls } from "../../aggregator/tls/index.js";
import { createLogger } from "../../core/log/index.js";

// The aggregator's token file as a bad day writes it: a token too short to be a secret, a FIFO,
// a device. Each is refused at start, naming the file.

const dir = mkdtempSync(join(tmpdir(), "pm-tokens-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger("cli", "error");

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test("a 1-character token is refused at start, saying how long a token must be and how to make one", async () => {
  const path = file("short", "x\n");
  await assert.rejects(BearerTokens.load(path, log), (err: Error) => {
    assert.match(err.message, new RegExp(`${path}`));
    assert.match(err.message, /at least 16 characters/);
    assert.match(err.message, /openssl rand -hex 32/);
    return true;
  });
});

test("a short token among good ones is refused too: it would let a guesser in", async () => {
  await assert.rejects(BearerTokens.load(file("mixed", "a-good-token-0123456789\nQz9\n"), log), (err: Error) => {
    assert.match(err.message, /line 2: .*at least 16 characters \(this one has 3\)/);
    assert.doesNotMatch(err.message, /Qz9/, "the token itself is not repeated");
    return true;
  });
});

test("a token file that is a FIFO or a device is refused by name, without waiting", async () => {
  const fifo = join(dir, "tokens.fifo");
  execFileSync("mkfifo", [fifo]);
  await assert.rejects(BearerTokens.load(fifo, log), /tokens\.fifo: is a FIFO \(named pipe\), not a regular file/);
  await assert.rejects(BearerTokens.load("/dev/zero", log), /\/dev\/zero: is a character device/);
});

test("a good token file loads", async () => {
  const tokens = await BearerTokens.load(file("good", "# agents\na-good-token-0123456789\n"), log);
  try {
    assert.equal(tokens.count, 1);
    assert.deepEqual(tokens.check("Bearer a-good-token-0123456789"), { ok: true });
  } finally {
    tokens.stop();
  }
});

test("a FIFO as the aggregator's TLS certificate or key is refused by name, without waiting", async () => {
  const fifo = join(dir, "cert.fifo");
  execFileSync("mkfifo", [fifo]);
  await assert.rejects(
    startServingTls({ tls: { certFile: fifo, keyFile: fifo, dnsNames: [], service: "pullmedic-aggregator" }, kube: undefined, log }),
    /tls\.(cert|key)File: cannot read .*cert\.fifo: is a FIFO \(named pipe\), not a regular file/,
  );
});
