import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { ClusterState } from "../../aggregator/cluster-state.js";
import type { Answer } from "../../aggregator/http/answer.js";
import { viewAnswer } from "../../aggregator/http/api.js";
import { ViewCache } from "../../aggregator/http/view-cache.js";
import { QueryProblem } from "../../aggregator/query.js";
import { normalizeReport, type StoredCommand } from "../../aggregator/store/index.js";
import { ViewThread, ViewThreadUnavailable } from "../../aggregator/view-thread/index.js";
import { VIEWS, type View } from "../../aggregator/views/index.js";
import type { Logger } from "../../core/log/index.js";

// The views computed on the view thread answer exactly what the main thread computes from the same
// nodes: after the first copy, and after every kind of change the thread is handed (a new report,
// a heartbeat, a disconnect, a node forgotten, a new node), page after page.

const NOW = 1_700_000_000_000;
const COMMANDS: StoredCommand[] = [{ id: "c1", createdMs: NOW - 5000, images: ["docker.io/library/redis:7"], plan: [{ node: "n-003", notBeforeMs: NOW }] }];
const store = {
  latestCommands: async (limit: number) => COMMANDS.slice(0, limit),
  findingsPage: () => Promise.reject(new Error("not in this test")),
};

function silentLog(lines: string[] = []): Logger {
  const keep = (m: string) => void lines.push(m);
  return { error: keep, warn: keep, info: () => undefined, debug: () => undefined };
}

function reportOf(i: number, version: number) {
  return normalizeReport({
    observedAtMs: NOW - 1000,
    runtime: `containerd 1.7.${version}`,
    registries: [
      { registry: "ghcr.io", ok: i % 7 !== 0, failingStep: i % 7 === 0 ? "tls" : "", error: i % 7 === 0 ? "x509: unknown authority" : "", latencyMs: 10 + i },
      { registry: `mirror-${i % 3}.example`, ok: true, latencyMs: 5 },
    ],
    quota: [
      { source: i % 4 === 0 ? "" : `198.51.100.${i % 5}`, limit: 100, remaining: (i * 13 + version) % 100, windowSeconds: 21600, observedAtMs: NOW - i * 1000 },
    ],
    prepull: [
      { image: "nginx", state: i % 5 === 0 ? "failed" : "present", cause: i % 5 === 0 ? "not-found" : "" },
      { image: `ghcr.io/acme/api:${version}`, state: "pulling" },
    ],
    disks: [{ mountpoint: "/var/lib/containerd", capacityBytes: 100e9, availableBytes: (i % 10) * 1e9 + version, usedPercent: 90 - (i % 10) }],
    failures:
      i % 3 === 0
        ? [
            {
              pod: `shop/web-${i}`,
              container: "web",
              image: "ghcr.io/acme/web:2",
              registry: "ghcr.io",
              reason: "ImagePullBackOff",
              cause: "not-found",
              summary: "no such tag",
              fix: ["kubectl set image …"],
              sinceMs: NOW - i * 60_000,
            },
          ]
        : [],
    conditions: [{ type: "ImageFsPressure", status: i % 11 === 0 ? "True" : "False", reason: "", message: "" }],
    checkErrors: i % 13 === 0 ? { registries: "timed out" } : {},
  });
}

function seeded(): ClusterState {
  const state = new ClusterState();
  for (let i = 0; i < 60; i++) {
    const node = `n-${String(i).padStart(3, "0")}`;
    state.hello({ node, agentVersion: "0.9.0", bootId: `b${i}`, reportIntervalSeconds: 10, protocol: "pullmedic.v1" }, NOW - 120_000);
    // Some nodes have not reported; some went silent long ago (stale).
    if (i % 17 !== 5) state.report(node, reportOf(i, 1), i % 9 === 4 ? NOW - 100_000 : NOW - 2000);
  }
  return state;
}

/** The view of that name (views/index.ts VIEWS). */
function viewNamed(name: string): View {
  const view = VIEWS.find((v) => v.name === name);
  assert.ok(view, `no view ${name}`);
  return view;
}

/** What the HTTP side answers views from, without a cache, with this thread. */
function viewSources(state: ClusterState, thread: ViewThread) {
  return { state, store: store as never, now: () => NOW, views: new ViewCache<Promise<Answer>>({ windowMs: 0 }), thread };
}

/** The queries asked of each view: the dashboard's, a small page, the page after it. */
const QUERIES = ["", "limit=7", "limit=7&order=attention", "limit=5&order=name"];

async function mainThreadBody(view: View, state: ClusterState, search: string, now: number): Promise<string> {
  const body = await view.compute({ state, store, now, options: { staleAfterIntervals: state.staleAfterIntervals } }, new URLSearchParams(search));
  return `${JSON.stringify({ generatedAt: now, ...body })}\n`;
}

/** Every view of the nodes, every query, and the next page of each: the thread's body equals the main thread's. */
async function assertSameViews(thread: ViewThread, state: ClusterState, now: number, when: string): Promise<void> {
  for (const view of VIEWS.filter((v) => !v.reads.queries)) {
    for (const query of QUERIES) {
      const search = view.query.includes("order") || !query.includes("order") ? query : query.replace(/&order=\w+/, "");
      const fromThread = await thread.compute(view, new URLSearchParams(search), now);
      assert.equal(fromThread, await mainThreadBody(view, state, search, now), `${when}: ${view.path}?${search}`);
      const next = (JSON.parse(fromThread) as { continue?: string }).continue;
      if (next === undefined) continue;
      const page2 = `${search}&continue=${next}`;
      assert.equal(
        await thread.compute(view, new URLSearchParams(page2), now),
        await mainThreadBody(view, state, page2, now),
        `${when}: ${view.path}?${page2}`,
      );
    }
  }
}

test("the thread's views equal the main thread's, first copy and after each kind of change", async () => {
  const state = seeded();
  const thread = new ViewThread({ state, store, log: silentLog() });
  try {
    await assertSameViews(thread, state, NOW, "first copy");
    assert.equal(thread.running, true);

    for (const i of [1, 2, 3, 30]) state.report(`n-${String(i).padStart(3, "0")}`, reportOf(i, 2), NOW + 1000);
    state.seen("n-040", NOW + 2000);
    state.disconnected("n-041", NOW + 2000);
    state.disconnected("n-042", NOW + 2000);
    assert.equal(state.forget("n-042"), true);
    state.hello({ node: "n-new", agentVersion: "1.0.0", bootId: "x", reportIntervalSeconds: 30, protocol: "pullmedic.v1" }, NOW + 3000);
    state.report("n-new", reportOf(99, 3), NOW + 3000);
    await assertSameViews(thread, state, NOW + 5000, "after changes");
    // Later, with nodes gone stale meanwhile: staleness is the request's time, on both sides.
    await assertSameViews(thread, state, NOW + 60_000, "a minute later");
  } finally {
    await thread.close();
  }
});

test("a bad query parameter is the same problem from the thread, named", async () => {
  const state = seeded();
  const thread = new ViewThread({ state, store, log: silentLog() });
  try {
    const nodes = viewNamed("nodes");
    await assert.rejects(thread.compute(nodes, new URLSearchParams("limit=0"), NOW), (err: unknown) => {
      assert.ok(err instanceof QueryProblem);
      assert.match(err.message, /^limit: /);
      return true;
    });
    await assert.rejects(thread.compute(nodes, new URLSearchParams("continue=nonsense"), NOW), /continue: "nonsense" is not a token this aggregator gave/);
  } finally {
    await thread.close();
  }
});

test("idle, the thread stops and drops its copy; asked again, it starts with the whole state", async () => {
  const state = seeded();
  const thread = new ViewThread({ state, store, log: silentLog(), idleMs: 50 });
  try {
    const failures = viewNamed("failures");
    await thread.compute(failures, new URLSearchParams(), NOW);
    assert.equal(thread.running, true);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(thread.running, false);
    // Changes while no thread runs are not noted...
    state.report("n-001", reportOf(1, 7), NOW + 1000);
    assert.deepEqual(state.takeChanges(), { changed: [], dropped: [] });
    // ...and the new thread gets everything.
    await assertSameViews(thread, state, NOW + 2000, "after a restart");
  } finally {
    await thread.close();
  }
});

test("the thread runs at the lowest priority: SCHED_IDLE, so the main thread's work comes first on a busy core", async () => {
  const state = seeded();
  const thread = new ViewThread({ state, store, log: silentLog() });
  try {
    const before = schedulingOfThreads();
    await thread.compute(VIEWS[0]!, new URLSearchParams(), NOW);
    const after = schedulingOfThreads();
    const lowered = after.filter((t) => !before.some((b) => b.tid === t.tid) && t.policy === SCHED_IDLE && t.nice === 19);
    assert.equal(before.filter((t) => t.policy === SCHED_IDLE).length, 0);
    assert.equal(lowered.length, 1, `this process's threads (tid policy nice): ${after.map((t) => `${t.tid} ${t.policy} ${t.nice}`).join(", ")}`);
  } finally {
    await thread.close();
  }
});

/** Linux's number for the SCHED_IDLE policy (sched.h). */
const SCHED_IDLE = 5;

/** Each of this process's threads: its nice value and scheduling policy (fields 19 and 41 of /proc/self/task/<tid>/stat). */
function schedulingOfThreads(): { tid: string; nice: number; policy: number }[] {
  return readdirSync("/proc/self/task").map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    // Fields after the command's closing parenthesis start at field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { tid, nice: Number(fields[16]), policy: Number(fields[38]) };
  });
}

test("a thread that cannot start: the request is answered on the main thread, and said once in the log", async () => {
  const state = seeded();
  const lines: string[] = [];
  const thread = new ViewThread({ state, store, log: silentLog(lines), file: new URL("./no-such-view-thread.mjs", import.meta.url) });
  const nodes = viewNamed("nodes");
  const sources = viewSources(state, thread);
  const answer = await viewAnswer(nodes, new URL("http://aggregator/api/v1/nodes?limit=3"), sources);
  assert.equal(answer.status, 200);
  assert.equal(answer.body, await mainThreadBody(nodes, state, "limit=3", NOW));
  assert.equal(thread.available, false);
  await assert.rejects(thread.compute(nodes, new URLSearchParams(), NOW), ViewThreadUnavailable);
  const again = await viewAnswer(nodes, new URL("http://aggregator/api/v1/nodes?limit=3"), sources);
  assert.equal(again.body, answer.body);
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? "", /^the view thread stopped \(.*no-such-view-thread.*\): views are computed on the main thread from now on$/);
});

test("a copy beyond the thread's heap cap stops the thread; the views are answered on the main thread, said once", async () => {
  // A 1 MiB report budget caps the thread's heap at 66 MiB; the reports here are ~100 MiB (put
  // in directly, past the budget the ingest would have applied).
  const state = new ClusterState({ reportMemoryBytes: 1024 * 1024 });
  const summary = "x".repeat(1000);
  for (let i = 0; i < 100; i++) {
    const node = `big-${i}`;
    state.hello({ node, agentVersion: "0.9.0", bootId: "b", reportIntervalSeconds: 10, protocol: "pullmedic.v1" }, NOW);
    const failures = Array.from({ length: 1000 }, (_, k) => ({
      pod: `ns/p-${k}`,
      container: "c",
      image: `ghcr.io/acme/app-${i}:${k}`,
      cause: "not-found",
      summary: `${summary}${i}-${k}`,
      sinceMs: NOW,
    }));
    state.report(node, normalizeReport({ observedAtMs: NOW, failures }), NOW);
  }
  const lines: string[] = [];
  const thread = new ViewThread({ state, store, log: silentLog(lines) });
  const failuresView = viewNamed("failures");
  const sources = viewSources(state, thread);
  try {
    const answer = await viewAnswer(failuresView, new URL("http://aggregator/api/v1/failures?limit=2"), sources);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, await mainThreadBody(failuresView, state, "limit=2", NOW));
    assert.equal(thread.available, false);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? "", /^the view thread stopped \(.*memory.*\): views are computed on the main thread from now on$/i);
  } finally {
    await thread.close();
  }
});

test("a node that cannot be handed over stops the thread: the request is answered on the main thread, the next thread gets a whole copy", async () => {
  const state = seeded();
  // Not data (a decoded report never holds a function): the serializer refuses it.
  const odd = { ...reportOf(50, 1), extra: () => "not data" } as unknown as ReturnType<typeof reportOf>;
  state.report("n-050", odd, NOW);
  const thread = new ViewThread({ state, store, log: silentLog() });
  const nodes = viewNamed("nodes");
  const sources = viewSources(state, thread);
  try {
    const answer = await viewAnswer(nodes, new URL("http://aggregator/api/v1/nodes?limit=60"), sources);
    assert.equal(answer.body, await mainThreadBody(nodes, state, "limit=60", NOW));
    assert.equal(thread.running, false);
    assert.equal(thread.available, true);
    state.report("n-050", reportOf(50, 2), NOW + 1000);
    await assertSameViews(thread, state, NOW + 2000, "after a failed handover");
  } finally {
    await thread.close();
  }
});
