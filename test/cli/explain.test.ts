import { test } from "node:test";
import assert from "node:assert/strict";
import { runPullmedic, runPullmedicJson } from "../support/cli.js";

// explain as a person runs it: a message from kubectl, on the command line or piped in.

const MESSAGE = 'Failed to pull image "ghcr.io/acme/api:2.4": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/api:2.4": failed to resolve reference "ghcr.io/acme/api:2.4": ghcr.io/acme/api:2.4: not found';

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
  assert.ok(r.out.fix.some((f) => f.includes("pullmedic diagnose ghcr.io/acme/api:2.4")), r.out.fix.join("\n"));
});

test("a message that decides nothing is unknown, never a guess; an empty one is bad usage", async () => {
  const unknown = await runPullmedicJson<{ cause: string }>(["explain", 'Back-off pulling image "nginx:1.27"']);
  assert.equal(unknown.out.cause, "unknown");
  const empty = await runPullmedic(["explain", "-"], { stdin: "   \n" });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /explain needs a message/);
});
