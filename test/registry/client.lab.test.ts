import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RegistryClient } from "../../agent/registry/index.js";
import { type BuiltImage, buildImage, buildIndex, type Lab, nodePlatform, startLab } from "../lab/index.js";
import { rejection } from "./client-servers.js";

// The client against the real CNCF distribution registry of the lab: what it answers is what
// a self-hosted registry answers, error codes and all.

const TIMEOUT_MS = 5000;

describe("open lab registry", () => {
  let lab: Lab;
  let client: RegistryClient;
  let web: BuiltImage;
  let webDigest: string;
  let multiDigest: string;
  const other = nodePlatform().architecture === "arm64" ? { os: "linux", architecture: "amd64" } : { os: "linux", architecture: "arm64", variant: "v8" };

  before(async () => {
    lab = await startLab();
    client = new RegistryClient({ url: lab.registry.url }, { timeoutMs: TIMEOUT_MS });
    web = buildImage({ label: "web", padBytes: 1024 * 1024 });
    webDigest = (await lab.push(web, "app/web:1.0")).digest;
    await lab.push(buildImage({ label: "web-1.1" }), "app/web:1.1");
    await lab.push(buildImage({ label: "web-2" }), "app/web:2.0");
    multiDigest = (await lab.push(buildIndex([buildImage({ label: "m-node" }), buildImage({ label: "m-other", platform: other })]), "app/multi:3")).digest;
  });

  after(async () => {
    await client?.close();
    await lab?.stop();
  });

  test("ping: 200 and the distribution API version", async () => {
    const ping = await client.ping();
    assert.equal(ping.status, 200);
    assert.equal(ping.apiVersion, "registry/2.0");
    assert.deepEqual(ping.challenges, []);
    const auth = await client.authorize("app/web");
    assert.deepEqual([auth.scheme, auth.anonymous], ["none", true]);
  });

  test("headManifest: the digest the registry stored on push, by tag and by digest", async () => {
    const head = await client.headManifest("app/web", "1.0");
    assert.equal(head.status, 200);
    assert.equal(head.digest, webDigest);
    assert.equal(head.mediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.equal(head.size, web.manifest.length);
    assert.equal(head.rateLimit, undefined);
    assert.equal((await client.headManifest("app/web", webDigest)).digest, webDigest);
  });

  test("getManifest of an index lists its platforms; each child manifest resolves, digest-checked", async () => {
    const index = await client.getManifest("app/multi", "3");
    assert.equal(index.kind, "index");
    assert.equal(index.digest, multiDigest);
    assert.equal(index.mediaType, "application/vnd.oci.image.index.v1+json");
    if (index.kind !== "index") return;
    assert.deepEqual(
      index.manifests.map((m) => m.platform),
      [nodePlatform(), other],
    );
    const child = await client.getManifest("app/multi", index.manifests[0]?.digest ?? "");
    assert.equal(child.kind, "image");
    if (child.kind !== "image") return;
    assert.equal(child.layers.length, 1);
    assert.deepEqual(await client.getImagePlatform("app/multi", child), nodePlatform());
  });

  test("getManifest of an image: config and layers as pushed", async () => {
    const m = await client.getManifest("app/web", "1.0");
    assert.equal(m.kind, "image");
    if (m.kind !== "image") return;
    assert.equal(m.digest, webDigest);
    assert.equal(m.config.digest, web.configDigest);
    assert.deepEqual(
      m.layers.map((l) => [l.digest, l.size]),
      web.layers.map((l) => [l.digest, l.data.length]),
    );
  });

  test("missing tag: 404 MANIFEST_UNKNOWN, learned by a GET after the body-less HEAD", async () => {
    const err = await rejection(client.headManifest("app/web", "9.9"));
    assert.equal(err.kind, "http");
    assert.equal(err.step, "manifest");
    assert.equal(err.status, 404);
    assert.deepEqual(
      err.errors.map((e) => e.code),
      ["MANIFEST_UNKNOWN"],
    );
    assert.equal(err.credentialSent, false);
    assert.match(err.message, new RegExp(`^GET ${lab.registry.url}/v2/app/web/manifests/9\\.9: 404 Not Found \\(MANIFEST_UNKNOWN: manifest unknown\\)$`));

    const headOnly = await rejection(client.headManifest("app/web", "9.9", { getOnError: false }));
    assert.equal(headOnly.status, 404);
    assert.deepEqual(headOnly.errors, []);
    assert.match(headOnly.message, /^HEAD .*: 404 Not Found$/);
  });

  test("missing repository: NAME_UNKNOWN from tags (distribution 2.8 says MANIFEST_UNKNOWN for its manifests)", async () => {
    const err = await rejection(client.getManifest("nobody/here", "1.0"));
    assert.equal(err.status, 404);
    assert.deepEqual(
      err.errors.map((e) => e.code),
      ["MANIFEST_UNKNOWN"],
    );
    const tags = await rejection(client.listTags("nobody/here"));
    assert.equal(tags.step, "tags");
    assert.equal(tags.status, 404);
    assert.deepEqual(
      tags.errors.map((e) => e.code),
      ["NAME_UNKNOWN"],
    );
    assert.match(tags.message, /: 404 Not Found \(NAME_UNKNOWN: repository name not known to registry\)$/);
  });

  test("listTags: every tag; max cuts the list", async () => {
    // Distribution 2.8 ignores n/last and answers in directory order, so order is not asserted.
    assert.deepEqual((await client.listTags("app/web")).sort(), ["1.0", "1.1", "2.0"]);
    assert.equal((await client.listTags("app/web", { max: 2 })).length, 2);
  });

  test("sampleBlob: stops at maxBytes on a 1 MiB layer, reads a small blob whole", async () => {
    const big = web.layers[1];
    assert.ok(big !== undefined && big.data.length > 1024 * 1024);
    const part = await client.sampleBlob("app/web", big.digest, { maxBytes: 256 * 1024, maxMs: 10_000 });
    assert.equal(part.complete, false);
    assert.ok(part.bytes >= 256 * 1024 && part.bytes < big.data.length, `read ${part.bytes}`);
    assert.equal(part.totalBytes, big.data.length);
    assert.ok(part.bytesPerSecond > 0);

    const whole = await client.sampleBlob("app/web", web.configDigest, { maxBytes: 1024 * 1024, maxMs: 10_000 });
    assert.deepEqual([whole.complete, whole.bytes, whole.totalBytes], [true, web.config.length, web.config.length]);
  });

  test("sampleBlob of a blob the repository does not have: 404 BLOB_UNKNOWN", async () => {
    const err = await rejection(client.sampleBlob("app/web", `sha256:${"0".repeat(64)}`, { maxBytes: 1, maxMs: 1000 }));
    assert.equal(err.step, "blob");
    assert.equal(err.status, 404);
    assert.deepEqual(
      err.errors.map((e) => e.code),
      ["BLOB_UNKNOWN"],
    );
  });
});

describe("htpasswd lab registry (Basic challenges)", () => {
  const username = "puller";
  const password = "s3cret-Pa55word";
  let lab: Lab;
  let digest: string;

  before(async () => {
    lab = await startLab({ registryAuth: { username, password } });
    digest = (await lab.push(buildImage({ label: "private" }), "team/private:1")).digest;
  });

  after(async () => {
    await lab?.stop();
  });

  async function withClient<T>(credential: { username: string; password: string } | undefined, fn: (c: RegistryClient) => Promise<T>): Promise<T> {
    const client = new RegistryClient(
      { url: lab.registry.url },
      { timeoutMs: TIMEOUT_MS, ...(credential ? { credential: { ...credential, source: "test" } } : {}) },
    );
    try {
      return await fn(client);
    } finally {
      await client.close();
    }
  }

  test("ping: 401 with a Basic challenge", async () => {
    const ping = await withClient(undefined, (c) => c.ping());
    assert.equal(ping.status, 401);
    assert.deepEqual(ping.challenges, [{ scheme: "basic", params: { realm: "pullmedic-lab" } }]);
  });

  test("no credentials: 401, credentialSent false, from the request and from authorize", async () => {
    await withClient(undefined, async (c) => {
      const err = await rejection(c.headManifest("team/private", "1"));
      assert.equal(err.status, 401);
      assert.equal(err.credentialSent, false);
      assert.deepEqual(
        err.errors.map((e) => e.code),
        ["UNAUTHORIZED"],
      );
      assert.equal(err.challenges[0]?.scheme, "basic");
      const auth = await rejection(c.authorize("team/private"));
      assert.deepEqual([auth.status, auth.credentialSent], [401, false]);
    });
  });

  test("wrong password: 401, credentialSent true, and the password is nowhere in the error", async () => {
    const wrong = "wrong-Pa55word";
    await withClient({ username, password: wrong }, async (c) => {
      const err = await rejection(c.getManifest("team/private", "1"));
      assert.equal(err.status, 401);
      assert.equal(err.credentialSent, true);
      const basic = Buffer.from(`${username}:${wrong}`).toString("base64");
      for (const text of [err.message, JSON.stringify(err), err.stack ?? ""]) {
        assert.ok(!text.includes(wrong) && !text.includes(basic), text);
      }
    });
  });

  test("right password: authorize says basic, manifests and tags work", async () => {
    await withClient({ username, password }, async (c) => {
      assert.deepEqual(await c.authorize("team/private").then((a) => [a.scheme, a.anonymous]), ["basic", false]);
      assert.equal((await c.headManifest("team/private", "1")).digest, digest);
      assert.deepEqual(await c.listTags("team/private"), ["1"]);
    });
  });

  test("right password without authorize first: the 401 is answered by retrying with Basic", async () => {
    await withClient({ username, password }, async (c) => {
      assert.equal((await c.getManifest("team/private", "1")).digest, digest);
    });
  });
});
