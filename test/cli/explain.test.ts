import assert from "node:assert/strict";
import { test } from "node:test";
import { runPullmedic, runPullmedicJson } from "../support/cli.js";

// explain as a person runs it: a message from kubectl, on the command line or piped in.

const MESSAGE =
  'Failed to pull image "ghcr.io/acme/api:2.4": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/api:2.4": failed to resolve reference "ghcr.io/acme/api:2.4": ghcr.io/acme/api:2.4: not found';

test("explain prints the cause, a summary and fixes naming the real image", async () => {
  const r = await runPullmedic(["explain", MESSAGE]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^cause: {3}not-found$/m);
  assert.match(r.stdout, /^summary: .*ghcr\.io\/acme\/api:2\.4/m);
  assert.match(r.stdout, /^fix:\n {2}\$ /m);
});

test("explain - reads the message from stdin, and --json prints {cause, summary, fix}", async () => {
  const r = await runPullmedicJson<{ cause: string; summary: string; fix: string[] }>(["explain", "-"], { stdin: `${MESSAGE}\n` });
  assert.equal(r.code, 0);
  assert.equal(r.out.cause, "not-found");
  assert.deepEqual(Object.keys(r.out), ["cause", "summary", "fix"]);
  assert.ok(
    r.out.fix.some((f) => f.includes("pullmedic diagnose ghcr.io/acme/api:2.4")),
    r.out.fix.join("\n"),
  );
});

test("a message that decides nothing is unknown, never a guess; an empty one is bad usage", async () => {
  const unknown = await runPullmedicJson<{ cause: string }>(["explain", 'Back-off pulling image "nginx:1.27"']);
  assert.equal(unknown.out.cause, "unknown");
  const empty = await runPullmedic(["explain", "-"], { stdin: "   \n" });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /explain needs a message/);
});

test("a whole kubectl describe pod piped in: the most precise message is explained, with the pod's names in the fix", async () => {
  const { readFileSync } = await import("node:fs");
  const paste = readFileSync(new URL("../diagnose/pastes/describe-not-found.txt", import.meta.url), "utf8");
  const r = await runPullmedic(["explain", "-"], { stdin: paste });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^read: {4}describe-pod, \d+ pull messages; the most precise:/m);
  assert.match(r.stdout, /^cause: {3}not-found$/m);
  assert.match(r.stdout, /kubectl set image deployment\/api api=registry\.example\.com\/team\/api:<existing-tag> -n shop/);
  assert.doesNotMatch(r.stdout, /<namespace>/);
});

test("explain --coverage prints the message table per component and cause, exit 0 while every row is answered right", async () => {
  const text = await runPullmedic(["explain", "--coverage"]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^message table: \d+ rows, \d+ rules/m);
  assert.match(text.stdout, /^rows answered wrongly: none$/m);
  const json = await runPullmedicJson<{ problems: string[]; unmatched: unknown[]; wrong: unknown[] }>(["explain", "--coverage", "--json"]);
  assert.equal(json.code, 0);
  assert.deepEqual([json.out.problems, json.out.unmatched, json.out.wrong], [[], [], []]);
  const both = await runPullmedic(["explain", "--coverage", "not found"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--coverage takes no message/);
});
