import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { prepullRound } from "../../agent/prepull/index.js";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { buildImage, type Lab, startLab } from "../lab/index.js";
import { roundOptions, writeDockerConfig } from "./support.js";

// An htpasswd-protected registry: the registry itself checks what the HEAD and the pull send.

const USER = "robot";
const PASSWORD = "Pre-pull-S3cret";
const WRONG = "Not-The-Passw0rd";
let lab: Lab;
let client: RuntimeClient;
let image: string;
let digest: string;
const dir = mkdtempSync(join(tmpdir(), "pm-prepull-auth-"));

before(async () => {
  lab = await startLab({ registryAuth: { username: USER, password: PASSWORD } });
  client = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
  ({ ref: image, digest } = await lab.push(buildImage({ label: "private", padBytes: 64 * 1024 }), "private/app:1.0"));
});

after(async () => {
  client?.close();
  await lab?.stop();
});

test("a private image without credentials fails with auth-required and the secret to create", async () => {
  const [s] = await prepullRound([{ image }], roundOptions(lab, client));
  assert.equal(s?.action, "failed", JSON.stringify(s));
  assert.equal(s?.state, "failed");
  assert.equal(s?.cause, "auth-required");
  assert.equal(s?.attempts, 0);
  assert.ok(
    s?.fix?.some((f) => f.startsWith(`kubectl create secret docker-registry regcred --docker-server=${lab.registry.host} `)),
    JSON.stringify(s?.fix),
  );
});

test("wrong credentials fail with auth-denied, and the password appears nowhere", async () => {
  const config = writeDockerConfig(dir, "wrong.json", lab.registry.host, USER, WRONG);
  const [s] = await prepullRound([{ image, dockerConfig: config }], roundOptions(lab, client));
  assert.equal(s?.cause, "auth-denied", JSON.stringify(s));
  const shown = JSON.stringify(s);
  assert.ok(!shown.includes(WRONG) && !shown.includes(Buffer.from(`${USER}:${WRONG}`).toString("base64")));
});

test("a config without an entry for the registry is the thing to fix: secret-invalid", async () => {
  const config = writeDockerConfig(dir, "other.json", "registry.example.com", USER, PASSWORD);
  const [s] = await prepullRound([{ image, dockerConfig: config }], roundOptions(lab, client));
  assert.equal(s?.cause, "secret-invalid", JSON.stringify(s));
  assert.match(s?.summary ?? "", /has no entry for 127\.0\.0\.1:\d+/);
});

test("a config that is not a docker config fails with secret-invalid, naming the file", async () => {
  const config = join(dir, "broken.json");
  writeFileSync(config, "{ not json");
  const [s] = await prepullRound([{ image, dockerConfig: config }], roundOptions(lab, client));
  assert.equal(s?.cause, "secret-invalid", JSON.stringify(s));
  assert.ok(s?.summary?.includes(config), s?.summary);
});

test("with its .dockerconfigjson the private image is pulled, then found unchanged", async () => {
  const config = writeDockerConfig(dir, "right.json", lab.registry.host, USER, PASSWORD);
  const [first] = await prepullRound([{ image, dockerConfig: config }], roundOptions(lab, client));
  assert.equal(first?.action, "pulled", JSON.stringify(first));
  assert.equal(first?.digest, digest);
  const [second] = await prepullRound([{ image, dockerConfig: config }], roundOptions(lab, client));
  assert.equal(second?.action, "unchanged", JSON.stringify(second));
  assert.ok(!JSON.stringify([first, second]).includes(PASSWORD));
});
