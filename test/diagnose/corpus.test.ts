import assert from "node:assert/strict";
import { test } from "node:test";
import { isCause } from "../../agent/diagnose/causes.js";
import { classifyMessage } from "../../agent/diagnose/classify.js";
import { corpusCoverage, formatCoverage, loadCorpus } from "../../agent/diagnose/corpus/index.js";
import { MESSAGE_HINTS } from "../../agent/diagnose/hints.js";
import { MESSAGE_RULES } from "../../agent/diagnose/rules.js";

// The message table (agent/diagnose/corpus/<component>.ts): error strings as the runtimes, kubelet,
// registries and Go's libraries write them, each with the answer explain must give.

const { rows, problems } = loadCorpus();

test("every stored row is well formed", () => {
  assert.deepEqual(problems, []);
  assert.ok(rows.length > 0);
});

test("every row gets its label, its pinned rule, and the right confidence", () => {
  const report = corpusCoverage(rows);
  const failures = [...report.unmatched, ...report.wrong].map((v) => `[${v.row.component}] ${v.problems.join("; ")}\n    ${v.row.message}`);
  assert.equal(failures.length, 0, `${failures.length} of ${rows.length} rows:\n${failures.join("\n")}`);
});

test("every rule is backed by at least one row it decides", () => {
  assert.deepEqual(corpusCoverage(rows).rulesWithoutRow, []);
});

test("every hint (a family without a label) is backed by a row", () => {
  const seen = new Set(rows.filter((r) => r.cause === "unknown").map((r) => classifyMessage(r.message).hint?.id));
  assert.deepEqual(
    MESSAGE_HINTS.map((h) => h.id).filter((id) => !seen.has(id)),
    [],
  );
});

test("the coverage report names every component and cause with its count", () => {
  const report = corpusCoverage(rows);
  const text = formatCoverage(report);
  for (const c of report.components) assert.match(text, new RegExp(`^  ${c.component} +${c.rows} `, "m"));
  assert.equal(
    report.components.reduce((n, c) => n + c.rows, 0),
    rows.length,
  );
  assert.match(text, /^rows no rule decides: none$/m);
});

test("alternatives name other failure labels; credential conditions shadow a rule with the same words", () => {
  for (const r of MESSAGE_RULES) {
    for (const alt of r.alternatives ?? [])
      assert.ok(alt !== r.cause && isCause(alt) && (alt as string) !== "ok" && (alt as string) !== "unknown", `${r.id}: alternative ${alt}`);
    if (r.credentials === undefined) continue;
    const plain = MESSAGE_RULES.find((o) => o.credentials === undefined && o.pattern.source === r.pattern.source);
    assert.ok(
      plain !== undefined && plain.priority < r.priority && plain.cause !== r.cause,
      `${r.id} refines a rule that matches the same words without knowing about credentials`,
    );
  }
});
