// The dashboard in real headless Chromium, fed by canned JSON in the shapes of the aggregator's
// /api/v1 views from a small HTTP server that also serves aggregator/web/ the way the aggregator does.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { openDashboard } from "../support/browser.js";
import { listenOnLoopback } from "../support/net.js";

// The page's globals, for the callbacks that run inside Chromium (the project compiles without the DOM lib).
interface PageElement {
  tagName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  documentElement: { scrollWidth: number };
};
declare const window: { innerWidth: number };
declare const navigator: { clipboard: { readText(): Promise<string> } };

const webDir = new URL("../../aggregator/web/", import.meta.url).pathname;
const REFRESH_MS = 5000;
/** The page must show a change within one refresh interval; this adds the fetch and draw time. */
const WITHIN_REFRESH = REFRESH_MS + 1500;

type Views = Record<"nodes" | "failures" | "registries" | "quota" | "disks" | "coverage", unknown> & { pulls?: unknown };

const FIX = "kubectl set image deployment/api api=registry.example/shop/api:1.2 -n shop";
const IMAGE = "registry.example/shop/api:9.9";

function failureGroup(now: number) {
  return {
    cause: "not-found",
    image: IMAGE,
    registry: "registry.example",
    summary: "the tag 9.9 does not exist in registry.example/shop/api (the registry answered 404 to the manifest)",
    fix: [FIX],
    pods: [
      { pod: "shop/api-7d9c5-abcde", node: "node-a", container: "api", since: now - 12 * 60_000 },
      { pod: "shop/api-7d9c5-fghij", node: "node-b", container: "api", since: now - 11 * 60_000 },
      { pod: "shop/api-7d9c5-klmno", node: "node-b", container: "api", since: now - 10 * 60_000 },
    ],
    podCount: 3,
    nodes: ["node-a", "node-b"],
    nodeCount: 2,
    sinceMs: now - 12 * 60_000,
  };
}

function seeded(now = Date.now()): Views {
  const node = (name: string, extra: Record<string, unknown> = {}) => ({
    node: name,
    agentVersion: "0.1.0",
    connected: true,
    stale: false,
    lastSeenMs: now - 3_000,
    lastReportMs: now - 8_000,
    runtime: "containerd 1.7.24",
    runtimeProblem: "",
    failures: 0,
    checkErrors: {},
    conditions: [],
    ...extra,
  });
  return {
    nodes: [
      node("node-a", {
        runtime: "",
        runtimeProblem: "no container runtime reachable (tried /run/containerd/containerd.sock, /run/k3s/containerd/containerd.sock)",
        failures: 1,
      }),
      node("node-b", { failures: 2, checkErrors: { probes: "dns lookup of registry.example timed out" } }),
      node("node-c", { stale: true, connected: false, lastSeenMs: now - 10 * 60_000, lastReportMs: now - 10 * 60_000 }),
    ],
    failures: [failureGroup(now)],
    registries: {
      registries: ["registry.example", "docker.io"],
      nodes: ["node-a", "node-b", "node-c"],
      cells: [
        { registry: "registry.example", node: "node-a", ok: true, failingStep: "", error: "", stale: false },
        { registry: "registry.example", node: "node-b", ok: false, failingStep: "dns", error: "lookup registry.example: i/o timeout", stale: false },
        { registry: "registry.example", node: "node-c", ok: true, failingStep: "", error: "", stale: true },
        { registry: "docker.io", node: "node-a", ok: true, failingStep: "", error: "", stale: false },
        { registry: "docker.io", node: "node-b", ok: true, failingStep: "", error: "", stale: false },
        { registry: "docker.io", node: "node-c", ok: true, failingStep: "", error: "", stale: true },
      ],
      summary: [
        { registry: "registry.example", ok: 2, failing: 1 },
        { registry: "docker.io", ok: 3, failing: 0 },
      ],
      generatedAt: now,
    },
    quota: {
      sources: [
        {
          source: "203.0.113.7",
          limit: 100,
          remaining: 7,
          windowSeconds: 21600,
          observedAtMs: now - 120_000,
          nodes: ["node-a", "node-b", "node-c"],
          low: true,
          exhausted: false,
        },
      ],
      unknown: [],
      generatedAt: now,
    },
    disks: [
      {
        node: "node-a",
        stale: false,
        disks: [{ mountpoint: "/var/lib/containerd", capacityBytes: 100 * 2 ** 30, availableBytes: 9 * 2 ** 30, usedPercent: 91, inodesFree: 1_200_000 }],
        highestUsedPercent: 91,
        pressure: true,
      },
      {
        node: "node-b",
        stale: false,
        disks: [{ mountpoint: "/var/lib/containerd", capacityBytes: 100 * 2 ** 30, availableBytes: 60 * 2 ** 30, usedPercent: 40, inodesFree: 3_400_000 }],
        highestUsedPercent: 40,
        pressure: false,
      },
    ],
    coverage: {
      images: ["registry.example/shop/api:1.2"],
      nodes: ["node-a", "node-b", "node-c"],
      cells: [
        { image: "registry.example/shop/api:1.2", node: "node-a", state: "present" },
        { image: "registry.example/shop/api:1.2", node: "node-b", state: "failed", cause: "dns" },
        { image: "registry.example/shop/api:1.2", node: "node-c", state: "missing" },
      ],
      complete: [{ image: "registry.example/shop/api:1.2", presentOn: 1, of: 3 }],
      generatedAt: now,
    },
  };
}

/** Wraps the array views in `{ <name>: [...], generatedAt }`, as some aggregators answer. */
function enveloped(v: Views, now = Date.now()): Views {
  return {
    ...v,
    nodes: { nodes: v.nodes, generatedAt: now },
    failures: { failures: v.failures, generatedAt: now },
    disks: { disks: v.disks, generatedAt: now },
  };
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

interface Canned {
  url: string;
  views: Views;
  requests: string[];
  /** Stops answering: closes the listener and every open connection. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

async function cannedAggregator(views: Views): Promise<Canned> {
  const requests: string[] = [];
  const state = { views };
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    requests.push(path);
    const api = /^\/api\/v1\/(nodes|failures|pulls|registries|quota|disks|coverage)$/.exec(path);
    if (api) {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(state.views[api[1] as keyof Views] ?? { pulls: [] }));
      return;
    }
    const name = path === "/" ? "index.html" : path.slice(1);
    const ext = /\.[a-z]+$/.exec(name)?.[0] ?? "";
    if (!/^[a-z]+\.(html|js|css)$/.test(name)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(join(webDir, name));
      res.writeHead(200, { "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  };
  let server = createServer((req, res) => void handler(req, res));
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    get views() {
      return state.views;
    },
    set views(v: Views) {
      state.views = v;
    },
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    start: () =>
      new Promise<void>((resolve, reject) => {
        server = createServer((req, res) => void handler(req, res));
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => resolve());
      }),
  };
}

const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

test("the page loads with no errors and shows failures first, with cause, image and fix", async () => {
  const agg = await cannedAggregator(seeded());
  const dash = await openDashboard(agg.url);
  try {
    const { page } = dash;
    assert.deepEqual(dash.problems, [], "no console errors, page errors or failed requests");
    for (const path of [
      "/",
      "/style.css",
      "/app.js",
      "/api/v1/nodes",
      "/api/v1/failures",
      "/api/v1/registries",
      "/api/v1/quota",
      "/api/v1/disks",
      "/api/v1/coverage",
    ]) {
      assert.ok(agg.requests.includes(path), `the page fetched ${path}`);
    }

    assert.equal(await page.locator("h1").textContent(), "pullmedic");
    const summary = (await byTestId(page, "summary").textContent()) ?? "";
    assert.match(summary, /2 connected/);
    assert.match(summary, /1 stale/);
    assert.match(summary, /3 nodes total/);
    assert.match(summary, /1 open failure \(3 pods\)/);
    assert.match(summary, /last refresh \d\d:\d\d:\d\d/);

    // The failure group: cause badge verbatim, image, summary, pods, fix command with a copy button.
    const failures = byTestId(page, "failure");
    assert.equal(await failures.count(), 1);
    const failure = failures.first();
    assert.equal(await failure.getAttribute("data-cause"), "not-found");
    assert.equal(await failure.locator('[data-testid="cause"]').textContent(), "not-found");
    assert.equal(await failure.locator('[data-testid="image"]').textContent(), IMAGE);
    assert.equal(await failure.locator('[data-testid="fix"]').textContent(), FIX);
    assert.equal(await failure.locator('[data-testid="fix"]').evaluate((el) => `${el.tagName}<${el.parentElement?.tagName}`), "CODE<PRE");
    const affected = (await failure.locator('[data-testid="affected"]').textContent()) ?? "";
    assert.match(affected, /^3 pods on 2 nodes: node-a, node-b$/);
    const card = (await failure.textContent()) ?? "";
    for (const s of ["registry.example", "shop/api-7d9c5-abcde", "shop/api-7d9c5-klmno", "12 min ago", "the tag 9.9 does not exist"])
      assert.ok(card.includes(s), `the failure card shows ${s}: ${card}`);
    assert.ok(await failure.locator('[data-testid="cause"]').isVisible());
    assert.ok(await failure.locator('[data-testid="fix"]').isVisible());

    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: agg.url.replace(/\/$/, "") });
    await failure.getByRole("button", { name: "Copy fix command" }).click();
    await page.waitForFunction(() => document.querySelector(".copy")?.textContent === "Copied");
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), FIX, "the copy button puts the fix command on the clipboard");

    // Sections in order, in the DOM and on screen (single column on a laptop), each with a heading.
    const order = ["section-failures", "section-pulls", "section-registries", "section-quota", "section-disks", "section-coverage", "section-nodes"];
    assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll('[data-testid^="section-"]')].map((s) => s.getAttribute("data-testid"))), order);
    const tops: number[] = [];
    for (const id of order) {
      const box = await byTestId(page, id).boundingBox();
      assert.ok(box, `${id} is laid out`);
      tops.push(box.y);
      assert.ok(((await byTestId(page, id).locator("h2").textContent()) ?? "").length > 0, `${id} has a heading`);
    }
    assert.deepEqual(
      [...tops].sort((a, b) => a - b),
      tops,
      `sections stack top to bottom in order: ${tops.join(", ")}`,
    );
    const failuresBox = await byTestId(page, "section-failures").boundingBox();
    assert.ok(failuresBox && failuresBox.y < 768, "failures start on the first screen of a 1366×768 laptop");
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "nothing overflows the page sideways at 1366 px");

    // The runtime problem banner names the node and says what is missing.
    const banner = byTestId(page, "runtime-problem");
    assert.ok(await banner.isVisible());
    assert.match((await banner.textContent()) ?? "", /node-a: no container runtime reachable/);
    assert.ok(!(await byTestId(page, "unreachable").isVisible()));
    assert.ok(!(await byTestId(page, "no-nodes").isVisible()));

    // The other views, in words (not colour only).
    const registries = (await byTestId(page, "section-registries").textContent()) ?? "";
    assert.match(registries, /✗ dns/);
    assert.match(registries, /lookup registry\.example: i\/o timeout/);
    assert.equal(await byTestId(page, "section-registries").locator('th[scope="col"]').count(), 5, "registry, three nodes, nodes ok");
    const quota = byTestId(page, "quota-source");
    assert.equal(await quota.count(), 1);
    const quotaText = (await quota.textContent()) ?? "";
    for (const s of ["203.0.113.7", "7 / 100", "6 h", "3: node-a, node-b, node-c", "low"])
      assert.ok(quotaText.includes(s), `quota row shows ${s}: ${quotaText}`);
    const disks = (await byTestId(page, "section-disks").textContent()) ?? "";
    for (const s of ["91 %", "9.0 GiB", "PRESSURE", "40 %"]) assert.ok(disks.toUpperCase().includes(s.toUpperCase()), `disks show ${s}: ${disks}`);
    assert.ok(disks.indexOf("node-a") < disks.indexOf("node-b"), "the fullest disk comes first");
    const coverage = (await byTestId(page, "section-coverage").textContent()) ?? "";
    for (const s of ["✓ present", "✗ failed", "– missing", "1 / 3"]) assert.ok(coverage.includes(s), `coverage shows ${s}: ${coverage}`);
    const nodeC = (await page.locator('[data-testid="node"][data-node="node-c"]').textContent()) ?? "";
    assert.match(nodeC, /stale/);
    assert.match(nodeC, /10 min ago/);
    const nodeB = (await page.locator('[data-testid="node"][data-node="node-b"]').textContent()) ?? "";
    assert.match(nodeB, /probes: dns lookup of registry\.example timed out/);
    assert.match(nodeB, /0\.1\.0/);

    assert.deepEqual(dash.problems, [], "still no errors after reading everything");
  } finally {
    await dash.close();
    await agg.stop();
  }
});

test("text from the cluster is shown as text: a cause of <img onerror> creates no element", async () => {
  const hostileCause = `<img src=x onerror="window.__pwned=1">`;
  const hostileImage = `evil.example/<script>window.__pwned=2</script>:1`;
  const views = seeded();
  const now = Date.now();
  views.failures = [
    failureGroup(now),
    {
      ...failureGroup(now),
      cause: hostileCause,
      image: hostileImage,
      registry: "<b>evil.example</b>",
      summary: `<iframe src="javascript:window.__pwned=3"></iframe>`,
      fix: [`echo "<img src=x onerror=window.__pwned=4>"`],
      pods: [{ pod: "<svg onload=window.__pwned=5>", node: `<img src=x onerror="window.__pwned=6">`, container: "<u>c</u>", since: now }],
      nodes: [`<img src=x onerror="window.__pwned=6">`],
    },
  ];
  (views.nodes as Record<string, unknown>[])[0]!.runtimeProblem = `<img src=x onerror="window.__pwned=7">`;
  const agg = await cannedAggregator(views);
  const dash = await openDashboard(agg.url);
  try {
    const { page } = dash;
    assert.deepEqual(dash.problems, []);
    const failures = byTestId(page, "failure");
    assert.equal(await failures.count(), 2);
    const hostile = failures.nth(1);
    assert.equal(await hostile.getAttribute("data-cause"), hostileCause);
    assert.equal(await hostile.locator('[data-testid="cause"]').textContent(), hostileCause);
    assert.equal(await hostile.locator('[data-testid="image"]').textContent(), hostileImage);
    assert.equal(await hostile.locator('[data-testid="fix"]').textContent(), `echo "<img src=x onerror=window.__pwned=4>"`);
    assert.match((await byTestId(page, "runtime-problem").textContent()) ?? "", /<img src=x onerror="window.__pwned=7">/);
    const created = await page.evaluate(() => ({
      img: document.querySelectorAll("img").length,
      svg: document.querySelectorAll("svg").length,
      iframe: document.querySelectorAll("iframe").length,
      b: document.querySelectorAll("b, u").length,
      scripts: [...document.querySelectorAll("script")].map((s) => s.getAttribute("src")),
      pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
    }));
    assert.deepEqual(created, { img: 0, svg: 0, iframe: 0, b: 0, scripts: ["app.js"], pwned: null });
    assert.ok(!agg.requests.includes("/x"), "no <img src=x> was ever requested");
  } finally {
    await dash.close();
    await agg.stop();
  }
});

test("a resolved failure disappears within one refresh interval, without a page reload", async () => {
  const agg = await cannedAggregator(seeded());
  const dash = await openDashboard(agg.url);
  try {
    const { page } = dash;
    let navigations = 0;
    page.on("framenavigated", (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    await page.evaluate(() => ((window as unknown as { __sameDocument?: boolean }).__sameDocument = true));
    assert.equal(await byTestId(page, "failure").count(), 1);

    const views = seeded();
    views.failures = [];
    for (const n of views.nodes as Record<string, unknown>[]) n.failures = 0;
    agg.views = views;
    const changedAt = Date.now();
    await page.getByText("No image pull failures").waitFor({ timeout: WITHIN_REFRESH });
    const tookMs = Date.now() - changedAt;
    assert.ok(tookMs <= WITHIN_REFRESH, `shown after ${tookMs} ms`);

    assert.equal(await byTestId(page, "failure").count(), 0);
    assert.match((await byTestId(page, "summary").textContent()) ?? "", /0 open failures/);
    assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true, "same document: no reload");
    assert.equal(navigations, 0);
    assert.equal(agg.requests.filter((p) => p === "/").length, 1, "the page itself was fetched once");
    assert.deepEqual(dash.problems, []);
  } finally {
    await dash.close();
    await agg.stop();
  }
});

test("when the aggregator stops answering, a notice says since when and the last data stays", async () => {
  const agg = await cannedAggregator(seeded());
  const dash = await openDashboard(agg.url);
  try {
    const { page } = dash;
    assert.ok(!(await byTestId(page, "unreachable").isVisible()));
    await agg.stop();
    const stoppedAt = Date.now();
    const notice = byTestId(page, "unreachable");
    await notice.waitFor({ state: "visible", timeout: WITHIN_REFRESH });
    assert.ok(Date.now() - stoppedAt <= WITHIN_REFRESH);
    const text = (await notice.textContent()) ?? "";
    assert.match(text, /aggregator unreachable since \d\d:\d\d:\d\d/i);
    assert.match(text, /showing the data from \d\d:\d\d:\d\d/);

    // The last good data is still there.
    assert.equal(await byTestId(page, "failure").count(), 1);
    assert.equal(await byTestId(page, "failure").locator('[data-testid="fix"]').textContent(), FIX);
    assert.match((await byTestId(page, "summary").textContent()) ?? "", /1 open failure/);
    assert.equal(await byTestId(page, "quota-source").count(), 1);
    assert.equal(await page.locator('[data-testid="node"]').count(), 3);

    // And it recovers by itself when the aggregator is back.
    const views = seeded();
    views.failures = [];
    agg.views = views;
    await agg.start();
    await notice.waitFor({ state: "hidden", timeout: WITHIN_REFRESH });
    await page.getByText("No image pull failures").waitFor({ timeout: 2000 });
  } finally {
    await dash.close();
    await agg.stop();
  }
});

test("views wrapped in envelopes render the same", async () => {
  const agg = await cannedAggregator(enveloped(seeded()));
  const dash = await openDashboard(agg.url);
  try {
    const { page } = dash;
    assert.deepEqual(dash.problems, []);
    assert.equal(await byTestId(page, "failure").locator('[data-testid="cause"]').textContent(), "not-found");
    assert.equal(await byTestId(page, "failure").locator('[data-testid="fix"]').textContent(), FIX);
    assert.equal(await page.locator('[data-testid="node"]').count(), 3);
    assert.match((await byTestId(page, "section-disks").textContent()) ?? "", /91 %/);
    assert.match((await byTestId(page, "runtime-problem").textContent()) ?? "", /node-a/);
  } finally {
    await dash.close();
    await agg.stop();
  }
});

test("before any agent reports, the page says so and every view has an empty state", async () => {
  const now = Date.now();
  const agg = await cannedAggregator({
    nodes: { nodes: [], generatedAt: now },
    failures: [],
    registries: { registries: [], nodes: [], cells: [], summary: [], generatedAt: now },
    quota: { sources: [], unknown: [], generatedAt: now },
    disks: [],
    coverage: { images: [], nodes: [], cells: [], complete: [], generatedAt: now },
  });
  const dash = await openDashboard(agg.url);
  try {
    const { page } = dash;
    assert.deepEqual(dash.problems, []);
    assert.match((await byTestId(page, "no-nodes").textContent()) ?? "", /no agent has reported yet/i);
    assert.ok(await byTestId(page, "no-nodes").isVisible());
    assert.ok(!(await byTestId(page, "runtime-problem").isVisible()));
    assert.match((await byTestId(page, "summary").textContent()) ?? "", /0 connected.*0 stale.*0 nodes total.*0 open failures/);
    const expected: Record<string, RegExp> = {
      "section-failures": /No image pull failures/,
      "section-registries": /No registry probed yet/,
      "section-quota": /No Docker Hub quota observed yet/,
      "section-disks": /No disk reported yet/,
      "section-coverage": /No critical images configured/,
      "section-nodes": /No agent has reported yet/,
    };
    for (const [id, re] of Object.entries(expected)) assert.match((await byTestId(page, id).textContent()) ?? "", re, id);
  } finally {
    await dash.close();
    await agg.stop();
  }
});

/** The six views of a cluster of `n` nodes, in the aggregator's shapes, built by its own view functions. */
async function largeCluster(n: number, now: number): Promise<Views> {
  const { coverageView, disksView, failuresView, nodesView, quotaView, registriesView } = await import("../../aggregator/views/index.js");
  const state = await largeClusterState(n, now);
  const nodes = state.nodes();
  return {
    nodes: { generatedAt: now, nodes: nodesView(nodes, now, state) },
    failures: { generatedAt: now, failures: failuresView(nodes, now) },
    registries: { generatedAt: now, ...registriesView(nodes, now) },
    quota: { generatedAt: now, ...quotaView(nodes, now) },
    disks: { generatedAt: now, disks: disksView(nodes, now) },
    coverage: { generatedAt: now, ...coverageView(nodes, now) },
  };
}

/** The live state of a cluster of `n` nodes: 10 % with a failing pod, half failing to reach one registry. */
async function largeClusterState(n: number, now: number) {
  const { ClusterState } = await import("../../aggregator/cluster-state.js");
  const { normalizeReport } = await import("../../aggregator/store/index.js");
  const state = new ClusterState();
  for (let i = 0; i < n; i++) {
    const node = `ip-10-0-${Math.floor(i / 250)}-${i % 250}.eu-west-1.compute.internal`;
    state.hello({ node, agentVersion: "0.1.0", bootId: "b", reportIntervalSeconds: 30, protocol: "pullmedic.v1" }, now);
    const internalDown = i % 2 === 0;
    state.report(
      node,
      normalizeReport({
        observedAtMs: now,
        runtime: "containerd 1.7.24",
        disks: [{ mountpoint: "/var/lib/containerd", capacityBytes: 1e11, availableBytes: 5e10, usedPercent: i === 1234 ? 99 : 40 + (i % 40) }],
        registries: ["docker.io", "ghcr.io", "quay.io", "internal.example:5000"].map((r) => ({
          registry: r,
          ok: r !== "internal.example:5000" || !internalDown,
          failingStep: r === "internal.example:5000" && internalDown ? "tcp" : "",
          error: r === "internal.example:5000" && internalDown ? "tcp 10.0.0.5:5000: connection refused" : "",
          latencyMs: 10,
        })),
        quota: [{ source: `198.51.100.${i % 20}`, limit: 100, remaining: 50, windowSeconds: 21600, observedAtMs: now }],
        prepull: Array.from({ length: 8 }, (_, k) => ({
          image: `ghcr.io/acme/base-${k}:1`,
          state: k === 3 && i % 3 === 0 ? "failed" : "present",
          cause: k === 3 && i % 3 === 0 ? "not-found" : "",
        })),
        failures:
          i % 10 === 0
            ? [
                {
                  pod: `shop/web-${i}`,
                  container: "web",
                  image: `ghcr.io/acme/app-${i % 400}:1`,
                  registry: "ghcr.io",
                  reason: "ImagePullBackOff",
                  cause: "not-found",
                  summary: "no such tag",
                  fix: ["kubectl -n shop rollout undo deploy/web"],
                  sinceMs: now - 60_000,
                  impact: 1,
                  note: "",
                },
              ]
            : [],
        checkErrors: i === 4321 ? { probes: "internal.example:5000: tcp" } : {},
      }),
      now,
    );
  }
  return state;
}

/** Serves the aggregator's own API views over `state` (paged as the aggregator pages them), and the dashboard's files. */
async function apiAggregator(state: Awaited<ReturnType<typeof largeClusterState>>, now: number): Promise<Canned & { answered: Map<string, number> }> {
  const { VIEWS } = await import("../../aggregator/views/index.js");
  const canned = await cannedAggregator({} as Views);
  const answered = new Map<string, number>();
  const store = { latestCommands: async () => [], findingsPage: async () => ({ findings: [], total: 0 }) };
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://x");
    const view = VIEWS.find((v) => v.path === url.pathname);
    if (!view) {
      // The dashboard's files, from the canned server.
      const file = await fetch(new URL(url.pathname, canned.url));
      res.writeHead(file.status, { "content-type": file.headers.get("content-type") ?? "" }).end(Buffer.from(await file.arrayBuffer()));
      return;
    }
    const body = JSON.stringify({ generatedAt: now, ...(await view.compute({ state, store, now, options: {} }, url.searchParams)) });
    answered.set(url.pathname, Math.max(answered.get(url.pathname) ?? 0, body.length));
    res.writeHead(200, { "content-type": "application/json" }).end(body);
  };
  const server = createServer((req, res) => void handler(req, res));
  const port = await listenOnLoopback(server);
  return {
    ...canned,
    url: `http://127.0.0.1:${port}/`,
    answered,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await canned.stop();
    },
  };
}

test("a 5,000-node cluster: every section draws a bounded page, problems first, with counts of what is not listed", async () => {
  const now = Date.now();
  const agg = await cannedAggregator(await largeCluster(5000, now));
  const dash = await openDashboard(agg.url);
  try {
    const { page } = dash;
    assert.deepEqual(dash.problems, []);
    // A page of a quarter million elements takes seconds to redraw, every refresh, whenever a
    // node's last-seen time moves: the laptop's tab freezes. What cannot be read is not drawn.
    const elements = await page.evaluate(() => document.querySelectorAll("*").length);
    assert.ok(elements < 40_000, `${elements} elements`);
    const disks = (await byTestId(page, "section-disks").textContent()) ?? "";
    assert.ok(disks.includes("ip-10-0-4-234.eu-west-1.compute.internal"), "the fullest disk (99 %) is shown");
    assert.match(disks, /and \d[\d,]* more nodes/);
    const nodesSection = (await byTestId(page, "section-nodes").textContent()) ?? "";
    // 501 nodes need attention (500 with failing pods, one with a check error): they come first.
    assert.match(nodesSection, /and 4900 more nodes \(401 needing attention\)/);
    assert.match((await page.locator('[data-testid="node"]').first().textContent()) ?? "", /ip-10-0-\d+-\d+.*[1-9]/);
    const registries = (await byTestId(page, "section-registries").textContent()) ?? "";
    assert.match(registries, /internal\.example:5000 — nodes ok: 2500 \/ 5000/, "the per-registry totals cover every node");
    assert.match(registries, /and \d[\d,]* more/);
    const coverage = (await byTestId(page, "section-coverage").textContent()) ?? "";
    assert.match(coverage, /and \d[\d,]* more/);
    assert.match((await byTestId(page, "summary").textContent()) ?? "", /5000 connected.*5000 nodes total/);
  } finally {
    await dash.close();
    await agg.stop();
  }
});

test("fed by the aggregator's paged answers, a 5,000-node cluster shows the same counts, and no answer grows with the cluster", async () => {
  const now = Date.now();
  const agg = await apiAggregator(await largeClusterState(5000, now), now);
  const dash = await openDashboard(agg.url);
  try {
    const { page } = dash;
    assert.deepEqual(dash.problems, []);
    for (const [path, bytes] of agg.answered) assert.ok(bytes < 512 * 1024, `${path}: ${bytes} bytes for 5,000 nodes`);
    // One paged answer per section: nodes, failures, pulls, registries, quota, disks, coverage.
    assert.equal(agg.answered.size, 7, [...agg.answered.keys()].join(", "));
    assert.match((await byTestId(page, "summary").textContent()) ?? "", /5000 connected.*5000 nodes total.*40 open failures \(500 pods\)/);
    assert.match((await byTestId(page, "section-nodes").textContent()) ?? "", /and 4900 more nodes \(401 needing attention\)/);
    const registries = (await byTestId(page, "section-registries").textContent()) ?? "";
    assert.match(registries, /internal\.example:5000 — nodes ok: 2500 \/ 5000/);
    assert.match(registries, /and 4900 more nodes \(2400 with a problem\)/);
    assert.match((await byTestId(page, "section-disks").textContent()) ?? "", /ip-10-0-4-234\.eu-west-1\.compute\.internal.*and 4900 more nodes/);
  } finally {
    await dash.close();
    await agg.stop();
  }
});

test("critical images but no node at all: coverage says nothing is known, not that every image is everywhere", async () => {
  const now = Date.now();
  const agg = await cannedAggregator({
    nodes: { nodes: [], generatedAt: now },
    failures: [],
    registries: { registries: [], nodes: [], cells: [], summary: [], generatedAt: now },
    quota: { sources: [], unknown: [], generatedAt: now },
    disks: [],
    coverage: { images: ["nginx:1.27"], nodes: [], cells: [], complete: [{ image: "nginx:1.27", presentOn: 0, of: 0, unknownOn: 0 }], generatedAt: now },
  });
  const dash = await openDashboard(agg.url);
  try {
    const coverage = (await byTestId(dash.page, "section-coverage").textContent()) ?? "";
    assert.doesNotMatch(coverage, /Every critical image is present/);
    assert.match(coverage, /no node/i);
    assert.deepEqual(dash.problems, []);
  } finally {
    await dash.close();
    await agg.stop();
  }
});

test("Pulls in flight: one row per node and image with its pods, percent, rate and ETA; stalled pulls first with why", async () => {
  const now = Date.now();
  const pull = (over: Record<string, unknown>) => ({
    image: "registry.example/shop/big:2",
    registry: "registry.example",
    node: "node-a",
    pods: ["shop/big-0", "shop/big-1"],
    podCount: 2,
    percent: 42,
    bytesDone: 12 * 2 ** 20,
    bytesTotal: 29 * 2 ** 20,
    layersDone: 2,
    layersTotal: 4,
    bytesPerSecond: 2 * 2 ** 20,
    etaSeconds: 9,
    startedMs: now - 6000,
    stalled: false,
    idleSeconds: 0,
    summary: "",
    fix: [],
    stale: false,
    ...over,
  });
  const stalled = pull({
    node: "node-b",
    pods: ["shop/big-2"],
    podCount: 1,
    percent: 10,
    bytesPerSecond: 0,
    etaSeconds: null,
    stalled: true,
    idleSeconds: 95,
    summary: "the pull of registry.example/shop/big:2 from registry.example is stalled: no bytes for 1 min 35 s",
  });
  const agg = await cannedAggregator({ ...seeded(now), pulls: { pulls: [stalled, pull({})], stalled: 1, generatedAt: now } });
  const dash = await openDashboard(agg.url);
  try {
    const { page } = dash;
    assert.deepEqual(dash.problems, [], "no console errors, page errors or failed requests");
    assert.ok(agg.requests.includes("/api/v1/pulls"), "the page fetched /api/v1/pulls");
    assert.equal(await page.locator("#h-pulls").textContent(), "Pulls in flight (2)");
    const rows = await page.locator('[data-testid="pull-row"]').allTextContents();
    assert.equal(rows.length, 2);
    assert.match(rows[0] ?? "", /node-b.*shop\/big-2.*10 %.*stalled nothing for 1 min 35 s.*no bytes for 1 min 35 s/);
    assert.match(
      rows[1] ?? "",
      /registry\.example\/shop\/big:2.*node-a.*shop\/big-0, shop\/big-1.*42 %.*12\.0 MiB of 29\.0 MiB, 2\/4 layers.*2\.0 MiB\/s.*9 s/,
    );
  } finally {
    await dash.close();
    await agg.stop();
  }
});
