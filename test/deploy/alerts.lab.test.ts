// The alerts with Prometheus' own tool (Debian's `prometheus` package ships promtool): the plain
// rules file and the chart's PrometheusRule pass `promtool check rules`, and the unit tests of
// test/deploy/alerts/ pass `promtool test rules`, in which every alert fires on the series that
// should fire it and stays quiet on the near miss beside it. Each alert names its cause and links
// its runbook, and reads only series the agent or the aggregator exports.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { chartDir, helmTemplate } from "./chart.js";
import { find, parseDocuments, repoRoot } from "./manifest.js";

const PROMTOOL = "/usr/bin/promtool";
const rulesFile = join(chartDir, "files", "pullmedic.rules.yaml");
const testsFile = join(repoRoot, "test", "deploy", "alerts", "pullmedic.rules.test.yaml");
const dir = mkdtempSync(join(tmpdir(), "pm-alerts-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Rule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
const rules = (parseYaml(readFileSync(rulesFile, "utf8")) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

function promtool(...args: string[]): { status: number | null; out: string } {
  assert.ok(existsSync(PROMTOOL), "promtool comes with Debian's prometheus package: apt-get install -y prometheus");
  const r = spawnSync(PROMTOOL, args, { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test("promtool check rules: the plain rules file and the chart's PrometheusRule", () => {
  const plain = promtool("check", "rules", rulesFile);
  assert.equal(plain.status, 0, plain.out);
  assert.match(plain.out, new RegExp(`SUCCESS: ${rules.length} rules found`));
  const docs = parseDocuments(helmTemplate(4, { values: { monitoring: { prometheusRule: { enabled: true } } } }));
  const spec = find(docs, "PrometheusRule", "pullmedic")["spec"];
  writeFileSync(join(dir, "from-chart.yaml"), stringify(spec));
  const chart = promtool("check", "rules", join(dir, "from-chart.yaml"));
  assert.equal(chart.status, 0, chart.out);
});

test("promtool test rules: every alert fires on its series and stays quiet on the near miss", () => {
  const r = promtool("test", "rules", testsFile);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS/);
  const tests = (parseYaml(readFileSync(testsFile, "utf8")) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] }).tests;
  const fired = new Set(tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
  assert.deepEqual([...fired].sort(), rules.map((r) => r.alert).sort(), "each alert has a case where it fires");
});

test("the alerts the issue asks for are all there", () => {
  assert.deepEqual(rules.map((r) => r.alert).sort(), [
    "PullmedicAgentDown",
    "PullmedicAgentNotReady",
    "PullmedicAgentNotReporting",
    "PullmedicAggregatorDown",
    "PullmedicDockerHubQuotaLow",
    "PullmedicImageFilesystemPressure",
    "PullmedicNodesStale",
    "PullmedicPrepullFailing",
    "PullmedicPullStalled",
    "PullmedicPullsFailing",
    "PullmedicRegistryCertificateExpired",
    "PullmedicRegistryCertificateExpiring",
    "PullmedicRegistryUnreachableFromAllNodes",
    "PullmedicRegistryUnreachableFromSomeNodes",
  ]);
});

test("each alert has a severity, a summary and a runbook in docs/runbooks that says what it means and what to run", () => {
  const runbooks = new Set(readdirSync(join(repoRoot, "docs", "runbooks")));
  for (const r of rules) {
    assert.match(r.labels.severity ?? "", /^(warning|critical)$/, r.alert);
    assert.ok((r.annotations.summary ?? "").length > 30, `${r.alert} has a summary`);
    assert.equal(r.annotations.runbook_url, `https://github.com/pullmedic/pullmedic/blob/main/docs/runbooks/${r.alert}.md`);
    assert.ok(runbooks.has(`${r.alert}.md`), `docs/runbooks/${r.alert}.md exists`);
    const page = readFileSync(join(repoRoot, "docs", "runbooks", `${r.alert}.md`), "utf8");
    assert.match(page, new RegExp(`^# ${r.alert}`));
    assert.match(page, /## What it means[\s\S]+## What to run\n\n```sh/);
  }
});

test("the alerts read only series the agent and the aggregator export", () => {
  const sources = [
    ...readdirSync(join(repoRoot, "agent", "report", "metrics")).map((f) => readFileSync(join(repoRoot, "agent", "report", "metrics", f), "utf8")),
    readFileSync(join(repoRoot, "aggregator", "metrics.ts"), "utf8"),
  ].join("\n");
  for (const r of rules) {
    for (const name of r.expr.match(/pullmedic_[a-z_]+/g) ?? []) assert.ok(sources.includes(`"${name}"`), `${r.alert} reads ${name}, which nothing exports`);
  }
});
