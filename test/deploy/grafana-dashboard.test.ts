// files/grafana-dashboard.json against Grafana's published dashboard schema: @grafana/schema
// (Grafana's own package, generated from its schema definitions) ships it as TypeScript types, so
// the JSON is type-checked as an object literal, which refuses unknown fields as well as wrong
// types. Grafana's enums are compared by their string values, as a JSON file holds them.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { chartDir } from "./chart.js";
import { repoRoot } from "./manifest.js";

const dashboardText = readFileSync(join(chartDir, "files", "grafana-dashboard.json"), "utf8");
// Under node_modules, so the check resolves @grafana/schema the way the project does.
const checkDir = join(repoRoot, "node_modules", ".cache", "pullmedic-dashboard-check");

function typeCheck(json: string): string {
  mkdirSync(checkDir, { recursive: true });
  const file = join(checkDir, `dashboard-${process.pid}.ts`);
  writeFileSync(
    file,
    [
      'import type { Dashboard } from "@grafana/schema";',
      "/** A Grafana type as JSON holds it: enums as their string values. */",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: this line is TypeScript source written to a file, where ${T} is a template literal type
      "type AsJson<T> = T extends string ? `${T}` : T extends readonly (infer U)[] ? AsJson<U>[] : T extends object ? { [K in keyof T]: AsJson<T[K]> } : T;",
      `export const dashboard = (${json}) satisfies AsJson<Dashboard>;`,
      "",
    ].join("\n"),
  );
  const tsc = join(repoRoot, "node_modules", ".bin", "tsc");
  const args = [
    "--ignoreConfig",
    "--noEmit",
    "--strict",
    "--module",
    "nodenext",
    "--moduleResolution",
    "nodenext",
    "--target",
    "es2022",
    "--skipLibCheck",
    file,
  ];
  const r = spawnSync(tsc, args, { encoding: "utf8" });
  return `${r.stdout}${r.stderr}`.replaceAll(file, "dashboard.json").trim();
}

test("the dashboard is a Grafana dashboard by Grafana's own schema (@grafana/schema)", () => {
  assert.equal(typeCheck(dashboardText), "");
});

test("the check refuses a misspelled field and a wrong type", () => {
  const bad = JSON.parse(dashboardText) as { panels: Record<string, unknown>[]; refresh: unknown };
  (bad.panels[1] as Record<string, unknown>)["gridPoss"] = { x: 0, y: 0, w: 1, h: 1 };
  bad.refresh = 30;
  const out = typeCheck(JSON.stringify(bad));
  assert.match(out, /gridPoss/);
  assert.match(out, /refresh|number/);
});

test("the dashboard has the panels and variables the issue asks for", () => {
  const d = JSON.parse(dashboardText) as { panels: { title: string }[]; templating: { list: { name: string }[] } };
  const titles = d.panels.map((p) => p.title);
  for (const t of [
    "Failures over time by cause",
    "Containers failing to pull",
    "Registry reachability per node",
    "Certificate days left",
    "Docker Hub quota remaining per source",
    "Image filesystem per node",
    "Prune freed bytes",
    "Pre-pull coverage",
    "Pulls in flight and stalled",
    "Pull download rate",
  ])
    assert.ok(titles.includes(t), `panel ${t}`);
  assert.deepEqual(
    d.templating.list.map((v) => v.name),
    ["datasource", "node", "registry"],
  );
});
