import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContainerStatus, Pod } from "../../agent/kube/types.js";
import { podKey, pulledContainers, pullFailures, pullSecretNames, serviceAccountName } from "../../agent/podwatch/detect.js";

function pod(
  statuses: Partial<Record<"containerStatuses" | "initContainerStatuses" | "ephemeralContainerStatuses", ContainerStatus[]>>,
  extra: Partial<Pod["spec"]> = {},
): Pod {
  return {
    metadata: { name: "web-1", namespace: "shop", uid: "u-1" },
    spec: { containers: [{ name: "api", image: "ghcr.io/shop/api:v2", imagePullPolicy: "IfNotPresent" }], ...extra },
    status: statuses,
  };
}

const waiting = (name: string, reason: string, extra: Partial<ContainerStatus> = {}): ContainerStatus => ({
  name,
  state: { waiting: { reason, message: `${reason} message` } },
  ...extra,
});

test("a container waiting with a pull reason is a failure, named by the image the spec wrote", () => {
  const p = pod({ containerStatuses: [waiting("api", "ErrImagePull", { image: "ghcr.io/shop/api:v2-normalized" })] });
  assert.deepEqual(pullFailures(p), [
    { container: "api", kind: "container", image: "ghcr.io/shop/api:v2", reason: "ErrImagePull", message: "ErrImagePull message", pullPolicy: "IfNotPresent" },
  ]);
});

test("init and ephemeral containers are reported with their kind; the status image stands in for a missing spec", () => {
  const p = pod(
    {
      initContainerStatuses: [waiting("migrate", "ImagePullBackOff")],
      ephemeralContainerStatuses: [waiting("debugger", "InvalidImageName", { image: "busybox:" })],
      containerStatuses: [waiting("api", "PodInitializing")],
    },
    { initContainers: [{ name: "migrate", image: "ghcr.io/shop/migrate:1" }] },
  );
  const failures = pullFailures(p);
  assert.deepEqual(
    failures.map((f) => [f.kind, f.container, f.image, f.reason]),
    [
      ["init", "migrate", "ghcr.io/shop/migrate:1", "ImagePullBackOff"],
      ["ephemeral", "debugger", "busybox:", "InvalidImageName"],
    ],
  );
  assert.equal(failures[0]?.pullPolicy, undefined, "no pull policy is made up when the spec has none");
});

test("every kubelet pull reason counts, and no other waiting reason does", () => {
  for (const reason of ["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "RegistryUnavailable", "SignatureValidationFailed"]) {
    assert.equal(pullFailures(pod({ containerStatuses: [waiting("api", reason)] })).length, 1, reason);
  }
  for (const reason of ["CrashLoopBackOff", "ContainerCreating", "CreateContainerConfigError"]) {
    assert.equal(pullFailures(pod({ containerStatuses: [waiting("api", reason)] })).length, 0, reason);
  }
});

test("an image is on the node when the container runs, ran, or waits for a reason that comes after the pull", () => {
  const p = pod({
    containerStatuses: [
      { name: "running", state: { running: {} } },
      { name: "done", state: { terminated: { exitCode: 0 } } },
      waiting("crashing", "CrashLoopBackOff"),
      waiting("config", "CreateContainerConfigError"),
      waiting("creating-pulled", "ContainerCreating", { imageID: `ghcr.io/x@sha256:${"a".repeat(64)}` }),
      waiting("creating", "ContainerCreating"),
      waiting("init-wait", "PodInitializing"),
      waiting("backoff-with-old-id", "ImagePullBackOff", { imageID: `ghcr.io/x@sha256:${"b".repeat(64)}` }),
      { name: "never-ran", state: { terminated: { exitCode: 137, reason: "ContainerStatusUnknown" } } },
    ],
  });
  assert.deepEqual(pulledContainers(p), ["running", "done", "crashing", "config", "creating-pulled"]);
});

test("pods are keyed by uid, else by namespace and name", () => {
  assert.equal(podKey(pod({})), "u-1");
  assert.equal(podKey({ metadata: { name: "a", namespace: "b" }, spec: { containers: [] } }), "b/a");
});

test("pull secrets keep their order without duplicates; the service account defaults to default", () => {
  const p = pod({}, { imagePullSecrets: [{ name: "regcred" }, { name: "" }, { name: "hub" }, { name: "regcred" }] });
  assert.deepEqual(pullSecretNames(p), ["regcred", "hub"]);
  assert.equal(serviceAccountName(p), "default");
  assert.equal(serviceAccountName(pod({}, { serviceAccountName: "builder" })), "builder");
});
