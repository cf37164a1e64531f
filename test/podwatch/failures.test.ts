import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContainerState, Pod } from "../../agent/kube/types.js";
import { FailureTracker } from "../../agent/podwatch/failures.js";

const T0 = Date.parse("2024-05-01T10:00:00Z");

function pod(state: ContainerState, opts: { image?: string; init?: ContainerState; uid?: string } = {}): Pod {
  const p: Pod = {
    metadata: { name: "web-1", namespace: "shop", uid: opts.uid ?? "u-1" },
    spec: {
      serviceAccountName: "web",
      imagePullSecrets: [{ name: "regcred" }],
      containers: [{ name: "api", image: opts.image ?? "ghcr.io/shop/api:v2" }],
    },
    status: { containerStatuses: [{ name: "api", state }] },
  };
  if (opts.init !== undefined) {
    p.spec.initContainers = [{ name: "migrate", image: "ghcr.io/shop/migrate:1" }];
    p.status!.initContainerStatuses = [{ name: "migrate", state: opts.init }];
  }
  return p;
}

const errPull: ContainerState = { waiting: { reason: "ErrImagePull", message: "rpc error: code = NotFound desc = not found" } };
const backOff: ContainerState = { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "ghcr.io/shop/api:v2"' } };
const running: ContainerState = { running: { startedAt: "2024-05-01T10:02:13Z" } };

test("ErrImagePull → ImagePullBackOff → Running: opened, continuing, recovered with its duration", () => {
  const tracker = new FailureTracker();
  const first = tracker.observe(pod(errPull), T0);
  assert.equal(first.opened.length, 1);
  assert.deepEqual(
    { ...first.opened[0] },
    {
      podKey: "u-1",
      namespace: "shop",
      pod: "web-1",
      uid: "u-1",
      container: "api",
      kind: "container",
      image: "ghcr.io/shop/api:v2",
      reason: "ErrImagePull",
      message: "rpc error: code = NotFound desc = not found",
      openedAt: T0,
      lastSeenAt: T0,
      pullSecrets: ["regcred"],
      serviceAccount: "web",
      transitions: 0,
    },
  );
  assert.equal(tracker.openCount(), 1);

  const second = tracker.observe(pod(backOff), T0 + 20_000);
  assert.deepEqual([second.opened.length, second.continuing.length, second.recovered.length], [0, 1, 0]);
  assert.equal(second.continuing[0]?.reason, "ImagePullBackOff");
  assert.equal(second.continuing[0]?.transitions, 1);
  assert.equal(second.continuing[0]?.openedAt, T0, "the episode keeps its start");
  assert.equal(second.continuing[0]?.lastSeenAt, T0 + 20_000);

  const third = tracker.observe(pod(running), T0 + 133_000);
  assert.equal(third.recovered.length, 1);
  assert.equal(third.recovered[0]?.outcome, "recovered");
  assert.equal(third.recovered[0]?.durationMs, 133_000);
  assert.equal(tracker.openCount(), 0);
  assert.deepEqual(tracker.open(), []);
  assert.equal(tracker.recentClosed()[0]?.outcome, "recovered");
});

test("the same status delivered again is continuing without a transition", () => {
  const tracker = new FailureTracker();
  tracker.observe(pod(backOff), T0);
  const again = tracker.observe(pod(backOff), T0 + 1000);
  assert.equal(again.continuing[0]?.transitions, 0);
  assert.equal(again.opened.length, 0);
});

test("an init container's failure is tracked like any other and recovers once it ran", () => {
  const tracker = new FailureTracker();
  const waitingInit: ContainerState = { waiting: { reason: "PodInitializing" } };
  const first = tracker.observe(pod(waitingInit, { init: errPull }), T0);
  assert.deepEqual(
    first.opened.map((f) => [f.kind, f.container, f.image]),
    [["init", "migrate", "ghcr.io/shop/migrate:1"]],
  );
  const done = tracker.observe(pod(waitingInit, { init: { terminated: { exitCode: 0, reason: "Completed" } } }), T0 + 5000);
  assert.deepEqual(
    done.recovered.map((f) => [f.container, f.durationMs]),
    [["migrate", 5000]],
  );
});

test("a container that is neither failing nor pulled (a retry in progress) stays open silently", () => {
  const tracker = new FailureTracker();
  tracker.observe(pod(backOff), T0);
  const mid = tracker.observe(pod({ waiting: { reason: "ContainerCreating" } }), T0 + 1000);
  assert.deepEqual([mid.opened.length, mid.continuing.length, mid.recovered.length], [0, 0, 0]);
  assert.equal(tracker.isOpen("u-1", "api"), true);
});

test("a deleted pod closes its failures as pod-deleted", () => {
  const tracker = new FailureTracker();
  tracker.observe(pod(backOff), T0);
  const closed = tracker.forget("u-1", T0 + 60_000);
  assert.deepEqual(
    closed.map((f) => [f.outcome, f.durationMs]),
    [["pod-deleted", 60_000]],
  );
  assert.equal(tracker.openCount(), 0);
  assert.deepEqual(tracker.forget("u-1", T0 + 70_000), [], "forgetting twice is harmless");
});

test("fixing the tag closes the old failure as image-changed and opens one for the new image if it fails too", () => {
  const tracker = new FailureTracker();
  tracker.observe(pod(backOff), T0);
  const edited = tracker.observe(pod(errPull, { image: "ghcr.io/shop/api:v3" }), T0 + 30_000);
  assert.deepEqual(
    edited.superseded.map((f) => [f.outcome, f.image, f.durationMs]),
    [["image-changed", "ghcr.io/shop/api:v2", 30_000]],
  );
  assert.deepEqual(edited.recovered, []);
  assert.deepEqual(
    edited.opened.map((f) => [f.image, f.openedAt]),
    [["ghcr.io/shop/api:v3", T0 + 30_000]],
  );
  assert.equal(tracker.openCount(), 1);

  const fixed = tracker.observe(pod(running, { image: "ghcr.io/shop/api:v3" }), T0 + 40_000);
  assert.deepEqual(
    fixed.recovered.map((f) => f.image),
    ["ghcr.io/shop/api:v3"],
  );
});

test("recently closed failures are a bounded ring, oldest first", () => {
  const tracker = new FailureTracker({ maxClosed: 3 });
  for (let i = 0; i < 5; i++) {
    tracker.observe(pod(backOff, { uid: `u-${i}` }), T0 + i);
    tracker.forget(`u-${i}`, T0 + i + 1);
  }
  assert.deepEqual(
    tracker.recentClosed().map((f) => f.podKey),
    ["u-2", "u-3", "u-4"],
  );
});

test("returned failures are copies: changing one does not change the tracker", () => {
  const tracker = new FailureTracker();
  const [f] = tracker.observe(pod(backOff), T0).opened;
  f!.pullSecrets.push("tampered");
  f!.reason = "ErrImagePull";
  assert.deepEqual(tracker.open()[0]?.pullSecrets, ["regcred"]);
  assert.equal(tracker.open()[0]?.reason, "ImagePullBackOff");
});
