import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_PRUNE_POLICY, DEFAULT_STATE_FILE } from "../../agent/prune/index.js";
import { parseDuration } from "../../core/text/index.js";
import { runPullmedic, runPullmedicJson } from "../support/cli.js";

// Bad flags are refused before any runtime is touched: exit 2, and the message names the flag
// and the value. The endpoint given does not exist, so reaching it would be a different error.

const NOWHERE = ["--cri-endpoint", "unix:///nonexistent/pm-prune.sock", "--state-file", "/nonexistent/state.json"];

const refusals: [args: string[], message: RegExp][] = [
  [["--low", "85"], /--low 85 must be below --high 80/],
  [["--high", "60", "--low", "60"], /--low 60 must be below --high 60/],
  [["--high", "100"], /--high "100" must be a percentage from 1 to 99/],
  [["--low", "0"], /--low "0" must be a percentage from 1 to 99/],
  [["--high", "eighty"], /--high "eighty" must be a percentage from 1 to 99/],
  [["--high", "50.5"], /--high "50\.5" must be a whole percentage from 1 to 99/],
  [["--low", "40.25"], /--low "40\.25" must be a whole percentage from 1 to 99/],
  [["--min-age", "3x"], /--min-age "3x" is not a duration; write it like 30m, 24h, 7d or 1h30m/],
  [["--max-age", "soon"], /--max-age "soon" is not a duration/],
  [["--max-age", "1h"], /--max-age 1h must be longer than --min-age \(1 d\)/],
  [["--protect", "nginx:1.*"], /--protect "nginx:1\.\*": a "\*" may only end a pattern/],
  [["--protect", "Shop/App:*"], /--protect "Shop\/App:\*": .*lowercase/],
];

for (const [args, message] of refusals) {
  test(`prune ${args.join(" ")} is bad usage`, async () => {
    const r = await runPullmedic(["prune", ...args, ...NOWHERE]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, message);
  });
}

test("with --json a refusal is one JSON object too", async () => {
  const r = await runPullmedicJson<{ error: { kind: string; message: string } }>(["prune", "--min-age", "3x", ...NOWHERE]);
  assert.equal(r.code, 2);
  assert.equal(r.out.error.kind, "usage");
});

test("good flags get as far as the runtime", async () => {
  const r = await runPullmedic([
    "prune",
    "--dry-run",
    "--high",
    "90",
    "--low",
    "75",
    "--min-age",
    "1h30m",
    "--max-age",
    "30d",
    "--protect",
    "nginx:*",
    "--protect",
    "ghcr.io/*",
    ...NOWHERE,
  ]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /CRI socket \/nonexistent\/pm-prune\.sock does not exist/);
});

test("the help states the defaults the code uses", async () => {
  const r = await runPullmedic(["prune", "--help"]);
  assert.equal(r.code, 0);
  const help = r.stdout.replace(/\s+/g, " ");
  assert.match(help, new RegExp(`--high <percent> .*\\(default: ${DEFAULT_PRUNE_POLICY.highWatermarkPercent}\\)`));
  assert.match(help, new RegExp(`--low <percent> .*\\(default: ${DEFAULT_PRUNE_POLICY.lowWatermarkPercent}\\)`));
  const minAge = /--min-age <duration> .*?\(default: ([^)]+)\)/.exec(help)?.[1];
  assert.equal(parseDuration(minAge ?? ""), DEFAULT_PRUNE_POLICY.minUnusedAgeMs, `--min-age default ${minAge}`);
  assert.equal(DEFAULT_PRUNE_POLICY.maxUnusedAgeMs, undefined);
  assert.match(help, /--max-age <duration> .*\(default: off\)/);
  assert.ok(help.includes(`(default: ${DEFAULT_STATE_FILE})`), help);
});
