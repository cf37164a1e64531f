import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createLogger, type Logger, redact, redactText } from "../core/log/log.js";

const SECRET = "s3cr3t-Pa55word";
const B64 = Buffer.from(`robot:${SECRET}`).toString("base64");

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

for (const mode of ["daemon", "cli"] as const) {
  test(`${mode} logs never carry credentials, wherever they sit in a record`, () => {
    const { log, text } = capture(mode);
    log.info("pulling", { auth: { username: "robot", password: SECRET, auth: B64 }, image: "r/x:1" });
    log.warn(`registry said 401 to Authorization: Basic ${B64}`);
    log.error("fetch failed", { url: `https://robot:${SECRET}@registry.example/v2/`, headers: { Authorization: `Bearer ${B64}` } });
    log.debug("token", { token: "eyJhbGciOi.payload.sig", identityToken: "id-tok", registryToken: "reg-tok" });
    const out = text();
    for (const leaked of [SECRET, B64, "eyJhbGciOi", "id-tok", "reg-tok"]) assert.ok(!out.includes(leaked), `${mode} log leaked ${leaked}:\n${out}`);
    assert.match(out, /r\/x:1/, "ordinary fields stay");
    assert.match(out, /"?token"?[:=]"?\[REDACTED\]/, "debug records are redacted too");
    if (mode === "daemon") for (const line of out.trim().split("\n")) JSON.parse(line);
  });
}

test("redaction helpers cover nested objects, errors and free text", () => {
  assert.deepEqual(redact({ a: [{ password: "p" }], b: "Bearer abcdef123" }), { a: [{ password: "[REDACTED]" }], b: "Bearer [REDACTED]" });
  assert.equal(redact(new Error(`https://u:${SECRET}@h/`)), "https://[REDACTED]@h/");
  assert.equal(redactText("no secrets here"), "no secrets here");
});
