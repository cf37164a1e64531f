import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { buildImage, type Lab, startLab } from "../lab/index.js";
import { runPullmedic } from "../support/cli.js";
import { diagnose, expectCause, step } from "./diagnose-support.js";

// A real htpasswd-protected registry: credentials are checked by the registry itself.

const USER = "robot";
const PASSWORD = "Corr3ct-Horse-Battery";
const WRONG = "Wr0ng-Password-9";
let lab: Lab;
let image: string;
const dir = mkdtempSync(join(tmpdir(), "pm-auth-"));

function b64(s: string): string {
  return Buffer.from(s).toString("base64");
}

function dockerConfig(host: string, user: string, password: string): string {
  return JSON.stringify({ auths: { [host]: { auth: b64(`${user}:${password}`) } } });
}

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function secretYaml(opts: { type?: string; key?: string; data?: string; name?: string }): string {
  return [
    "apiVersion: v1",
    "kind: Secret",
    "metadata:",
    `  name: ${opts.name ?? "regcred"}`,
    "  namespace: shop",
    `type: ${opts.type ?? "kubernetes.io/dockerconfigjson"}`,
    "data:",
    `  ${opts.key ?? ".dockerconfigjson"}: "${opts.data ?? ""}"`,
    "",
  ].join("\n");
}

before(async () => {
  lab = await startLab({ registryAuth: { username: USER, password: PASSWORD } });
  image = (await lab.push(buildImage({ label: "private" }), "private/app:1.0")).ref;
});

after(async () => {
  await lab?.stop();
});

test("no credentials for a registry that needs them: auth-required, with the secret to create", async () => {
  const r = await diagnose(image, "--hosts-dir", lab.hostsDir);
  expectCause(r, "auth-required");
  assert.ok(
    r.d.fix.some((f) => f.startsWith(`kubectl create secret docker-registry regcred --docker-server=${lab.registry.host} `)),
    r.d.fix.join("\n"),
  );
  assert.ok(r.d.fix.some((f) => f.includes("kubectl patch serviceaccount")));
});

test("wrong credentials via --docker-config: auth-denied, naming the entry and user but never the password", async () => {
  const cfg = file("wrong.json", dockerConfig(lab.registry.host, USER, WRONG));
  const r = await diagnose(image, "--hosts-dir", lab.hostsDir, "--docker-config", cfg);
  expectCause(r, "auth-denied");
  assert.match(step(r.d, "credentials").detail, new RegExp(`${lab.registry.host.replace(/\./g, "\\.")}.*${USER}`));
  const all = JSON.stringify(r.d) + r.stderr;
  assert.ok(!all.includes(WRONG) && !all.includes(b64(`${USER}:${WRONG}`)), "the password never appears");
});

test("wrong credentials via --secret: auth-denied, and the fix reuses the Secret's name and namespace", async () => {
  const s = file("wrong-secret.yaml", secretYaml({ data: b64(dockerConfig(lab.registry.host, USER, WRONG)) }));
  const r = await diagnose(image, "--hosts-dir", lab.hostsDir, "--secret", s);
  expectCause(r, "auth-denied");
  assert.ok(r.d.fix[0]?.includes("kubectl create secret docker-registry regcred") && r.d.fix[0].includes("-n shop"), r.d.fix[0]);
  assert.ok(!JSON.stringify(r.d).includes(WRONG));
});

test("the right credentials, by --docker-config and by --secret: ok", async () => {
  const cfg = file("right.json", dockerConfig(lab.registry.host, USER, PASSWORD));
  expectCause(await diagnose(image, "--hosts-dir", lab.hostsDir, "--docker-config", cfg), "ok");
  const s = file("right-secret.yaml", secretYaml({ data: b64(dockerConfig(lab.registry.host, USER, PASSWORD)) }));
  const r = await diagnose(image, "--hosts-dir", lab.hostsDir, "--secret", s, "--cri-endpoint", lab.criEndpoint, "--pull");
  expectCause(r, "ok");
  assert.match(step(r.d, "pull").detail, /pulled it/, "the runtime pulled with the Secret's credentials");
  assert.ok(!JSON.stringify(r.d).includes(PASSWORD));
});

test("a Secret of the wrong type: secret-invalid, naming the type", async () => {
  const s = file("opaque.yaml", secretYaml({ type: "Opaque", data: b64(dockerConfig(lab.registry.host, USER, PASSWORD)) }));
  const r = await diagnose(image, "--hosts-dir", lab.hostsDir, "--secret", s);
  expectCause(r, "secret-invalid");
  assert.match(r.d.summary, /Opaque/);
  assert.ok(!JSON.stringify(r.d).includes(PASSWORD));
});

test("a Secret whose data does not decode: secret-invalid, naming the key", async () => {
  const s = file("garbled.yaml", secretYaml({ data: "%%%not-base64%%%" }));
  const r = await diagnose(image, "--hosts-dir", lab.hostsDir, "--secret", s);
  expectCause(r, "secret-invalid");
  assert.match(r.d.summary, /\.dockerconfigjson/);
});

test("a Secret with no entry for this registry: secret-invalid, listing the keys it has", async () => {
  const s = file("other-registry.yaml", secretYaml({ data: b64(dockerConfig("ghcr.io", USER, PASSWORD)) }));
  const r = await diagnose(image, "--hosts-dir", lab.hostsDir, "--secret", s);
  expectCause(r, "secret-invalid");
  assert.match(r.d.summary, /ghcr\.io/);
});

test("a --secret file that does not exist is bad usage (exit 2), not a diagnosis", async () => {
  const r = await runPullmedic(["diagnose", image, "--secret", join(dir, "missing.yaml")]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read --secret .*missing\.yaml: no such file/);
});
