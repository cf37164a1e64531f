import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import type { AgentConfig } from "../agent/config/index.js";
import { startReportSide } from "../agent/daemon/report-side.js";
import { QuotaTracker } from "../agent/quota/index.js";
import { parseDockerConfigJson, redactUrls } from "../agent/registry/index.js";
import { NodeState } from "../agent/report/node-state.js";
import {
  createLogger,
  forgetSecrets,
  type Logger,
  redactStrings,
  redactText,
  rememberBasicAuth,
  rememberSecret,
  rememberUrlCredentials,
  stripControlCharacters,
} from "../core/log/index.js";

// One redactor knows every credential value the process loaded and scrubs it, and its encodings,
// from whatever is written: logs, Events, the node report, the CLI's answers.

function capture(mode: "daemon" | "cli"): { log: Logger; text: () => string } {
  const chunks: string[] = [];
  const log = createLogger(
    mode,
    "debug",
    new Writable({
      write(c, _e, cb) {
        chunks.push(String(c));
        cb();
      },
    }),
  );
  return { log, text: () => chunks.join("") };
}

const PASSWORD = "hunter2-remembered";
const TOKEN = 'tok/with+odd=chars&"quote';

test("a remembered value is scrubbed as written, in base64, URL- and JSON-escaped, and base64 of user:pass", () => {
  forgetSecrets();
  rememberBasicAuth("robot", PASSWORD);
  rememberSecret(TOKEN);
  const forms = [
    PASSWORD,
    Buffer.from(PASSWORD).toString("base64"),
    Buffer.from(`robot:${PASSWORD}`).toString("base64"),
    Buffer.from(`robot:${PASSWORD}`).toString("base64url"),
    TOKEN,
    encodeURIComponent(TOKEN),
    JSON.stringify(TOKEN).slice(1, -1),
    Buffer.from(TOKEN).toString("base64").replace(/=+$/, ""),
  ];
  for (const form of forms) {
    const out = redactText(`registry said: you sent ${form}, go away`);
    assert.equal(out, "registry said: you sent [REDACTED], go away", form);
  }
  assert.deepEqual(redactStrings({ secret: "shop/regcred", nested: [{ detail: `echo ${PASSWORD}` }] }), {
    secret: "shop/regcred",
    nested: [{ detail: "echo [REDACTED]" }],
  });
});

for (const mode of ["daemon", "cli"] as const) {
  test(`${mode} logs scrub loaded values wherever they sit`, () => {
    forgetSecrets();
    rememberSecret(PASSWORD);
    const { log, text } = capture(mode);
    log.warn(`registry body: {"detail":"${PASSWORD}"}`, { body: `password ${PASSWORD}`, nested: { list: [PASSWORD] } });
    assert.ok(!text().includes(PASSWORD), text());
    assert.match(text(), /\[REDACTED\]/);
  });
}

test("CLI text logs strip control characters from what came from outside", () => {
  const { log, text } = capture("cli");
  log.warn("registry said \u001b[31mred\u0007\r and \u009b2J");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  assert.doesNotMatch(text(), /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  assert.match(text(), /registry said \[31mred and 2J/);
  assert.equal(stripControlCharacters("tab\tand\nnewline stay"), "tab\tand\nnewline stay");
});

test("a proxy URL's credentials are remembered decoded and as written", () => {
  forgetSecrets();
  rememberUrlCredentials("http://proxyuser:p%40ss-word-9@proxy.corp:3128");
  assert.equal(redactText("proxy refused p@ss-word-9"), "proxy refused [REDACTED]");
  assert.equal(redactText("proxy refused p%40ss-word-9"), "proxy refused [REDACTED]");
  assert.equal(redactText(`Proxy-Authorization was ${Buffer.from("proxyuser:p@ss-word-9").toString("base64")}`), "Proxy-Authorization was [REDACTED]");
});

test("values too short to be secrets are not remembered, and the memory is bounded", () => {
  forgetSecrets();
  rememberSecret("abc");
  assert.equal(redactText("abc is a word"), "abc is a word");
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 50_000; i++) rememberSecret(`rotating-token-${i}-${"x".repeat(40)}`);
  assert.ok(process.memoryUsage().heapUsed - before < 100 * 1024 * 1024, "a few tens of MB at most");
  assert.equal(redactText(`rotating-token-49999-${"x".repeat(40)}`), "[REDACTED]", "the newest are kept");
  assert.equal(redactText(`rotating-token-0-${"x".repeat(40)}`), `rotating-token-0-${"x".repeat(40)}`, "the oldest went first");
});

test("a pull Secret's credentials are scrubbed from Event text once it was read", () => {
  forgetSecrets();
  parseDockerConfigJson(JSON.stringify({ auths: { "reg.example": { auth: Buffer.from(`robot:${PASSWORD}`).toString("base64") } } }), "Secret shop/regcred");
  const event = redactUrls(`Failed to pull: reg.example said "bad password ${PASSWORD}"`);
  assert.ok(!event.includes(PASSWORD), event);
});

test("the node report scrubs loaded values from every string it carries", async () => {
  forgetSecrets();
  rememberSecret(PASSWORD);
  const state = new NodeState("node-a", "0.1.0-test");
  state.record("probes", { ok: false, durationMs: 1, error: `registry echoed ${PASSWORD}` });
  const side = await startReportSide(
    { nodeName: "node-a", report: { interval: 60_000, bufferLimit: 1000 } } as unknown as AgentConfig,
    createLogger("cli", "error"),
    {
      state,
      quota: new QuotaTracker(),
      podWatch: () => undefined,
      conditions: () => [{ type: "RegistryUnreachable", status: "True", message: `said ${PASSWORD}` }],
      runtime: () => undefined,
      prepull: { runNow: async () => undefined } as never,
      pause: async () => true,
    },
    undefined,
  );
  const report = JSON.stringify(side.report());
  assert.ok(!report.includes(PASSWORD), report);
  assert.match(report, /\[REDACTED\]/);
});
