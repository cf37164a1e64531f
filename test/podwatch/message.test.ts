import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeEvent } from "../../agent/kube/types.js";
import type { ContainerPullFailure } from "../../agent/podwatch/detect.js";
import { bestPullMessage, isGenericBackoff } from "../../agent/podwatch/message.js";

const IMAGE = "ghcr.io/shop/api:v2";
const PRECISE = `Failed to pull image "${IMAGE}": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/shop/api:v2": not found`;

function failure(message: string, image = IMAGE): ContainerPullFailure {
  return { container: "api", kind: "container", image, reason: "ImagePullBackOff", message };
}

function event(reason: string, message: string, at: string, component = "kubelet"): KubeEvent {
  return {
    metadata: { name: `web-1.${at}`, namespace: "shop" },
    involvedObject: { kind: "Pod", name: "web-1", namespace: "shop", fieldPath: "spec.containers{api}" },
    reason,
    message,
    type: "Warning",
    lastTimestamp: at,
    source: { component },
  };
}

test("back-off notices and kubelet's 'Error: <reason>' say nothing about why", () => {
  assert.equal(isGenericBackoff(`Back-off pulling image "${IMAGE}"`), true);
  assert.equal(isGenericBackoff("Error: ImagePullBackOff"), true);
  assert.equal(isGenericBackoff(""), true);
  assert.equal(isGenericBackoff(PRECISE), false);
  // Newer kubelets append the last error to the back-off notice.
  assert.equal(isGenericBackoff(`Back-off pulling image "${IMAGE}": ErrImagePull: ${PRECISE}`), false);
});

test("the newest kubelet Failed event for the same image beats a generic status", () => {
  const older = `Failed to pull image "${IMAGE}": rpc error: code = Unknown desc = dial tcp: i/o timeout`;
  const events = [
    event("Failed", older, "2024-05-01T10:00:00Z"),
    event("Failed", PRECISE, "2024-05-01T10:05:00Z"),
    event("Failed", "Error: ErrImagePull", "2024-05-01T10:06:00Z"),
    event("BackOff", `Back-off pulling image "${IMAGE}"`, "2024-05-01T10:07:00Z"),
    event("Failed", `Failed to pull image "other:1": not found`, "2024-05-01T10:08:00Z"),
    event("Failed", `Failed to pull image "${IMAGE}": forged`, "2024-05-01T10:09:00Z", "someone-else"),
  ];
  assert.deepEqual(bestPullMessage(failure(`Back-off pulling image "${IMAGE}"`), events), { message: PRECISE, source: "event" });
});

test("an event quoting the image in another spelling of the same name still matches", () => {
  const m = `Failed to pull image "nginx": rpc error: code = NotFound desc = not found`;
  const got = bestPullMessage(failure(`Back-off pulling image "docker.io/library/nginx:latest"`, "docker.io/library/nginx:latest"), [
    event("Failed", m, "2024-05-01T10:00:00Z"),
  ]);
  assert.equal(got.source, "event");
});

test("never-pull and invalid-name events are precise too", () => {
  const never = `Container image "${IMAGE}" is not present with pull policy of Never`;
  assert.equal(bestPullMessage(failure("Error: ErrImageNeverPull"), [event("ErrImageNeverPull", never, "2024-05-01T10:00:00Z")]).message, never);
  const bad = `Failed to apply default image tag "Shop/API": couldn't parse image name "Shop/API": invalid reference format`;
  assert.equal(bestPullMessage(failure("", "Shop/API"), [event("InspectFailed", bad, "2024-05-01T10:00:00Z")]).message, bad);
});

test("without a precise event the status message is used, generic or not", () => {
  assert.deepEqual(bestPullMessage(failure(PRECISE), []), { message: PRECISE, source: "status" });
  const generic = `Back-off pulling image "${IMAGE}"`;
  assert.deepEqual(bestPullMessage(failure(generic), [event("BackOff", generic, "2024-05-01T10:00:00Z")]), { message: generic, source: "status" });
});
