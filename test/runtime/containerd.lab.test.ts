import assert from "node:assert/strict";
import { statfsSync } from "node:fs";
import { after, before, test } from "node:test";
import { readImageFilesystems } from "../../agent/probe/index.js";
import { CriError, RuntimeClient, readNodeImages } from "../../agent/runtime/index.js";
import { humanBytes } from "../../core/text/format.js";
import { buildImage, buildIndex, type Lab, nodePlatform, startLab } from "../lab/index.js";
import { createPod, deletePod } from "../lab/pods.js";

// Integration: the runtime client against a real containerd pulling from a real registry.

let lab: Lab;
let client: RuntimeClient;
const refs: Record<"web" | "api" | "multi", string> = { web: "", api: "", multi: "" };

before(async () => {
  lab = await startLab();
  client = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
  const other = nodePlatform().architecture === "arm64" ? { os: "linux", architecture: "amd64" } : { os: "linux", architecture: "arm64", variant: "v8" };
  refs.web = (await lab.push(buildImage({ files: { "srv/index.html": "<h1>web</h1>" }, padBytes: 300_000, label: "web" }), "shop/web:1.0")).ref;
  refs.api = (await lab.push(buildImage({ files: { "app/api": "api" }, label: "api" }), "shop/api:2.1")).ref;
  refs.multi = (await lab.push(buildIndex([buildImage({ label: "m-node" }), buildImage({ label: "m-other", platform: other })]), "shop/multi:3")).ref;
});

after(async () => {
  client?.close();
  await lab?.stop();
});

test("Version and Status identify containerd speaking CRI v1", async () => {
  const v = await client.version();
  assert.equal(v.runtimeName, "containerd");
  assert.equal(v.runtimeApiVersion, "v1");
  const status = await client.status(true);
  assert.equal(status.conditions.find((c) => c.type === "RuntimeReady")?.status, true);
  assert.ok(status.info["config"], "verbose Status carries the effective config");
});

test("PullImage pulls single-platform and multi-platform images; ListImages and ImageStatus see them", async () => {
  for (const ref of Object.values(refs)) {
    const id = await client.pullImage(ref);
    assert.match(id, /^sha256:[0-9a-f]{64}$/, ref);
  }
  const images = await client.listImages();
  for (const ref of Object.values(refs)) {
    const found = images.find((i) => i.repoTags.includes(ref));
    assert.ok(found, `${ref} listed`);
    assert.ok(
      found.repoDigests.some((d) => d.startsWith(`${ref.split(":").slice(0, -1).join(":")}@sha256:`)),
      "repo digest recorded",
    );
    const status = await client.imageStatus(ref);
    assert.equal(status.image?.id, found.id);
  }
  assert.equal((await client.imageStatus(`${lab.registry.host}/shop/absent:1`)).image, null, "absent image is an answer, not an error");
});

test("image sizes agree with `ctr -n k8s.io images ls`", async () => {
  const node = await readNodeImages(client);
  const ctrOut = await lab.ctr("images", "ls");
  // ctr pads columns with spaces and sizes contain one ("294.2 KiB"): cut at the header's offsets.
  const [header = "", ...lines] = ctrOut.trimEnd().split("\n");
  const sizeAt = header.indexOf("SIZE");
  const platformsAt = header.indexOf("PLATFORMS");
  const ctrSize = new Map(lines.map((line) => [line.slice(0, header.indexOf("TYPE")).trim(), line.slice(sizeAt, platformsAt).trim()] as const));
  for (const ref of [refs.web, refs.api]) {
    const view = node.images.find((i) => i.repoTags.includes(ref));
    assert.ok(view);
    assert.equal(humanBytes(view.sizeBytes), ctrSize.get(ref), `${ref}: ours ${view.sizeBytes} B vs ctr ${ctrSize.get(ref)}`);
  }
  const web = node.images.find((i) => i.repoTags.includes(refs.web));
  assert.ok(web && web.sizeBytes > 300_000, "the padded image is as big as what was pushed");
});

test("a pulled image that does not exist fails with containerd's own not-found message", async () => {
  const ref = `${lab.registry.host}/shop/nope:1`;
  await assert.rejects(client.pullImage(ref), (e: unknown) => {
    assert.ok(e instanceof CriError);
    assert.equal(e.kind, "not-found");
    assert.equal(e.grpcCode, "NOT_FOUND");
    assert.ok(e.message.includes(`failed to resolve reference "${ref}"`), e.message);
    return true;
  });
});

test("images used by a real pod's container are in use; the unpinned sandbox image is still known", async () => {
  await client.pullImage(refs.web);
  const pod = await createPod(client, { name: "web-7d9f", namespace: "shop", image: refs.web, container: "nginx" });
  try {
    const node = await readNodeImages(client);
    assert.equal(node.sandboxImage, lab.sandboxImage, "containerd 1.6 names its sandbox image in the verbose Status config");
    const web = node.images.find((i) => i.repoTags.includes(refs.web));
    assert.deepEqual(
      web?.usedBy.map((u) => [u.namespace, u.pod, u.container, u.state]),
      [["shop", "web-7d9f", "nginx", "CONTAINER_CREATED"]],
    );
    const pause = node.images.find((i) => i.repoTags.includes(lab.sandboxImage));
    assert.equal(pause?.sandbox, true);
    assert.equal(pause?.pinned, false, "containerd before 1.7.3 does not pin the sandbox image");
    const api = node.images.find((i) => i.repoTags.includes(refs.api));
    assert.deepEqual(api?.usedBy, []);
    const containers = await client.listContainers({ podSandboxId: pod.sandboxId });
    assert.equal(containers.length, 1);
  } finally {
    await deletePod(client, pod);
  }
  assert.deepEqual((await readNodeImages(client)).images.find((i) => i.repoTags.includes(refs.web))?.usedBy, []);
});

test("RemoveImage removes an image, and removing an absent one succeeds", async () => {
  await client.pullImage(refs.api);
  await client.removeImage(refs.api);
  assert.equal((await client.imageStatus(refs.api)).image, null);
  assert.ok(!(await client.listImages()).some((i) => i.repoTags.includes(refs.api)));
  await client.removeImage(refs.api);
});

test("ImageFsInfo names the snapshotter's mount, and the host figures for it are real", async () => {
  const info = await client.imageFsInfo();
  const first = info.imageFilesystems[0];
  assert.ok(first?.fsId?.mountpoint.startsWith(lab.containerdRoot), `${first?.fsId?.mountpoint} under ${lab.containerdRoot}`);
  const [fs] = await readImageFilesystems(client);
  assert.ok(fs?.host, fs?.hostError);
  const st = statfsSync(fs.mountpoint);
  assert.equal(fs.host.capacityBytes, st.blocks * st.bsize, "capacity is the filesystem's, as statfs says");
  assert.ok(Math.abs(fs.host.availableBytes - st.bavail * st.bsize) < 64 * 1024 * 1024, "available matches statfs (other writers aside)");
  assert.equal(fs.host.inodesTotal, st.files);
  // containerd refreshes snapshot usage in the background, so only its presence is certain here.
  assert.equal(typeof fs.runtimeUsedBytes, "number");
});
