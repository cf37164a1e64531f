import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { hostsDirWith } from "../diagnose/diagnose-support.js";
import { runPullmedic } from "../support/cli.js";
import { ISSUED_TOKEN, type RegistryStandIn, startRegistryStandIn } from "./registry-standin.js";

// What `diagnose` prints when a registry repeats what it was sent: never the password, the token,
// their base64 forms or the base64 of user:pass, in text or JSON; and no control character from a
// registry body or an image argument reaches the terminal raw.

const USER = "robot";
const PASSWORD = "Pa55-echoed-0123";
const FORMS = [
  PASSWORD,
  Buffer.from(PASSWORD).toString("base64"),
  Buffer.from(`${USER}:${PASSWORD}`).toString("base64"),
  `${USER}:${PASSWORD}`,
  ISSUED_TOKEN,
  Buffer.from(ISSUED_TOKEN).toString("base64"),
];
// ESC, BEL and CR, and every other C0 control but tab and newline, and C1 controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const dir = mkdtempSync(join(tmpdir(), "pm-secrets-"));
let registry: RegistryStandIn;
let hostsDir = "";
let dockerConfig = "";

before(async () => {
  registry = await startRegistryStandIn();
  hostsDir = hostsDirWith({ [registry.host]: `server = "http://${registry.host}"\n` });
  dockerConfig = join(dir, "config.json");
  writeFileSync(dockerConfig, JSON.stringify({ auths: { [registry.host]: { username: USER, password: PASSWORD } } }));
});
after(async () => {
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
});

function leaks(output: string): string[] {
  return FORMS.filter((form) => output.includes(form));
}

for (const json of [false, true]) {
  const mode = json ? "JSON" : "text";

  test(`diagnose (${mode}): a registry echoing the Authorization header and the password gets neither printed`, async () => {
    const r = await runPullmedic([
      "diagnose",
      `${registry.host}/echo/app:1`,
      "--hosts-dir",
      hostsDir,
      "--docker-config",
      dockerConfig,
      ...(json ? ["--json"] : []),
    ]);
    assert.ok(
      registry.authorizations.some((a) => a.startsWith("Basic ")),
      "the credential was sent, so the registry had it to echo",
    );
    const output = r.stdout + r.stderr;
    assert.deepEqual(leaks(output), [], output);
    assert.match(output, /DENIED|denied/, "the registry's answer is still shown");
    assert.match(output, /\[REDACTED\]/);
    if (json) JSON.parse(r.stdout);
  });

  test(`diagnose (${mode}): a registry echoing the bearer token it was given gets it scrubbed`, async () => {
    const r = await runPullmedic(["diagnose", `${registry.host}/tokenecho/app:1`, "--hosts-dir", hostsDir, ...(json ? ["--json"] : [])]);
    const output = r.stdout + r.stderr;
    assert.ok(registry.authorizations.includes(`Bearer ${ISSUED_TOKEN}`), "the token was sent, so the registry had it to echo");
    assert.deepEqual(leaks(output), [], output);
  });

  test(`diagnose (${mode}): ESC, BEL and CR in a registry's body do not reach the terminal`, async () => {
    const r = await runPullmedic(["diagnose", `${registry.host}/shop/missing:1`, "--hosts-dir", hostsDir, ...(json ? ["--json"] : [])]);
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stdout, RAW_CONTROL, JSON.stringify(r.stdout));
    assert.doesNotMatch(r.stderr, RAW_CONTROL, JSON.stringify(r.stderr));
    assert.match(r.stdout, /OVERWRITTEN/, "the text around the controls is kept");
  });

  test(`diagnose (${mode}): ESC, BEL and CR in the image argument do not reach the terminal`, async () => {
    const image = `${registry.host}/shop/app\u001b[2J\u0007\r:1`;
    const r = await runPullmedic(["diagnose", image, "--hosts-dir", hostsDir, ...(json ? ["--json"] : [])]);
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, RAW_CONTROL, JSON.stringify(r.stdout));
    assert.doesNotMatch(r.stderr, RAW_CONTROL, JSON.stringify(r.stderr));
  });
}

test("an unknown option carrying control characters is repeated without them", async () => {
  const r = await runPullmedic(["diagnose", "x", "--bogus\u001b]0;pwned\u0007"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option/);
  assert.doesNotMatch(r.stderr, RAW_CONTROL, JSON.stringify(r.stderr));
});
