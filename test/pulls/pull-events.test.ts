import assert from "node:assert/strict";
import { test } from "node:test";
import { PullEventPublisher, type PullNotice, pullEventMessage } from "../../agent/podwatch/pull-events.js";

// The Events' rate limit and their words, on a stepped clock: at most one write per pod per 30 s,
// the latest word kept, a stall warned once, the end written even after the pull is gone.

function setup() {
  let now = 0;
  const writes: { at: number; reason: string; type: string; message: string; pod: string }[] = [];
  const publisher = new PullEventPublisher(
    async (n, type, reason) => {
      writes.push({ at: now, reason, type, message: pullEventMessage(n), pod: n.pod });
      return true;
    },
    () => now,
  );
  return { publisher, writes, step: (ms: number) => (now += ms) };
}

const notice = (state: PullNotice["state"], summary: string, pod = "web-0", container = "web"): PullNotice => ({
  podKey: `uid-${pod}`,
  namespace: "shop",
  pod,
  container,
  kind: "container",
  image: "ghcr.io/acme/web:2",
  state,
  summary,
});

test("progress every 2 s for 5 minutes is 10 writes per pod, 30 s apart, the latest percent each time", async () => {
  const { publisher, writes, step } = setup();
  for (let t = 0; t <= 300_000; t += 2000) {
    await publisher.publish([notice("pulling", `${Math.floor(t / 3000)} %`), notice("pulling", `${Math.floor(t / 3000)} %`, "web-1")]);
    step(2000);
  }
  for (const pod of ["web-0", "web-1"]) {
    const mine = writes.filter((w) => w.pod === pod);
    assert.equal(mine.length, 11, `${pod}: one write at 0 s, then one per 30 s`);
    for (let i = 1; i < mine.length; i++) assert.ok((mine[i]?.at ?? 0) - (mine[i - 1]?.at ?? 0) >= 30_000);
    assert.equal(mine.at(-1)?.message, `pulling: image "ghcr.io/acme/web:2": 100 %`);
  }
});

test("two containers of one pod share the pod's slot; a stall goes first, as a Warning with the cause label, once", async () => {
  const { publisher, writes, step } = setup();
  await publisher.publish([notice("pulling", "10 %", "web-0", "a"), notice("pulling", "10 %", "web-0", "b")]);
  assert.equal(writes.length, 1);
  step(10_000);
  await publisher.publish([notice("stalled", "no bytes for 1 min", "web-0", "a"), notice("pulling", "11 %", "web-0", "b")]);
  assert.equal(writes.length, 1, "inside the 30 s slot nothing is written");
  step(20_000);
  await publisher.publish([notice("stalled", "no bytes for 1 min 20 s", "web-0", "a"), notice("pulling", "12 %", "web-0", "b")]);
  assert.equal(writes.length, 2);
  assert.equal(writes[1]?.reason, "PullStalled");
  assert.equal(writes[1]?.type, "Warning");
  assert.match(writes[1]?.message ?? "", /^pull-timeout: image "ghcr\.io\/acme\/web:2": no bytes for 1 min$/);
  step(30_000);
  await publisher.publish([notice("stalled", "no bytes for 1 min 50 s", "web-0", "a"), notice("pulling", "13 %", "web-0", "b")]);
  assert.equal(writes.length, 3);
  assert.equal(writes[2]?.reason, "PullProgress", "the stall is not warned twice; b's progress gets the slot");
});

test("the end is written when the slot opens, even when no more words come; an unannounced pull has none", async () => {
  const { publisher, writes, step } = setup();
  await publisher.publish([notice("pulling", "90 %")]);
  step(5000);
  await publisher.publish([notice("pulled", "29.1 MiB, 4 layers in 35 s"), notice("pulled", "1 MiB, 1 layer in 1 s", "quick")]);
  assert.equal(writes.length, 1);
  step(25_000);
  await publisher.publish([]);
  assert.equal(writes.length, 2);
  assert.equal(writes[1]?.message, `pulled: image "ghcr.io/acme/web:2": 29.1 MiB, 4 layers in 35 s`);
  step(60_000);
  await publisher.publish([]);
  assert.equal(writes.length, 2, "nothing more; the pod 'quick' never had a progress Event, so no end either");
});
