import assert from "node:assert/strict";
import { test } from "node:test";
import { buildImageViews, type CriContainer, type CriImage, type CriPodSandbox, sandboxImageFromStatusInfo } from "../../agent/runtime/index.js";

const image = (id: string, tags: string[], extra: Partial<CriImage> = {}): CriImage => ({
  id,
  repoTags: tags,
  repoDigests: [],
  size: "1000",
  pinned: false,
  username: "",
  spec: null,
  ...extra,
});
const container = (id: string, imageKey: Partial<CriContainer>, state: CriContainer["state"], sandbox = "sb1"): CriContainer => ({
  id,
  podSandboxId: sandbox,
  metadata: { name: `c-${id}`, attempt: 0 },
  image: null,
  imageRef: "",
  imageId: "",
  state,
  createdAt: "0",
  labels: {},
  annotations: {},
  ...imageKey,
});
const sandboxes: CriPodSandbox[] = [
  {
    id: "sb1",
    metadata: { name: "web-1", uid: "u", namespace: "shop", attempt: 0 },
    state: "SANDBOX_READY",
    createdAt: "0",
    labels: {},
    annotations: {},
    runtimeHandler: "",
  },
];

test("an image is in use by running and exited containers alike, named pod/container", () => {
  const views = buildImageViews(
    [image("sha256:aaa", ["r/web:1"]), image("sha256:bbb", ["r/old:1"])],
    [container("1", { imageId: "sha256:aaa" }, "CONTAINER_RUNNING"), container("2", { imageRef: "sha256:aaa" }, "CONTAINER_EXITED")],
    sandboxes,
    undefined,
  );
  const web = views.find((v) => v.id === "sha256:aaa");
  assert.deepEqual(
    web?.usedBy.map((u) => [u.namespace, u.pod, u.container, u.state]),
    [
      ["shop", "web-1", "c-1", "CONTAINER_RUNNING"],
      ["shop", "web-1", "c-2", "CONTAINER_EXITED"],
    ],
  );
  assert.deepEqual(views.find((v) => v.id === "sha256:bbb")?.usedBy, []);
});

test("runtimes that name the image by tag or repo digest still match", () => {
  const views = buildImageViews(
    [image("sha256:aaa", ["r/web:1"], { repoDigests: ["r/web@sha256:d1"] }), image("sha256:bbb", ["r/api:2"])],
    [container("1", { image: { image: "r/api:2" } }, "CONTAINER_CREATED"), container("2", { imageRef: "r/web@sha256:d1" }, "CONTAINER_RUNNING")],
    [],
    undefined,
  );
  assert.equal(views[0]?.usedBy[0]?.containerId, "2");
  assert.equal(views[1]?.usedBy[0]?.containerId, "1");
  assert.equal(views[1]?.usedBy[0]?.pod, undefined, "no sandbox known: no pod name invented");
});

test("the sandbox image is marked even when the runtime does not pin it; sizes become numbers", () => {
  const views = buildImageViews(
    [image("sha256:p", ["registry.k8s.io/pause:3.6"], { size: "299513" }), image("sha256:q", ["x:1"], { pinned: true })],
    [],
    sandboxes,
    "registry.k8s.io/pause:3.6",
  );
  assert.deepEqual(
    views.map((v) => [v.sandbox, v.pinned, v.sizeBytes]),
    [
      [true, false, 299513],
      [false, true, 1000],
    ],
  );
});

test("a sandbox image configured in short form matches the runtime's normalized tag", () => {
  const views = buildImageViews([image("sha256:p", ["docker.io/library/pause:3.6"])], [], [], "pause:3.6");
  assert.equal(views[0]?.sandbox, true);
});

test("the sandbox image comes from containerd's verbose Status config, 1.x and 2.x shapes", () => {
  assert.equal(sandboxImageFromStatusInfo({ config: JSON.stringify({ sandboxImage: "registry.k8s.io/pause:3.6" }) }), "registry.k8s.io/pause:3.6");
  assert.equal(
    sandboxImageFromStatusInfo({ config: JSON.stringify({ pinnedImages: { sandbox: "registry.k8s.io/pause:3.10" } }) }),
    "registry.k8s.io/pause:3.10",
  );
  assert.equal(sandboxImageFromStatusInfo({ config: "not json" }), undefined);
  assert.equal(sandboxImageFromStatusInfo({}), undefined);
  assert.equal(sandboxImageFromStatusInfo({ config: "null" }), undefined);
});
