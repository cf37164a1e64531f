import assert from "node:assert/strict";
import { test } from "node:test";
import { imageMatchesPull, PullWatch } from "../../agent/pulls/index.js";
import type { NodeRecord } from "../../aggregator/cluster-state.js";
import { normalizeReport } from "../../aggregator/store/index.js";
import { pullsView } from "../../aggregator/views/index.js";
import { emptyNodeReport, type PullInFlight } from "../../core/protocol/protocol.js";

test("a pod's image matches the pull of its repository on its registry (the labels drop the port), or its digest", () => {
  const pull = { manifest: "sha256:m", sources: [{ host: "127.0.0.1", repository: "shop/api" }], indexes: ["sha256:i"] };
  assert.equal(imageMatchesPull("127.0.0.1:5000/shop/api:1.2", pull), true);
  assert.equal(imageMatchesPull("127.0.0.1:5000/shop/web:1.2", pull), false);
  assert.equal(imageMatchesPull(`127.0.0.1:5000/shop/api@sha256:${"0".repeat(64)}`, pull), false);
  const hub = { manifest: "sha256:m", sources: [{ host: "docker.io", repository: "library/nginx" }], indexes: [] };
  assert.equal(imageMatchesPull("nginx:1.27", hub), true);
});

test("CRI-O: no percent, no ETA, said plainly; the pods waiting, since when, and the image filesystem's growth while one image is pulled", async () => {
  let now = 1000;
  let used = 500 * 1024 * 1024;
  const waits = [
    { pod: "shop/a-0", podKey: "a0", namespace: "shop", container: "a", kind: "container" as const, image: "quay.io/o/a:1" },
    { pod: "shop/a-1", podKey: "a1", namespace: "shop", container: "a", kind: "container" as const, image: "quay.io/o/a:1" },
  ];
  const watch = new PullWatch({
    store: async () => ({ unavailable: "the runtime at /run/crio/crio.sock is not containerd" }),
    waits: () => waits,
    imageFsUsed: async () => used,
    now: () => now,
    stallAfterMs: 60_000,
  });
  await watch.round();
  now += 10_000;
  used += 20 * 1024 * 1024;
  const { view, words } = await watch.round();
  assert.equal(view.source, "unavailable");
  assert.match(view.note ?? "", /not containerd: the runtime has no API for pulls in flight, so there is no percent, ETA or stall/);
  assert.equal(view.pulls.length, 1);
  const p = view.pulls[0];
  assert.deepEqual(p?.pods, ["shop/a-0", "shop/a-1"]);
  assert.equal(p?.elapsedMs, 10_000);
  assert.equal(p?.bytesDone, 20 * 1024 * 1024, "the image filesystem grew by 20 MiB since the wait began");
  assert.equal(p?.bytesTotal, 0);
  assert.equal(p?.etaSeconds, undefined);
  assert.deepEqual(words, [], "no progress Events without progress");
});

function record(node: string, pulls: Partial<PullInFlight>[]): NodeRecord {
  const report = emptyNodeReport(Date.now());
  report.pulls = pulls.map((p) => normalizeReport({ pulls: [p] }).pulls[0] as PullInFlight);
  return { node, connected: true, lastSeenMs: Date.now(), lastReportMs: Date.now(), reportIntervalSeconds: 30, report } as unknown as NodeRecord;
}

test("/api/v1/pulls: every node's pulls, stalled first (the longest stalled first), then the longest to go", () => {
  const view = pullsView(
    [
      record("node-a", [
        { image: "a:1", bytesDone: 50, bytesTotal: 100, etaSeconds: 10, pods: ["shop/a-0"] },
        { image: "b:1", bytesDone: 10, bytesTotal: 100, etaSeconds: 90 },
      ]),
      record("node-b", [
        { image: "c:1", bytesDone: 1, bytesTotal: 100, stalled: true, idleMs: 70_000 },
        { image: "d:1", bytesDone: 0, bytesTotal: 0 },
      ]),
    ],
    Date.now(),
  );
  assert.deepEqual(
    view.map((p) => [p.image, p.node, p.percent, p.etaSeconds, p.stalled]),
    [
      ["c:1", "node-b", 1, null, true],
      ["d:1", "node-b", null, null, false],
      ["b:1", "node-a", 10, 90, false],
      ["a:1", "node-a", 50, 10, false],
    ],
  );
  assert.deepEqual(view.at(-1)?.pods, ["shop/a-0"]);
});
