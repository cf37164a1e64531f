// The layering rules of docs/architecture.md, read from the import graph of the sources:
// - core/ (the shared layer) imports neither service nor the CLI;
// - agent/ and aggregator/ never import each other, nor the CLI;
// - nothing but the CLI imports the CLI;
// - a room (a folder with an index.ts) is entered through that door from outside it.
// Tests may reach into rooms; they are not read here.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ImportEdge, type ImportGraph, importGraph } from "./graph.js";

const layer = (file: string) => file.split("/")[0] ?? "";

const RULES: Record<string, (e: ImportEdge, g: ImportGraph) => boolean> = {
  "the shared layer imports neither service nor the CLI": (e) => layer(e.from) === "core" && layer(e.to) !== "core",
  "the agent never imports the aggregator": (e) => layer(e.from) === "agent" && layer(e.to) === "aggregator",
  "the aggregator never imports the agent": (e) => layer(e.from) === "aggregator" && layer(e.to) === "agent",
  "nothing imports the CLI but the CLI": (e) => layer(e.to) === "cli" && layer(e.from) !== "cli",
  "a room is entered through its index.ts from outside it": (e, g) => {
    const room = g.rooms.filter((r) => e.to.startsWith(`${r}/`)).sort((a, b) => b.length - a.length)[0];
    return room !== undefined && !e.from.startsWith(`${room}/`) && e.to !== `${room}/index.ts`;
  },
};

function breaches(g: ImportGraph, rule: string): string[] {
  const broken = RULES[rule];
  assert.ok(broken, rule);
  return g.edges.filter((e) => broken(e, g)).map((e) => `${e.from}:${e.line} imports ${e.to}`);
}

const graph = importGraph(["core", "agent", "aggregator", "cli"]);

test("the graph is read: every layer has files and imports, every import resolves", () => {
  for (const l of ["core", "agent", "aggregator", "cli"])
    assert.ok(
      graph.files.some((f) => layer(f) === l),
      `no files read under ${l}/`,
    );
  assert.ok(graph.edges.length > 300, `only ${graph.edges.length} imports read`);
  assert.ok(graph.rooms.length >= 15, `rooms found: ${graph.rooms.join(", ")}`);
  assert.deepEqual(graph.unresolved, []);
});

for (const rule of Object.keys(RULES)) {
  test(rule, () => assert.deepEqual(breaches(graph, rule), []));
}

test("each rule fails on a graph that breaks it", () => {
  const fake = importGraph([], {
    "core/a/index.ts": 'import { x } from "../../agent/daemon/agent.js";',
    "core/b/index.ts": 'export const y = await import("../a/secret.js");',
    "core/a/secret.ts": "",
    "agent/x/index.ts": 'import type { Z } from "../../aggregator/index.js";\nimport "../../cli/main.js";',
    "aggregator/index.ts": 'export { w } from "../agent/x/index.js";',
  });
  assert.deepEqual(breaches(fake, "the shared layer imports neither service nor the CLI"), ["core/a/index.ts:1 imports agent/daemon/agent.ts"]);
  assert.deepEqual(breaches(fake, "the agent never imports the aggregator"), ["agent/x/index.ts:1 imports aggregator/index.ts"]);
  assert.deepEqual(breaches(fake, "the aggregator never imports the agent"), ["aggregator/index.ts:1 imports agent/x/index.ts"]);
  assert.deepEqual(breaches(fake, "nothing imports the CLI but the CLI"), ["agent/x/index.ts:2 imports cli/main.ts"]);
  assert.deepEqual(breaches(fake, "a room is entered through its index.ts from outside it"), ["core/b/index.ts:1 imports core/a/secret.ts"]);
});
