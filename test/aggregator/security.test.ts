import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadAggregatorConfig, startAggregator } from "../../aggregator/index.js";
import { createLogger } from "../../core/log/log.js";

// How the aggregator trusts its callers, decided from its configuration: loopback keeps the shared
// token; beyond loopback the defaults are service-account tokens for agents, Kubernetes tokens for
// HTTP and TLS for gRPC, and anything weaker is asked for by name. Nothing here listens beyond
// loopback: the configuration is refused before any port opens.

const dir = mkdtempSync(join(tmpdir(), "pm-security-"));
const tokenFile = join(dir, "tokens");
writeFileSync(tokenFile, "a-shared-token-of-some-length\n");
const base = { database: join(dir, "never.db") };

async function problems(flags: Record<string, unknown>): Promise<string> {
  try {
    await loadAggregatorConfig({ env: {}, flags: { ...base, ...flags } });
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return "";
}

test("gRPC beyond loopback needs TLS unless plaintext is asked for by name", async () => {
  assert.match(
    await problems({ grpcListen: "0.0.0.0:9477" }),
    /tls: required: grpcListen 0\.0\.0\.0:9477 is beyond loopback.*tls\.secret.*tls\.certFile and tls\.keyFile.*plaintext: true/,
  );
  assert.equal(await problems({ grpcListen: "0.0.0.0:9477", plaintext: true }), "");
  assert.equal(await problems({ grpcListen: "0.0.0.0:9477", "tls.secret": "pullmedic-aggregator-tls" }), "");
  assert.match(await problems({ grpcListen: "0.0.0.0:9477", "tls.certFile": tokenFile }), /tls\.keyFile: certFile and keyFile go together/);
  assert.equal(await problems({ grpcListen: "127.0.0.1:0", tokenFile }), "", "loopback, the embedded mode, stays as it was");
});

test("the shared token is for loopback or an explicit opt-in; beyond loopback it is an error to leave it lying unused", async () => {
  const beyond = { grpcListen: "0.0.0.0:9477", httpListen: "0.0.0.0:9478", plaintext: true };
  assert.match(
    await problems({ ...beyond, tokenFile }),
    /tokenFile: not used: beyond loopback each agent proves its node with its own service-account token.*agentAuth: sharedToken/,
  );
  assert.equal(await problems({ ...beyond, tokenFile, agentAuth: "sharedToken" }), "");
  assert.match(await problems({ ...beyond, agentAuth: "sharedToken" }), /tokenFile: required/);
  assert.equal(await problems({ ...beyond }), "", "service-account tokens and Kubernetes HTTP checks need no file");
  assert.match(await problems({ grpcListen: "127.0.0.1:0" }), /tokenFile: required: .*agentAuth: serviceAccountToken/);
  assert.equal(await problems({ grpcListen: "127.0.0.1:0", agentAuth: "serviceAccountToken" }), "");
});

test("what needs the Kubernetes API stops the start, saying what needs it, when there is none", async () => {
  const log = createLogger("cli", "error");
  const config = await loadAggregatorConfig({
    env: {},
    flags: { ...base, grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", agentAuth: "serviceAccountToken", httpAuth: "kubernetes" },
  });
  await assert.rejects(
    startAggregator(config, log, { env: {} }),
    /the Kubernetes API is needed \(agents' service-account tokens \(agentAuth\) are reviewed with TokenReview; HTTP callers on 127\.0\.0\.1:0 are checked with TokenReview and SubjectAccessReview \(httpAuth\)\), and none is configured/,
  );
});
