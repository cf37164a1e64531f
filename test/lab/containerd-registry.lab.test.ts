import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { buildImage, buildIndex, type Lab, MEDIA_TYPES, nodePlatform, sha256, startLab } from "./index.js";
import { listProcesses } from "./process.js";
import { entriesFromFiles, tar } from "./tar.js";

function labProcesses(dir: string): string[] {
  return listProcesses()
    .filter((p) => p.pid !== process.pid && p.cmdline.includes(`${dir}/`))
    .map((p) => `${p.pid} ${p.cmdline}`);
}

function mountedUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((point) => point.startsWith(dir));
}

async function assertStopsCleanly(lab: Lab): Promise<void> {
  const running = labProcesses(lab.dir);
  assert.ok(
    running.some((p) => p.includes("containerd --config")),
    `containerd should run before stop: ${running.join("\n")}`,
  );
  assert.ok(
    running.some((p) => p.includes("docker-registry serve")),
    `registry should run before stop: ${running.join("\n")}`,
  );
  await lab.stop();
  assert.deepEqual(labProcesses(lab.dir), [], "no lab process (containerd, registry, shim) survives stop()");
  assert.deepEqual(mountedUnder(lab.dir), [], "nothing stays mounted under the lab dir");
  assert.equal(existsSync(lab.dir), false, "the lab dir is removed");
}

function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

describe("image building", () => {
  test("is deterministic, and label and padBytes make images distinct", () => {
    const spec = { files: { "etc/motd": "hello" }, entrypoint: ["/bin/true"] };
    assert.equal(buildImage(spec).manifestDigest, buildImage(spec).manifestDigest);
    assert.notEqual(buildImage({ ...spec, label: "a" }).manifestDigest, buildImage({ ...spec, label: "b" }).manifestDigest);
    const padded = buildImage({ ...spec, padBytes: 4096 });
    assert.equal(padded.layers.length, 2);
    assert.ok((padded.layers[1]?.data.length ?? 0) > 4096, "padding does not compress");
  });

  test("writes tar archives that GNU tar reads, long names included", () => {
    const longPath = `${"d".repeat(60)}/${"e".repeat(60)}/file.txt`;
    const archive = tar(
      entriesFromFiles(
        new Map([
          [longPath, { data: Buffer.from("x"), mode: 0o600 }],
          ["bin/tool", { data: Buffer.from("#!"), mode: 0o755 }],
        ]),
      ),
    );
    const listing = execFileSync("tar", ["-tvf", "-"], { input: archive, encoding: "utf8" });
    assert.match(listing, new RegExp(`-rw------- root/root +1 .* ${longPath}\\n`));
    assert.match(listing, /-rwxr-xr-x root\/root +2 .* bin\/tool\n/);
    assert.match(listing, /drwxr-xr-x root\/root +0 .* bin\/\n/);
  });

  test("describes layers by the digests of their compressed and uncompressed bytes", () => {
    const image = buildImage({ files: { a: "b" } });
    const [layer] = image.layers;
    assert.ok(layer);
    assert.equal(layer.digest, sha256(layer.data));
    assert.equal(layer.diffId, sha256(gunzipSync(layer.data)));
    const config = JSON.parse(image.config.toString()) as { rootfs: { diff_ids: string[] }; architecture: string };
    assert.deepEqual(config.rootfs.diff_ids, [layer.diffId]);
    assert.equal(config.architecture, nodePlatform().architecture);
  });
});

describe("lab", () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab();
  });
  after(() => lab?.stop());

  test("runs containerd with a healthy CRI plugin on a short socket", async () => {
    assert.ok(lab.socketPath.length < 100, lab.socketPath);
    assert.equal(lab.criEndpoint, `unix://${lab.socketPath}`);
    assert.match(await lab.ctr("plugins", "ls"), /^io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok\s*$/m);
  });

  test("has the sandbox image in the registry and in containerd", async () => {
    assert.equal(lab.sandboxImage, `${lab.registry.host}/pause:lab`);
    assert.ok((await lab.ctr("images", "ls", "-q")).split("\n").includes(lab.sandboxImage));
    assert.match(readFileSync(`${lab.dir}/containerd.toml`, "utf8"), new RegExp(`sandbox_image = "${lab.sandboxImage}"`));
  });

  test("registry serves a pushed image under its digest, and containerd pulls it", async () => {
    const image = buildImage({ files: { "hello.txt": "hello" }, label: "single" });
    const { ref, digest } = await lab.push(image, "app/web:1.0");
    assert.equal(ref, `${lab.registry.host}/app/web:1.0`);
    assert.equal(digest, image.manifestDigest);

    const response = await fetch(`${lab.registry.url}/v2/app/web/manifests/1.0`, { headers: { Accept: MEDIA_TYPES.manifest } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), MEDIA_TYPES.manifest);
    assert.equal(response.headers.get("docker-content-digest"), digest);
    assert.equal(sha256(Buffer.from(await response.arrayBuffer())), digest);

    await lab.ctr("images", "pull", "--plain-http", ref);
    const row = (await lab.ctr("images", "ls")).split("\n").find((line) => line.startsWith(`${ref} `));
    assert.deepEqual(row?.split(/\s+/).slice(0, 3), [ref, MEDIA_TYPES.manifest, digest]);
  });

  test("registry serves a multi-platform index, and containerd pulls the node's platform through hosts.toml", async () => {
    const amd64 = buildImage({ files: { arch: "amd64" }, platform: { os: "linux", architecture: "amd64" } });
    const arm64 = buildImage({ files: { arch: "arm64" }, platform: { os: "linux", architecture: "arm64", variant: "v8" } });
    const index = buildIndex([amd64, arm64]);
    const { ref, digest } = await lab.push(index, "app/multi:2.0");
    assert.equal(digest, index.digest);

    const response = await fetch(`${lab.registry.url}/v2/app/multi/manifests/2.0`, { headers: { Accept: MEDIA_TYPES.index } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("docker-content-digest"), digest);
    assert.equal(sha256(Buffer.from(await response.arrayBuffer())), digest);
    for (const child of [amd64, arm64]) {
      const head = await fetch(`${lab.registry.url}/v2/app/multi/manifests/${child.manifestDigest}`, {
        method: "HEAD",
        headers: { Accept: MEDIA_TYPES.manifest },
      });
      assert.equal(head.status, 200, `child ${child.platform.architecture} is in the registry`);
    }

    // No --plain-http: only the lab's hosts.toml tells ctr to use http.
    await lab.ctr("images", "pull", "--hosts-dir", lab.hostsDir, ref);
    assert.ok((await lab.ctr("images", "ls", "-q")).split("\n").includes(ref));
  });

  test("stop() ends containerd, the registry and the shims, and removes the dir", () => assertStopsCleanly(lab));
});

describe("lab with registry auth", () => {
  const credentials = { username: "lab-user", password: "s3cret pass" };
  let lab: Lab;
  before(async () => {
    lab = await startLab({ registryAuth: credentials });
  });
  after(() => lab?.stop());

  test("rejects an anonymous GET /v2/ with 401 and accepts the credentials", async () => {
    const anonymous = await fetch(`${lab.registry.url}/v2/`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Basic realm=/);
    const wrong = await fetch(`${lab.registry.url}/v2/`, { headers: { Authorization: basicAuth(credentials.username, "wrong") } });
    assert.equal(wrong.status, 401);
    const authed = await fetch(`${lab.registry.url}/v2/`, { headers: { Authorization: basicAuth(credentials.username, credentials.password) } });
    assert.equal(authed.status, 200);
  });

  test("pushes with credentials; containerd pulls only with them", async () => {
    const { ref } = await lab.push(buildImage({ files: { secret: "data" }, label: "auth" }), "private/app:1");
    await assert.rejects(lab.ctr("images", "pull", "--plain-http", ref), /401 Unauthorized|authorization failed/);
    await lab.ctr("images", "pull", "--plain-http", "--user", `${credentials.username}:${credentials.password}`, ref);
    const listed = (await lab.ctr("images", "ls", "-q")).split("\n");
    assert.ok(listed.includes(ref), "the authenticated pull put the image on the node");
    // The sandbox image was preloaded, since kubelet never sends credentials for it.
    assert.ok(listed.includes(lab.sandboxImage));
  });

  test("stop() leaves nothing behind", () => assertStopsCleanly(lab));
});

describe("lab with a small image filesystem", () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ imageFsSizeMiB: 16 });
  });
  after(() => lab?.stop());

  test("puts containerd's root on a tmpfs of that size, so big pulls run out of space", async () => {
    const mount = readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .find((line) => line.split(" ")[4] === lab.containerdRoot);
    assert.match(mount ?? "", / - tmpfs \S+ rw,.*size=16384k/);
    const { ref } = await lab.push(buildImage({ padBytes: 24 * 1024 * 1024 }), "big/blob:1");
    await assert.rejects(lab.ctr("images", "pull", "--plain-http", ref), /no space left on device/);
  });

  test("stop() unmounts the tmpfs and leaves nothing behind", () => assertStopsCleanly(lab));
});
