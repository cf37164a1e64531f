// pullmedic dashboard: fetches the aggregator's JSON views every few seconds and draws them.
// Plain browser JavaScript, no build step. Everything from the cluster (cause labels, image and
// pod names, error messages) reaches the page through textContent or setAttribute only.
"use strict";

(() => {
  const REFRESH_MS = 5000;
  const FETCH_TIMEOUT_MS = 4000;
  /** Above this many nodes a registry × node or image × node matrix is drawn with nodes as rows. */
  const WIDE_MATRIX_NODES = 8;
  const POD_PREVIEW = 4;
  const NODE_PREVIEW = 6;
  // A big cluster's views hold a row per node: drawn whole, 5,000 nodes make a quarter million
  // elements that take seconds to redraw on every refresh, freezing the tab. Tables show the rows
  // that matter first (problems, fullest disks) up to these counts and say how many are left out;
  // the API has them all.
  const MAX_ROWS = 100;
  const MAX_ITEMS = 50;
  const MAX_CARDS = 100;

  const ENDPOINTS = {
    nodes: "api/v1/nodes",
    failures: "api/v1/failures",
    pulls: "api/v1/pulls",
    registries: "api/v1/registries",
    quota: "api/v1/quota",
    disks: "api/v1/disks",
    coverage: "api/v1/coverage",
  };
  // The API answers a page of each list with the totals of all of it: the page asks for what it
  // draws (problems first), so neither the answer nor the page grows with the cluster.
  const PAGES = {
    nodes: `?limit=${MAX_ROWS}&order=attention`,
    failures: `?limit=${MAX_CARDS}`,
    registries: `?limit=${MAX_ROWS}&order=attention`,
    quota: `?limit=${MAX_ROWS}`,
    disks: `?limit=${MAX_ROWS}`,
    coverage: `?limit=${MAX_ROWS}&order=attention`,
  };

  /** Last good body per endpoint; kept when a later fetch fails. */
  const data = {};
  /** Per endpoint: an HTTP error that does not mean the aggregator is down (404, 500…). */
  const sectionErrors = {};
  /** What each section was last drawn from, so an unchanged section keeps its DOM (and selection). */
  const drawn = {};
  let clockSkewMs = 0;
  let lastGoodAt = 0;
  let downSince = 0;
  let downReason = "";
  let refreshCount = 0;
  let timer = 0;
  let inFlight = false;

  // ---------------------------------------------------------------- small helpers

  /** Builds an element; string children become text nodes, never markup. */
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === "class") el.className = v;
        else if (k === "text") el.textContent = String(v);
        else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? "" : String(v));
      }
    }
    add(el, kids);
    return el;
  }

  function add(el, kids) {
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : String(kid));
    }
    return el;
  }

  const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

  /** An array from either a bare array or an envelope holding one (preferring the named fields). */
  function list(body, ...keys) {
    if (Array.isArray(body)) return body;
    if (!isObj(body)) return [];
    for (const k of keys) if (Array.isArray(body[k])) return body[k];
    const arrays = Object.values(body).filter(Array.isArray);
    return arrays.length === 1 ? arrays[0] : [];
  }

  /** The object of an endpoint that answers with one; a bare array is taken as its `key` field. */
  function record(body, key) {
    if (isObj(body)) {
      // { quota: { sources: [...] } } style envelopes: one object field and nothing else useful.
      const inner = Object.entries(body).filter(([k, v]) => k !== "generatedAt" && isObj(v));
      if (inner.length === 1 && !Object.values(body).some(Array.isArray)) return inner[0][1];
      return body;
    }
    return Array.isArray(body) ? { [key]: body } : {};
  }

  /** How many the whole list holds: the answer's total when it is a page, else what it listed. */
  function totalOf(body, listed) {
    const t = isObj(body) ? num(body.total) : null;
    return t !== null && t >= listed ? t : listed;
  }

  function text(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    if (Array.isArray(v)) return v.map(text).filter(Boolean).join(", ");
    if (isObj(v)) {
      for (const k of ["name", "message", "reason", "endpoint"])
        if (typeof v[k] === "string" && v[k]) {
          const extra = typeof v.version === "string" && v.version ? ` ${v.version}` : "";
          return v[k] + extra;
        }
      return Object.entries(v)
        .map(([k, x]) => `${k}: ${text(x)}`)
        .join(", ");
    }
    return String(v);
  }

  const strings = (v) => (Array.isArray(v) ? v : v === null || v === undefined || v === "" ? [] : [v]).map(text).filter(Boolean);
  const num = (v) =>
    typeof v === "number" && Number.isFinite(v) ? v : typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : null;
  const nodeName = (o) => text(o?.node ?? o?.name ?? o?.nodeName);

  function unique(values) {
    const seen = new Set();
    const out = [];
    for (const v of values) {
      if (v && !seen.has(v)) {
        seen.add(v);
        out.push(v);
      }
    }
    return out;
  }

  const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const nowMs = () => Date.now() + clockSkewMs;
  const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });

  function relative(ms) {
    const d = Math.round((nowMs() - ms) / 1000);
    const ahead = d < 0;
    const s = Math.abs(d);
    let span;
    if (s < 10) return "just now";
    if (s < 60) span = `${s} s`;
    else if (s < 3600) span = `${Math.floor(s / 60)} min`;
    else if (s < 86400) span = `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    else span = `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
    return ahead ? `in ${span}` : `${span} ago`;
  }

  /** A <time> whose relative text is refreshed on every round without redrawing its section. */
  function when(ms, empty = "never") {
    const t = num(ms);
    if (t === null || t <= 0) return h("span", { class: "muted" }, empty);
    const d = new Date(t);
    return h("time", { datetime: d.toISOString(), title: d.toLocaleString(), "data-ms": t }, relative(t));
  }

  function updateTimes() {
    for (const el of document.querySelectorAll("time[data-ms]")) {
      const t = Number(el.getAttribute("data-ms"));
      const r = relative(t);
      if (el.textContent !== r) el.textContent = r;
    }
  }

  function duration(seconds) {
    const s = num(seconds);
    if (s === null) return "—";
    if (s % 86400 === 0 && s >= 86400) return plural(s / 86400, "day");
    if (s % 3600 === 0 && s >= 3600) return `${s / 3600} h`;
    if (s % 60 === 0 && s >= 60) return `${s / 60} min`;
    return `${s} s`;
  }

  function bytes(n) {
    const v = num(n);
    if (v === null || v < 0) return "—";
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let x = v;
    let i = 0;
    while (x >= 1024 && i < units.length - 1) {
      x /= 1024;
      i++;
    }
    return `${x.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
  }

  function count(n) {
    const v = num(n);
    if (v === null) return "—";
    if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
    if (v >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
    return String(v);
  }

  const badge = (label, kind, props = {}) => h("span", { class: `badge badge-${kind}`, ...props }, label);
  const empty = (message) => h("p", { class: "empty" }, message);

  /** "a, b, c and 4 more" with the names as code spans; `total` counts names the view did not list. */
  function preview(names, max, total = names.length) {
    const shown = names.slice(0, max);
    const parts = [];
    shown.forEach((n, i) => {
      if (i > 0) parts.push(", ");
      parts.push(h("span", { class: "mono" }, n));
    });
    if (total > shown.length) parts.push(` and ${total - shown.length} more`);
    return parts;
  }

  /** A line saying what a capped list leaves out, and where all of it is. */
  function moreLine(tag, hidden, what, api, extra = "") {
    if (hidden <= 0) return null;
    return h(tag, { class: "muted more" }, `and ${hidden} more ${what}${extra} — all of them: `, h("a", { href: api }, api));
  }

  function scroller(table) {
    return h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": table.getAttribute("aria-label") || "table" }, table);
  }

  // ---------------------------------------------------------------- copy to clipboard

  async function copy(textToCopy, button, source) {
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(textToCopy);
        ok = true;
      }
    } catch {
      ok = false;
    }
    if (!ok) {
      // Plain-HTTP pages have no clipboard API: select the command so Ctrl+C copies it.
      const range = document.createRange();
      range.selectNodeContents(source);
      const sel = window.getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
      try {
        ok = document.execCommand("copy");
      } catch {
        ok = false;
      }
    }
    const label = button.getAttribute("data-label") || "Copy";
    button.textContent = ok ? "Copied" : "Selected — press Ctrl+C";
    button.setAttribute("data-copied", ok ? "yes" : "selected");
    setTimeout(() => {
      button.textContent = label;
      button.removeAttribute("data-copied");
    }, 2000);
  }

  function commandBlock(command, what) {
    const code = h("code", { "data-testid": "fix" }, command);
    const button = h("button", { type: "button", class: "copy", "data-label": "Copy", "aria-label": `Copy ${what}` }, "Copy");
    button.addEventListener("click", () => void copy(command, button, code));
    return h("div", { class: "command" }, h("pre", null, code), button);
  }

  // ---------------------------------------------------------------- sections

  function nodesOf(body) {
    return list(body, "nodes", "items").filter(isObj);
  }

  function renderHeader() {
    const nodes = nodesOf(data.nodes);
    const failures = list(data.failures, "failures", "groups").filter(isObj);
    const summary = document.querySelector('[data-testid="summary"]');
    const counts = isObj(data.nodes) && isObj(data.nodes.counts) ? data.nodes.counts : {};
    const nodeTotal = totalOf(data.nodes, nodes.length);
    const stale = num(counts.stale) ?? nodes.filter((n) => n.stale === true).length;
    const connected = num(counts.connected) ?? nodes.filter((n) => n.connected !== false && n.stale !== true).length;
    const failureTotal = totalOf(data.failures, failures.length);
    const pods = (isObj(data.failures) ? num(data.failures.totalPods) : null) ?? failures.reduce((sum, f) => sum + (num(f.podCount) ?? list(f.pods).length), 0);
    const parts = [];
    if (data.nodes !== undefined) {
      parts.push(
        h("span", { class: "stat" }, h("strong", null, String(connected)), " connected"),
        h("span", { class: "stat" }, h("strong", null, String(stale)), " stale"),
        h("span", { class: "stat" }, h("strong", null, String(nodeTotal)), ` ${nodeTotal === 1 ? "node" : "nodes"} total`),
      );
    }
    if (data.failures !== undefined) {
      parts.push(
        h(
          "span",
          { class: `stat${failureTotal ? " stat-bad" : ""}` },
          h("strong", null, String(failureTotal)),
          ` open ${failureTotal === 1 ? "failure" : "failures"}`,
          failureTotal ? ` (${plural(pods, "pod")})` : "",
        ),
      );
    }
    if (lastGoodAt) parts.push(h("span", { class: "stat" }, "last refresh ", h("strong", null, clock(lastGoodAt))));
    if (parts.length) summary.replaceChildren(...parts.flatMap((p, i) => (i ? [h("span", { class: "sep", "aria-hidden": "true" }, " · "), p] : [p])));
    document.title = failureTotal ? `(${failureTotal}) pullmedic` : "pullmedic";

    const noNodes = document.querySelector('[data-testid="no-nodes"]');
    if (data.nodes !== undefined && nodeTotal === 0) {
      noNodes.replaceChildren(
        h("strong", null, "No agent has reported yet."),
        " The views below fill in as soon as the pullmedic agents on the nodes connect to this aggregator.",
      );
      noNodes.hidden = false;
    } else noNodes.hidden = true;

    const banner = document.querySelector('[data-testid="runtime-problem"]');
    const problems = nodes.filter((n) => text(n.runtimeProblem));
    const problemTotal = Math.max(problems.length, num(counts.runtimeProblems) ?? 0);
    if (problems.length) {
      banner.replaceChildren(
        h("strong", null, problemTotal === 1 ? "A node cannot reach its container runtime:" : `${problemTotal} nodes cannot reach their container runtime:`),
        h(
          "ul",
          null,
          problems.slice(0, MAX_ITEMS).map((n) => h("li", null, h("span", { class: "mono" }, nodeName(n)), `: ${text(n.runtimeProblem)}`)),
          moreLine("li", problemTotal - Math.min(problems.length, MAX_ITEMS), "nodes", ENDPOINTS.nodes),
        ),
        h("span", { class: "muted" }, "Their other checks still run; runtime-based views (images, disk, pulls) are missing for them."),
        h(
          "p",
          { class: "muted", "data-testid": "demo-hint" },
          "Trying pullmedic on a machine without a cluster? In a checkout, ",
          h("code", null, "sudo npm run demo"),
          " (Linux, the lab's Debian packages) starts a real containerd and registries with six real pull failures to explore here.",
        ),
      );
      banner.hidden = false;
    } else banner.hidden = true;

    const down = document.querySelector('[data-testid="unreachable"]');
    if (downSince) {
      down.replaceChildren(
        h("strong", null, `Aggregator unreachable since ${clock(downSince)}`),
        lastGoodAt ? ` — showing the data from ${clock(lastGoodAt)}.` : " — no data yet.",
        downReason ? h("span", { class: "muted" }, ` (${downReason}; retrying every ${REFRESH_MS / 1000} s)`) : "",
      );
      down.hidden = false;
    } else down.hidden = true;
  }

  function renderFailures(body) {
    const groups = list(body, "failures", "groups").filter(isObj);
    const total = totalOf(body, groups.length);
    setHeading("failures", "Image pull failures", total);
    if (groups.length === 0) return [empty("No image pull failures")];
    const shown = groups.slice(0, MAX_CARDS);
    return [h("div", { class: "failures" }, shown.map(failureCard)), moreLine("p", total - shown.length, "failure groups", ENDPOINTS.failures)];
  }

  function failureCard(g) {
    const cause = text(g.cause) || "unknown";
    const image = text(g.image);
    const registry = text(g.registry);
    const pods = list(g.pods).filter(isObj);
    const podCount = num(g.podCount) ?? pods.length;
    const nodes = strings(g.nodes).length ? strings(g.nodes) : unique(pods.map(nodeName));
    const nodeCount = num(g.nodeCount) ?? nodes.length;
    const fixes = strings(g.fix);
    const since = num(g.sinceMs) ?? num(g.since) ?? (Date.parse(text(g.since)) || null);
    const staleNodes = strings(g.staleNodes);
    const staleCount = num(g.staleNodeCount) ?? staleNodes.length;
    const pending = cause === "pending";

    const podItems = pods
      .slice(0, POD_PREVIEW)
      .map((p) =>
        h(
          "li",
          null,
          h("span", { class: "mono" }, text(p.pod)),
          text(p.container) ? h("span", { class: "muted" }, ` (${text(p.container)})`) : "",
          " on ",
          h("span", { class: "mono" }, nodeName(p)),
          text(p.reason) ? h("span", { class: "muted" }, ` — ${text(p.reason)}`) : "",
          p.stale === true ? h("span", { class: "muted" }, " (node stale)") : "",
        ),
      );
    const morePods = Math.max(podCount, pods.length) - podItems.length;
    if (morePods > 0) podItems.push(h("li", { class: "muted" }, `and ${plural(morePods, "more pod")}`));

    return h(
      "article",
      { class: "failure", "data-testid": "failure", "data-cause": cause },
      h(
        "div",
        { class: "failure-head" },
        badge(cause, "cause", { "data-testid": "cause", title: "cause" }),
        h("h3", { class: "image mono", "data-testid": "image" }, image || "(image unknown)"),
      ),
      h(
        "dl",
        { class: "facts" },
        registry ? [h("dt", null, "Registry"), h("dd", { class: "mono" }, registry)] : null,
        h("dt", null, "Affected"),
        h(
          "dd",
          { "data-testid": "affected" },
          `${plural(podCount, "pod")} on ${plural(nodeCount, "node")}`,
          nodes.length ? [": ", preview(nodes, NODE_PREVIEW, nodeCount)] : "",
        ),
        h("dt", null, "Since"),
        h("dd", null, when(since, "unknown")),
        staleCount > 0
          ? [
              h("dt", null, "Stale"),
              h(
                "dd",
                null,
                `${plural(staleCount, "node")} not heard from lately, their part may be out of date: `,
                preview(staleNodes, NODE_PREVIEW, staleCount),
              ),
            ]
          : null,
      ),
      text(g.summary) ? h("p", { class: "failure-summary" }, text(g.summary)) : null,
      podItems.length ? h("ul", { class: "pods", "aria-label": "affected pods" }, podItems) : null,
      pending
        ? h("p", { class: "muted" }, "The agent is still diagnosing this pull; the cause and fix follow in its next report.")
        : fixes.length
          ? h(
              "div",
              { class: "fix" },
              h("h4", null, fixes.length === 1 ? "Fix" : "Fix (in order)"),
              fixes.map((f, i) => commandBlock(f, fixes.length === 1 ? "fix command" : `fix command ${i + 1}`)),
            )
          : h("p", { class: "muted" }, "No fix command known for this cause."),
    );
  }

  /**
   * A matrix of rows × node columns (or nodes × columns when there are many nodes), each cell a
   * short status text with a symbol, so nothing is told by colour alone.
   */
  function matrix({ label, rowLabel, rows, nodes, cell, isBad, extra, api, nodeTotal = nodes.length, badTotal = null, rowTotal = rows.length }) {
    const transpose = nodeTotal > WIDE_MATRIX_NODES && rows.length <= nodeTotal;
    // With nodes as rows, the nodes with a problem come first so they are not lost in a long list.
    const bad = transpose ? new Set(nodes.filter((n) => rows.some((r) => isBad(r, n)))) : new Set();
    const all = transpose ? [...nodes.filter((n) => bad.has(n)), ...nodes.filter((n) => !bad.has(n))] : rows;
    const outer = all.slice(0, MAX_ROWS);
    // What the page left out (the API's totals) counts as hidden too.
    const hiddenCount = all.length - outer.length + Math.max(0, (transpose ? nodeTotal : rowTotal) - all.length);
    const shownBad = outer.filter((n) => bad.has(n)).length;
    const hiddenBad = transpose ? Math.max(0, (badTotal ?? bad.size) - shownBad) : 0;
    const inner = transpose ? rows : nodes;
    const head = h(
      "tr",
      null,
      h("th", { scope: "col" }, transpose ? "Node" : rowLabel),
      inner.map((c) => h("th", { scope: "col", class: "mono" }, c)),
      extra && !transpose ? h("th", { scope: "col" }, extra.label) : null,
    );
    const body = outer.map((r) =>
      h(
        "tr",
        null,
        h("th", { scope: "row", class: "mono" }, r),
        inner.map((c) => cell(transpose ? c : r, transpose ? r : c)),
        extra && !transpose ? h("td", null, extra.value(r)) : null,
      ),
    );
    if (hiddenCount > 0) {
      const what = transpose ? (hiddenCount === 1 ? "node" : "nodes") : `${rowLabel.toLowerCase()} rows`;
      const note = transpose ? (hiddenBad ? ` (${hiddenBad} with a problem)` : ", none with a problem") : "";
      body.push(h("tr", null, h("td", { colspan: inner.length + 1 + (extra && !transpose ? 1 : 0) }, moreLine("span", hiddenCount, what, api, note))));
    }
    const table = scroller(h("table", { class: "matrix", "aria-label": label }, h("thead", null, head), h("tbody", null, body)));
    if (!transpose || !extra) return table;
    // Nodes as rows leave no column for the per-row totals: they go in a line above.
    const totals = h(
      "ul",
      { class: "totals" },
      rows.map((r) => h("li", null, h("span", { class: "mono" }, r), ` — ${extra.label.toLowerCase()}: ${extra.value(r)}`)),
    );
    return h("div", null, totals, table);
  }

  function renderRegistries(body) {
    const r = record(body, "cells");
    const cells = list(r.cells, "cells").filter(isObj);
    const registries = unique([...strings(r.registries), ...cells.map((c) => text(c.registry))]);
    const nodes = unique([...strings(r.nodes), ...cells.map(nodeName)]);
    const byKey = new Map(cells.map((c) => [`${text(c.registry)}\n${nodeName(c)}`, c]));
    const summaries = new Map(
      list(r.summary, "summary")
        .filter(isObj)
        .map((x) => [text(x.registry), x]),
    );
    setHeading("registries", "Registries", registries.length);
    if (registries.length === 0) return [empty("No registry probed yet")];

    const failing = cells.filter((c) => c.ok === false);
    const out = [
      matrix({
        label: "Registry reachability per node",
        rowLabel: "Registry",
        api: ENDPOINTS.registries,
        rows: registries,
        nodes,
        nodeTotal: totalOf(r, nodes.length),
        badTotal: num(r.attentionNodes),
        rowTotal: Math.max(registries.length, num(r.registryCount) ?? 0),
        cell: (registry, node) => {
          const c = byKey.get(`${registry}\n${node}`);
          if (!c) return h("td", { class: "cell cell-none" }, h("span", { "aria-label": "not probed" }, "—"));
          const stale = c.stale === true ? h("span", { class: "muted" }, " (stale)") : "";
          if (c.ok === true) return h("td", { class: "cell cell-ok", title: `${registry} from ${node}: ok` }, "✓ ok", stale);
          const step = text(c.failingStep) || "failing";
          return h("td", { class: "cell cell-bad", title: text(c.error) || step }, `✗ ${step}`, stale);
        },
        isBad: (registry, node) => byKey.get(`${registry}\n${node}`)?.ok === false,
        extra: {
          label: "Nodes ok",
          value: (registry) => {
            const s = summaries.get(registry);
            const okNodes = num(s?.okNodes);
            const failingNodes = num(s?.failingNodes);
            if (okNodes !== null && failingNodes !== null) {
              const stale = num(s.staleNodes) ?? 0;
              return `${okNodes} / ${okNodes + failingNodes}${stale ? ` (+${stale} stale)` : ""}`;
            }
            const mine = cells.filter((c) => text(c.registry) === registry);
            return `${mine.filter((c) => c.ok === true).length} / ${mine.length}`;
          },
        },
      }),
    ];
    if (failing.length) {
      out.push(
        h("h3", { class: "sub" }, "Failing"),
        h(
          "ul",
          { class: "problems" },
          failing
            .slice(0, MAX_ITEMS)
            .map((c) =>
              h(
                "li",
                null,
                h("span", { class: "mono" }, text(c.registry)),
                " from ",
                h("span", { class: "mono" }, nodeName(c)),
                ": ",
                h("strong", null, text(c.failingStep) || "failing"),
                text(c.error) ? ` — ${text(c.error)}` : "",
                c.stale === true ? h("span", { class: "muted" }, " (stale)") : "",
              ),
            ),
          moreLine("li", failing.length - MAX_ITEMS, "failing registry × node pairs", ENDPOINTS.registries),
        ),
      );
    } else out.push(h("p", { class: "ok-line" }, "✓ Every probed registry answers from every node."));
    return out;
  }

  function renderQuota(body) {
    const r = record(body, "sources");
    const sources = list(r.sources, "sources").filter(isObj);
    const unknown = strings(r.unknown);
    const unknownTotal = Math.max(unknown.length, num(r.unknownCount) ?? 0);
    const sourceTotal = totalOf(r, sources.length);
    setHeading("quota", "Docker Hub quota", sourceTotal);
    const rank = (s) => (s.exhausted === true ? 0 : s.low === true ? 1 : s.unlimited === true ? 3 : 2);
    const sorted = [...sources].sort((a, b) => rank(a) - rank(b));
    const out = [];
    if (sorted.length === 0) out.push(empty("No Docker Hub quota observed yet"));
    else {
      out.push(
        scroller(
          h(
            "table",
            { class: "data", "aria-label": "Docker Hub pull quota per egress source" },
            h(
              "thead",
              null,
              h(
                "tr",
                null,
                ["Egress source", "Remaining / limit", "Window", "Nodes sharing it", "Observed", "Status"].map((t) => h("th", { scope: "col" }, t)),
              ),
            ),
            h(
              "tbody",
              null,
              sorted.slice(0, MAX_ROWS).map((s) => {
                const limit = num(s.limit);
                const remaining = num(s.remaining);
                const nodes = strings(s.nodes);
                const nodeCount = Math.max(nodes.length, num(s.nodeCount) ?? 0);
                const unlimited = s.unlimited === true || (limit === 0 && s.exhausted !== true);
                const status =
                  s.exhausted === true ? badge("exhausted", "bad") : s.low === true ? badge("low", "warn") : badge(unlimited ? "unlimited" : "ok", "ok");
                return h(
                  "tr",
                  { class: s.exhausted === true ? "row-bad" : s.low === true ? "row-warn" : null, "data-testid": "quota-source" },
                  h("th", { scope: "row", class: "mono" }, text(s.source) || "(unknown source)"),
                  h(
                    "td",
                    { class: "num" },
                    unlimited ? "no limit" : `${count(remaining)} / ${count(limit)}`,
                    !unlimited && limit && remaining !== null
                      ? h("meter", { min: 0, max: limit, low: limit * 0.2, high: limit * 0.5, optimum: limit, value: remaining, "aria-hidden": "true" })
                      : null,
                  ),
                  h("td", null, unlimited ? "—" : duration(s.windowSeconds)),
                  h("td", null, `${nodeCount}: `, preview(nodes, NODE_PREVIEW, nodeCount)),
                  h(
                    "td",
                    null,
                    when(s.observedAtMs, "—"),
                    s.outdated === true ? h("span", { class: "muted" }, " (older than its window: likely refilled since)") : null,
                  ),
                  h("td", null, status),
                );
              }),
            ),
          ),
        ),
      );
    }
    const moreSources = moreLine("p", sourceTotal - Math.min(sorted.length, MAX_ROWS), "egress sources", ENDPOINTS.quota);
    if (moreSources) out.push(moreSources);
    if (unknown.length) out.push(h("p", { class: "muted" }, "Not yet known for: ", preview(unknown, 12, unknownTotal)));
    return out;
  }

  /** "about 2 min", "12 s": a rough time left or waited, from seconds. */
  function roughly(seconds) {
    const s = num(seconds);
    if (s === null) return "—";
    if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    if (s >= 60) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
    return `${Math.round(s)} s`;
  }

  function renderPulls(body) {
    const pulls = list(body, "pulls").filter(isObj);
    setHeading("pulls", "Pulls in flight", pulls.length);
    if (pulls.length === 0) return [empty("No image pulls in flight")];
    const rows = pulls.slice(0, MAX_ROWS).map((p) => {
      const percent = num(p.percent);
      const stalled = p.stalled === true;
      const pods = list(p.pods).map(text);
      const progress =
        percent === null
          ? h("td", { class: "muted" }, "not readable on this runtime")
          : h(
              "td",
              { class: "num used" },
              `${percent} %`,
              h("span", { class: "bar", "aria-hidden": "true" }, h("span", { style: `width:${Math.max(0, Math.min(100, percent))}%` })),
              h("div", { class: "muted" }, `${bytes(p.bytesDone)} of ${bytes(p.bytesTotal)}, ${text(p.layersDone)}/${text(p.layersTotal)} layers`),
            );
      const state = stalled
        ? h("td", null, badge("stalled", "bad"), ` nothing for ${roughly(p.idleSeconds)}`, p.summary ? h("div", { class: "muted" }, text(p.summary)) : null)
        : h("td", { class: "num" }, `${bytes(p.bytesPerSecond)}/s`);
      return h(
        "tr",
        { class: stalled ? "row-warn" : null, "data-testid": "pull-row" },
        h("th", { scope: "row", class: "mono" }, text(p.image), p.stale === true ? [" ", badge("stale", "muted")] : ""),
        h("td", { class: "mono" }, text(p.node)),
        h("td", null, pods.length ? preview(pods, 3, num(p.podCount) ?? pods.length) : h("span", { class: "muted" }, "none")),
        progress,
        state,
        h("td", { class: "num" }, stalled ? "—" : roughly(p.etaSeconds)),
      );
    });
    return [
      scroller(
        h(
          "table",
          { class: "data", "aria-label": "Image pulls in flight" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ["Image", "Node", "Pods waiting", "Done", "Rate", "ETA"].map((t) => h("th", { scope: "col" }, t)),
            ),
          ),
          h("tbody", null, rows),
        ),
      ),
      moreLine("p", pulls.length - MAX_ROWS, "pulls", ENDPOINTS.pulls),
    ];
  }

  function renderDisks(body) {
    const nodes = list(body, "disks", "nodes", "items").filter(isObj);
    const total = totalOf(body, nodes.length);
    setHeading("disks", "Disk", total);
    if (nodes.length === 0) return [empty("No disk reported yet")];
    const highest = (n) => num(n.highestUsedPercent) ?? Math.max(-1, ...list(n.disks).map((d) => num(d?.usedPercent) ?? -1));
    const sorted = [...nodes].sort((a, b) => highest(b) - highest(a));
    const rows = [];
    for (const n of sorted.slice(0, MAX_ROWS)) {
      const disks = list(n.disks, "disks").filter(isObj);
      const pressure = pressureOf(n.pressure);
      const nodeCell = (span) =>
        h("th", { scope: "row", class: "mono", rowspan: span > 1 ? span : null }, nodeName(n), n.stale === true ? [" ", badge("stale", "muted")] : "");
      const pressureCell = (span) => h("td", { rowspan: span > 1 ? span : null }, pressure);
      if (disks.length === 0) {
        const why = n.reported === false ? "no report yet" : "no filesystem reported";
        rows.push(h("tr", null, nodeCell(1), h("td", { colspan: 5, class: "muted" }, why), pressureCell(1)));
        continue;
      }
      disks.forEach((d, i) => {
        const used = num(d.usedPercent);
        rows.push(
          h(
            "tr",
            { class: used !== null && used >= 85 ? "row-warn" : null },
            i === 0 ? nodeCell(disks.length) : null,
            h("td", { class: "mono" }, text(d.mountpoint)),
            h(
              "td",
              { class: "num used" },
              used === null ? "—" : `${used.toFixed(used % 1 ? 1 : 0)} %`,
              used === null ? null : h("span", { class: "bar", "aria-hidden": "true" }, h("span", { style: `width:${Math.max(0, Math.min(100, used))}%` })),
            ),
            h("td", { class: "num" }, bytes(d.availableBytes)),
            h("td", { class: "num" }, bytes(d.capacityBytes)),
            h("td", { class: "num" }, count(d.inodesFree)),
            i === 0 ? pressureCell(disks.length) : null,
          ),
        );
      });
    }
    return [
      scroller(
        h(
          "table",
          { class: "data", "aria-label": "Image filesystem per node" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ["Node", "Mount", "Used", "Free", "Size", "Inodes free", "Pressure"].map((t) => h("th", { scope: "col" }, t)),
            ),
          ),
          h("tbody", null, rows),
        ),
      ),
      moreLine(
        "p",
        total - Math.min(sorted.length, MAX_ROWS),
        "nodes",
        ENDPOINTS.disks,
        sorted.length > MAX_ROWS ? `, the fullest of them at ${Math.max(0, highest(sorted[MAX_ROWS]))} %` : "",
      ),
    ];
  }

  function pressureOf(p) {
    if (p === true) return badge("pressure", "bad");
    if (p === false || p === null || p === undefined || p === "") return h("span", { class: "muted" }, "none");
    const s = text(p);
    if (/^(none|ok|no|false)$/i.test(s)) return h("span", { class: "muted" }, s);
    return badge(s, /high|pressure|critical|full/i.test(s) ? "bad" : "warn");
  }

  const COVERAGE_SYMBOL = { present: "✓", missing: "–", failed: "✗", pulling: "…", pending: "…", deferred: "⏸", unknown: "?" };

  function renderCoverage(body) {
    const r = record(body, "cells");
    const cells = list(r.cells, "cells").filter(isObj);
    const images = unique([...strings(r.images), ...cells.map((c) => text(c.image))]);
    const nodes = unique([...strings(r.nodes), ...cells.map(nodeName)]);
    const complete = new Map(
      list(r.complete, "complete")
        .filter(isObj)
        .map((c) => [text(c.image), c]),
    );
    const byKey = new Map(cells.map((c) => [`${text(c.image)}\n${nodeName(c)}`, c]));
    setHeading("coverage", "Pre-pull coverage", images.length);
    if (images.length === 0) return [empty("No critical images configured for pre-pull")];
    const problems = cells.filter((c) => text(c.state) !== "present");
    const out = [
      matrix({
        label: "Critical images per node",
        rowLabel: "Critical image",
        api: ENDPOINTS.coverage,
        rows: images,
        nodes,
        nodeTotal: totalOf(r, nodes.length),
        badTotal: num(r.attentionNodes),
        rowTotal: Math.max(images.length, num(r.imageCount) ?? 0),
        cell: (image, node) => {
          const c = byKey.get(`${image}\n${node}`);
          if (!c) return h("td", { class: "cell cell-none" }, h("span", { "aria-label": "no report" }, "—"));
          const state = text(c.state) || "unknown";
          const kind = state === "present" ? "ok" : state === "failed" || state === "missing" ? "bad" : state === "unknown" ? "none" : "warn";
          return h("td", { class: `cell cell-${kind}`, title: text(c.cause) || state }, `${COVERAGE_SYMBOL[state] ?? "•"} ${state}`);
        },
        isBad: (image, node) => {
          const c = byKey.get(`${image}\n${node}`);
          return c !== undefined && text(c.state) !== "present";
        },
        extra: {
          label: "Present on",
          value: (image) => {
            const c = complete.get(image);
            if (c) {
              const unknownOn = num(c.unknownOn) ?? 0;
              return `${num(c.presentOn) ?? 0} / ${num(c.of) ?? nodes.length}${unknownOn ? ` (${unknownOn} unknown)` : ""}`;
            }
            const mine = cells.filter((x) => text(x.image) === image);
            return `${mine.filter((x) => text(x.state) === "present").length} / ${nodes.length}`;
          },
        },
      }),
    ];
    const withCause = problems.filter((c) => text(c.cause));
    if (withCause.length) {
      out.push(
        h("h3", { class: "sub" }, "Not present"),
        h(
          "ul",
          { class: "problems" },
          withCause
            .slice(0, MAX_ITEMS)
            .map((c) =>
              h(
                "li",
                null,
                h("span", { class: "mono" }, text(c.image)),
                " on ",
                h("span", { class: "mono" }, nodeName(c)),
                ": ",
                h("strong", null, text(c.state)),
                ` — ${text(c.cause)}`,
              ),
            ),
          moreLine("li", withCause.length - MAX_ITEMS, "images not present", ENDPOINTS.coverage),
        ),
      );
    } else if (totalOf(r, nodes.length) === 0) out.push(h("p", { class: "muted" }, "No node has reported yet: where these images are is not known."));
    else if (problems.length === 0) out.push(h("p", { class: "ok-line" }, "✓ Every critical image is present on every node."));
    return out;
  }

  /** pullmedic's node conditions (ImageFSPressure, RegistryUnreachable…) are problems when True; Ready is one when not. */
  function conditionIsProblem(c) {
    if (!isObj(c)) return false;
    return text(c.type) === "Ready" ? text(c.status) === "False" : text(c.status) === "True";
  }

  function renderNodes(body) {
    // Nodes that need attention first; otherwise the aggregator's order.
    const attention = (n) =>
      text(n.runtimeProblem) ||
      n.stale === true ||
      n.connected === false ||
      (num(n.failures) ?? 0) > 0 ||
      (isObj(n.checkErrors) && Object.keys(n.checkErrors).length > 0) ||
      list(n.conditions).some(conditionIsProblem)
        ? 0
        : 1;
    const all = [...nodesOf(body)].sort((a, b) => attention(a) - attention(b));
    const nodes = all.slice(0, MAX_ROWS);
    const total = totalOf(body, all.length);
    const counts = isObj(body) && isObj(body.counts) ? body.counts : {};
    const attentionTotal = num(counts.attention) ?? all.filter((n) => attention(n) === 0).length;
    const hiddenAttention = Math.max(0, attentionTotal - nodes.filter((n) => attention(n) === 0).length);
    setHeading("nodes", "Nodes", total);
    if (nodes.length === 0) return [empty("No agent has reported yet")];
    return [
      scroller(
        h(
          "table",
          { class: "data", "aria-label": "Agents per node" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ["Node", "State", "Agent", "Last seen", "Last report", "Runtime", "Failures", "Problems"].map((t) => h("th", { scope: "col" }, t)),
            ),
          ),
          h(
            "tbody",
            null,
            nodes.map((n) => {
              const state = [
                n.stale === true ? badge("stale", "warn") : n.connected === false ? badge("disconnected", "bad") : badge("connected", "ok"),
                n.reported === false ? h("div", { class: "muted" }, "no report yet") : null,
              ];
              const problems = [];
              if (text(n.runtimeProblem)) problems.push(h("li", null, h("strong", null, "runtime: "), text(n.runtimeProblem)));
              if (isObj(n.checkErrors))
                for (const [check, err] of Object.entries(n.checkErrors)) problems.push(h("li", null, h("strong", null, `${check}: `), text(err)));
              for (const c of list(n.conditions).filter(conditionIsProblem)) {
                problems.push(
                  h(
                    "li",
                    null,
                    h("strong", null, `${text(c.type)}`),
                    text(c.reason) ? ` (${text(c.reason)})` : "",
                    text(c.message) ? `: ${text(c.message)}` : "",
                  ),
                );
              }
              const failures = num(n.failures) ?? list(n.failures).length;
              return h(
                "tr",
                { class: n.stale === true || n.connected === false ? "row-warn" : null, "data-testid": "node", "data-node": nodeName(n) },
                h("th", { scope: "row", class: "mono" }, nodeName(n)),
                h("td", null, state),
                h("td", { class: "mono" }, text(n.agentVersion) || "—"),
                h("td", null, when(n.lastSeenMs)),
                h("td", null, when(n.lastReportMs)),
                h(
                  "td",
                  { class: text(n.runtimeProblem) ? "bad-text nowrap" : "nowrap" },
                  text(n.runtime) || (text(n.runtimeProblem) ? "✗ none reachable" : "—"),
                ),
                h("td", { class: "num" }, failures ? h("strong", { class: "bad-text" }, String(failures)) : "0"),
                h("td", null, problems.length ? h("ul", { class: "problems compact" }, problems) : h("span", { class: "muted" }, "none")),
              );
            }),
          ),
        ),
      ),
      moreLine("p", total - nodes.length, "nodes", ENDPOINTS.nodes, hiddenAttention ? ` (${hiddenAttention} needing attention)` : ", none needing attention"),
    ];
  }

  function setHeading(key, title, n) {
    const el = document.getElementById(`h-${key}`);
    const want = n > 0 ? `${title} (${n})` : title;
    if (el && el.textContent !== want) el.textContent = want;
  }

  const SECTIONS = {
    failures: renderFailures,
    pulls: renderPulls,
    registries: renderRegistries,
    quota: renderQuota,
    disks: renderDisks,
    coverage: renderCoverage,
    nodes: renderNodes,
  };

  function withoutTimestamp(body) {
    if (!isObj(body)) return body;
    const { generatedAt: _ignored, ...rest } = body;
    return rest;
  }

  function renderSections() {
    for (const [key, render] of Object.entries(SECTIONS)) {
      const target = document.querySelector(`[data-body="${key}"]`);
      if (!target || data[key] === undefined) continue;
      const signature = JSON.stringify([withoutTimestamp(data[key]), sectionErrors[key] ?? ""]);
      if (drawn[key] === signature) continue;
      drawn[key] = signature;
      let content;
      try {
        content = render(data[key]);
      } catch (err) {
        content = [h("p", { class: "error-line" }, `Could not draw this view: ${err instanceof Error ? err.message : String(err)}`)];
      }
      const note = sectionErrors[key]
        ? h("p", { class: "error-line", role: "status" }, `Could not refresh ${ENDPOINTS[key]}: ${sectionErrors[key]}; showing the last answer.`)
        : null;
      target.replaceChildren(...[note, ...content].filter(Boolean));
    }
    // Endpoints that never answered: say so instead of "Loading…" forever.
    for (const key of Object.keys(SECTIONS)) {
      if (data[key] !== undefined || !sectionErrors[key]) continue;
      const target = document.querySelector(`[data-body="${key}"]`);
      const signature = `error:${sectionErrors[key]}`;
      if (!target || drawn[key] === signature) continue;
      drawn[key] = signature;
      target.replaceChildren(h("p", { class: "error-line" }, `Not available: ${ENDPOINTS[key]} answered ${sectionErrors[key]}.`));
    }
  }

  // ---------------------------------------------------------------- fetching

  async function load(path) {
    const controller = new AbortController();
    const t = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    try {
      const res = await fetch(new URL(path, document.baseURI), { cache: "no-store", headers: { accept: "application/json" }, signal: controller.signal });
      if (!res.ok) {
        const gateway = res.status === 502 || res.status === 503 || res.status === 504;
        return { ok: false, down: gateway, error: `HTTP ${res.status}` };
      }
      return { ok: true, body: await res.json() };
    } catch (err) {
      const aborted = err && err.name === "AbortError";
      if (aborted) return { ok: false, down: true, error: `no answer within ${FETCH_TIMEOUT_MS / 1000} s` };
      if (err instanceof SyntaxError) return { ok: false, down: false, error: "not JSON" };
      return { ok: false, down: true, error: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(t);
    }
  }

  async function refresh() {
    if (inFlight) return;
    inFlight = true;
    clearTimeout(timer);
    const started = Date.now();
    try {
      const results = await Promise.all(Object.entries(ENDPOINTS).map(async ([key, path]) => [key, path, await load(path + (PAGES[key] ?? ""))]));
      let down = "";
      let anyOk = false;
      let generatedAt = null;
      for (const [key, path, r] of results) {
        if (r.ok) {
          anyOk = true;
          data[key] = r.body;
          delete sectionErrors[key];
          const g = isObj(r.body) ? num(r.body.generatedAt) : null;
          if (g !== null) generatedAt = Math.max(generatedAt ?? 0, g);
        } else if (r.down) down = down || `${path}: ${r.error}`;
        else sectionErrors[key] = r.error;
      }
      if (generatedAt !== null) clockSkewMs = generatedAt - Date.now();
      if (down) {
        if (!downSince) downSince = Date.now();
        downReason = down;
      } else {
        downSince = 0;
        downReason = "";
      }
      if (anyOk && !down) lastGoodAt = Date.now();
      refreshCount++;
      renderSections();
      renderHeader();
      updateTimes();
      document.body.setAttribute("data-state", downSince ? "unreachable" : "ready");
      document.body.setAttribute("data-refresh-count", String(refreshCount));
    } finally {
      inFlight = false;
      timer = setTimeout(refresh, Math.max(250, REFRESH_MS - (Date.now() - started)));
    }
  }

  document.querySelector('[data-action="refresh"]')?.addEventListener("click", () => void refresh());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void refresh();
  });
  void refresh();
})();
