// The code cites its facts and contracts in docs/; these tests keep those citations true.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CAUSES } from "../../agent/diagnose/causes.js";
import { anchorOf, brokenDocLinks, danglingCitations, outsideCitations, readTree, type Tree, tableLabels } from "./citations.js";

const tree = readTree(["core", "agent", "aggregator", "cli", "proto", "test"]);
// These two name the outside files and a missing doc on purpose, to test the checks.
for (const self of ["test/architecture/citations.ts", "test/architecture/citations.test.ts"]) tree.delete(self);

test("the tree is read: sources and docs", () => {
  assert.ok([...tree.keys()].filter((p) => p.startsWith("docs/facts/")).length >= 6, "docs/facts/*.md read");
  assert.ok(tree.has("core/image/dockerhub.ts") && tree.has("proto/pullmedic/v1/pullmedic.proto"));
});

test("every docs/ file a source cites exists, with the heading it names", () => {
  assert.deepEqual(danglingCitations(tree), []);
});

test("no source cites a facts or design file outside this repository", () => {
  assert.deepEqual(outsideCitations(tree), []);
});

test("links between the docs resolve", () => {
  assert.deepEqual(brokenDocLinks(tree), []);
});

test("docs/contracts.md lists exactly the cause labels of agent/diagnose/causes.ts, in order", () => {
  assert.deepEqual(tableLabels(tree.get("docs/contracts.md") ?? "", "Cause labels"), [...CAUSES]);
});

test("each check fails on a tree that breaks it", () => {
  const fake: Tree = new Map([
    ["docs/facts/a.md", "# A\n\n## Some heading\n\nSee [b](b.md), [a](#some-heading), [gone](#nope) and [c](c.md).\n"],
    ["docs/facts/b.md", "# B\n\n| label | x |\n|---|---|\n| `one` | 1 |\n| `two` | 2 |\n\n## Next\n"],
    ["agent/x.ts", '// See docs/facts/a.md, "Some heading" and docs/facts/a.md, "Missing".\n// REGISTRY_FACTS §1\n'],
    ["cli/y.ts", "/** docs/facts/none.md; ../shared/DESIGN.md */\n"],
  ]);
  assert.deepEqual(danglingCitations(fake), [
    'agent/x.ts:1 cites a heading "Missing" that docs/facts/a.md does not have',
    "cli/y.ts:1 cites docs/facts/none.md, which does not exist",
  ]);
  assert.deepEqual(outsideCitations(fake), [
    "agent/x.ts:2 cites REGISTRY_FACTS, which is not in this repository",
    "cli/y.ts:1 cites ../shared/, which is not in this repository",
    "cli/y.ts:1 cites DESIGN.md, which is not in this repository",
  ]);
  assert.deepEqual(brokenDocLinks(fake), [
    "docs/facts/a.md:5 links to #nope: docs/facts/a.md has no such heading",
    "docs/facts/a.md:5 links to c.md, which does not exist",
  ]);
  assert.deepEqual(tableLabels(fake.get("docs/facts/b.md")!, "B"), ["one", "two"]);
  assert.equal(anchorOf("What reaches the runtime"), "what-reaches-the-runtime");
  assert.equal(anchorOf("The `/v2/` API: ping"), "the-v2-api-ping");
});
