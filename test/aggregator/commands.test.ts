import assert from "node:assert/strict";
import { test } from "node:test";
import type { NodeRecord } from "../../aggregator/cluster-state.js";
import { commandStatus, dispatchPrepull, dockerHubPulls, planPrepull } from "../../aggregator/prepull-commands.js";
import type { StoredCommand, StoredCommandUpdate } from "../../aggregator/store/index.js";
import { type Command, emptyNodeReport, type NodeReport, type QuotaReport } from "../../core/protocol/protocol.js";

// Who pulls when, as pure functions of the node records and the time: no server needed.

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;

function node(name: string, opts: { connected?: boolean; lastSeenMs?: number; quota?: Partial<QuotaReport>[] } = {}): NodeRecord {
  const report: NodeReport | undefined = opts.quota
    ? {
        ...emptyNodeReport(NOW),
        quota: opts.quota.map((q) => ({ source: "", limit: 100, remaining: 100, windowSeconds: 21600, observedAtMs: NOW - 60_000, ...q })),
      }
    : undefined;
  return {
    node: name,
    agentVersion: "0.1.0",
    bootId: `b-${name}`,
    reportIntervalSeconds: 10,
    connected: opts.connected ?? true,
    firstSeenMs: NOW - HOUR,
    lastSeenMs: opts.lastSeenMs ?? NOW - 1000,
    lastReportMs: NOW - 1000,
    report,
  };
}

const starts = (plan: { node: string; notBeforeMs: number }[]) => Object.fromEntries(plan.map((p) => [p.node, p.notBeforeMs - NOW]));

test("Docker Hub pulls are counted per image reference: docker.io only, invalid ones not at all", () => {
  assert.equal(dockerHubPulls(["nginx:1.27", "docker.io/library/redis:7", "index.docker.io/org/app:1", "ghcr.io/acme/web:1", "quay.io/x/y", "Not Valid::"]), 3);
});

test("only connected nodes that are not stale are planned", () => {
  const plan = planPrepull(
    ["ghcr.io/acme/web:1"],
    [node("up"), node("gone", { connected: false }), node("stale", { lastSeenMs: NOW - 31_000 }), node("fresh-enough", { lastSeenMs: NOW - 29_000 })],
    NOW,
  );
  assert.deepEqual(plan.map((p) => p.node).sort(), ["fresh-enough", "up"]);
  assert.deepEqual(planPrepull(["nginx"], [node("gone", { connected: false })], NOW), []);
});

test("nodes of one egress source start spacingMs apart; separate sources start in parallel", () => {
  const src = (s: string) => ({ quota: [{ source: s, remaining: 90 }] });
  const plan = planPrepull(
    ["nginx:1.27"],
    [node("a1", src("nat-a")), node("a2", src("nat-a")), node("a3", src("nat-a")), node("b1", src("nat-b")), node("b2", src("nat-b"))],
    NOW,
    { spacingMs: 1500 },
  );
  assert.deepEqual(starts(plan), { a1: 0, a2: 1500, a3: 3000, b1: 0, b2: 1500 });
  // Sorted by start, then name.
  assert.deepEqual(
    plan.map((p) => p.node),
    ["a1", "b1", "a2", "b2", "a3"],
  );
  // The default spacing is 2 s; nodes without any quota reading form one group too.
  assert.deepEqual(starts(planPrepull(["ghcr.io/x/y:1"], [node("n1"), node("n2")], NOW)), { n1: 0, n2: 2000 });
});

test("a source with little quota left: as many nodes as remaining minus the reserve allow start now, the rest at the window's end", () => {
  const observedAtMs = NOW - HOUR;
  const q = { source: "203.0.113.1", limit: 100, remaining: 13, windowSeconds: 21600, observedAtMs };
  const nodes = ["n1", "n2", "n3", "n4", "n5"].map((n) => node(n, { quota: [q] }));
  const plan = planPrepull(["nginx:1.27"], nodes, NOW, { spacingMs: 1000 });
  const windowEnd = observedAtMs + 21600 * 1000 - NOW;
  // remaining 13 - reserve 10 = 3 pulls now.
  assert.deepEqual(starts(plan), { n1: 0, n2: 1000, n3: 2000, n4: windowEnd, n5: windowEnd + 1000 });

  // Two Docker Hub images cost two pulls per node: one node fits now.
  const two = planPrepull(["nginx:1.27", "redis:7", "ghcr.io/acme/web:1"], nodes.slice(0, 3), NOW, { spacingMs: 1000 });
  assert.deepEqual(starts(two), { n1: 0, n2: windowEnd, n3: windowEnd + 1000 });

  // A bigger reserve leaves nothing now.
  assert.deepEqual(starts(planPrepull(["nginx:1.27"], nodes.slice(0, 2), NOW, { reserve: 20, spacingMs: 1000 })), { n1: windowEnd, n2: windowEnd + 1000 });

  // Images outside Docker Hub do not touch its quota: everyone starts now, spaced.
  assert.deepEqual(starts(planPrepull(["ghcr.io/acme/web:1"], nodes.slice(0, 3), NOW, { spacingMs: 1000 })), { n1: 0, n2: 1000, n3: 2000 });
});

test("past the next window too: each window's budget is the limit less the reserve", () => {
  const q = { source: "nat", limit: 12, remaining: 11, windowSeconds: 3600, observedAtMs: NOW };
  const nodes = ["n1", "n2", "n3", "n4", "n5", "n6"].map((n) => node(n, { quota: [q] }));
  // Now: 11 - 10 = 1 node; each later window: 12 - 10 = 2 nodes.
  assert.deepEqual(starts(planPrepull(["nginx"], nodes, NOW, { spacingMs: 10 })), {
    n1: 0,
    n2: HOUR,
    n3: HOUR + 10,
    n4: 2 * HOUR,
    n5: 2 * HOUR + 10,
    n6: 3 * HOUR,
  });
});

test("a reading older than its window: the quota has refilled, the whole limit less the reserve is available now", () => {
  const q = { source: "nat", limit: 13, remaining: 0, windowSeconds: 3600, observedAtMs: NOW - 2.5 * HOUR };
  const nodes = ["n1", "n2", "n3", "n4"].map((n) => node(n, { quota: [q] }));
  // 13 - 10 = 3 now; the next window ends on the reading's window grid (observed + 3 h).
  assert.deepEqual(starts(planPrepull(["nginx"], nodes, NOW, { spacingMs: 10 })), { n1: 0, n2: 10, n3: 20, n4: 0.5 * HOUR });
});

test("the freshest reading of a source decides, whichever node made it", () => {
  const nodes = [
    node("n1", { quota: [{ source: "nat", remaining: 50, observedAtMs: NOW - 10 * 60_000 }] }),
    node("n2", { quota: [{ source: "nat", remaining: 11, observedAtMs: NOW - 60_000 }] }),
  ];
  const plan = planPrepull(["nginx"], nodes, NOW, { spacingMs: 10 });
  assert.deepEqual(starts(plan), { n1: 0, n2: 21600 * 1000 - 60_000 });
});

test("dispatch: the command is stored first, sent to each planned node, a node gone meanwhile gets failed updates", async () => {
  const saved: StoredCommand[] = [];
  const updates: { node: string; state: string; cause: string }[] = [];
  const sent: [string, Command][] = [];
  const result = await dispatchPrepull(["nginx:1.27", "ghcr.io/a/b:1"], {
    nodes: () => [node("a"), node("b"), node("c", { connected: false }), node("d", { lastSeenMs: NOW - HOUR })],
    store: {
      saveCommand: (c) => saved.push(c),
      saveCommandUpdate: (n, u) => {
        assert.equal(saved.length, 1, "the command exists before any update");
        updates.push({ node: n, state: u.state, cause: u.cause });
      },
    },
    sendCommand: (n, cmd) => {
      assert.equal(saved.length, 1, "stored before sent");
      sent.push([n, cmd]);
      return n !== "b";
    },
    now: () => NOW,
    newId: () => "pp-test",
  });
  assert.equal(result.id, "pp-test");
  assert.deepEqual(saved[0], { id: "pp-test", createdMs: NOW, images: ["nginx:1.27", "ghcr.io/a/b:1"], plan: result.plan });
  assert.deepEqual(
    sent.map(([n, c]) => [n, c.prepull?.notBeforeMs]),
    [
      ["a", NOW],
      ["b", NOW + 2000],
    ],
  );
  assert.deepEqual(sent[0]?.[1], { id: "pp-test", kind: "prepull", prepull: { images: ["nginx:1.27", "ghcr.io/a/b:1"], notBeforeMs: NOW } });
  assert.deepEqual(result.unsent, ["b"]);
  assert.deepEqual(updates, [
    { node: "b", state: "failed", cause: "not-connected" },
    { node: "b", state: "failed", cause: "not-connected" },
  ]);
  assert.deepEqual(result.skipped, [
    { node: "c", reason: "disconnected" },
    { node: "d", reason: "stale" },
  ]);
});

test("command status: the latest state per planned node and image, done once every one is final", () => {
  const cmd: StoredCommand & { updates: StoredCommandUpdate[] } = {
    id: "pp-1",
    createdMs: NOW,
    images: ["nginx:1.27", "ghcr.io/a/b:1"],
    plan: [
      { node: "a", notBeforeMs: NOW },
      { node: "b", notBeforeMs: NOW + 2000 },
    ],
    updates: [
      // The agent may spell the image normalized: it is still the same image.
      { node: "a", commandId: "pp-1", image: "docker.io/library/nginx:1.27", state: "pulled", cause: "", summary: "", durationMs: 1500, atMs: NOW + 10 },
      { node: "a", commandId: "pp-1", image: "ghcr.io/a/b:1", state: "pulling", cause: "", summary: "", durationMs: 0, atMs: NOW + 20 },
      {
        node: "b",
        commandId: "pp-1",
        image: "nginx:1.27",
        state: "deferred",
        cause: "rate-limited",
        summary: "8 pulls left, under the reserve",
        durationMs: 0,
        atMs: NOW + 30,
      },
    ],
  };
  let s = commandStatus(cmd);
  assert.equal(s.done, false);
  assert.deepEqual(
    s.nodes.map((n) => [n.node, n.images.map((i) => i.state)]),
    [
      ["a", ["pulled", "pulling"]],
      ["b", ["deferred", "pending"]],
    ],
  );
  assert.deepEqual(s.counts, { pending: 1, waiting: 0, pulling: 1, pulled: 1, unchanged: 0, deferred: 1, failed: 0 });
  cmd.updates.push(
    { node: "a", commandId: "pp-1", image: "ghcr.io/a/b:1", state: "unchanged", cause: "", summary: "", durationMs: 0, atMs: NOW + 40 },
    { node: "b", commandId: "pp-1", image: "ghcr.io/a/b:1", state: "failed", cause: "auth-denied", summary: "", durationMs: 0, atMs: NOW + 50 },
  );
  s = commandStatus(cmd);
  assert.equal(s.done, true);
  assert.equal(s.nodes[1]?.images[1]?.cause, "auth-denied");
  // No plan: nothing to wait for.
  assert.equal(commandStatus({ ...cmd, plan: [], updates: [] }).done, true);
});

test("a second pre-pull right after a first does not spend the quota the first has already planned", async () => {
  const q = { source: "203.0.113.1", limit: 100, remaining: 13, windowSeconds: 21600, observedAtMs: NOW - HOUR };
  const names = ["n1", "n2", "n3", "n4", "n5"];
  const commands: StoredCommand[] = [];
  const deps = (now: number, reading: typeof q = q) => ({
    nodes: () => names.map((n) => node(n, { quota: [reading], lastSeenMs: now - 1000 })),
    store: { saveCommand: (c: StoredCommand) => commands.unshift(c), saveCommandUpdate: () => undefined },
    recentCommands: () => commands,
    sendCommand: () => true,
    now: () => now,
    spacingMs: 1000,
  });
  const windowEnd = q.observedAtMs + 21600 * 1000;
  const first = await dispatchPrepull(["nginx:1.27"], deps(NOW));
  assert.deepEqual(Object.fromEntries(first.plan.map((p) => [p.node, p.notBeforeMs - NOW])), {
    n1: 0,
    n2: 1000,
    n3: 2000,
    n4: windowEnd - NOW,
    n5: windowEnd - NOW + 1000,
  });
  // A minute later, before any node's reading shows the first command's pulls: 13 - 10 = 3 pulls
  // were left now and the first command takes them all; the next window (90 pulls) has 88 left.
  const second = await dispatchPrepull(["redis:7"], deps(NOW + 60_000));
  assert.deepEqual(
    second.plan.map((p) => p.notBeforeMs >= windowEnd),
    [true, true, true, true, true],
    `nothing may start before the window ends: ${JSON.stringify(second.plan.map((p) => [p.node, p.notBeforeMs - NOW]))}`,
  );
  // Once a reading newer than the first command's starts arrives, it counts those pulls itself.
  const fresh = { ...q, remaining: 60, observedAtMs: NOW + 2 * HOUR };
  const third = await dispatchPrepull(["redis:7"], deps(NOW + 2 * HOUR + 1000, fresh));
  // Starts still ahead of this reading count (the first's n4, n5, the second's five): 60 - 10 - 7 = 43
  // pulls left, enough for all five now.
  assert.deepEqual(
    third.plan.map((p) => p.notBeforeMs - (NOW + 2 * HOUR + 1000)),
    [0, 1000, 2000, 3000, 4000],
  );
});
