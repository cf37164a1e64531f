// `pullmedic completion bash|zsh|fish`, tried in a real bash: the script is sourced and bash's
// completion function is asked what completes a partly typed command line, as pressing Tab does.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { runPullmedic } from "../support/cli.js";

let script = "";

async function bashScript(): Promise<string> {
  if (!script) {
    const r = await runPullmedic(["completion", "bash"]);
    assert.equal(r.code, 0, r.stderr);
    script = r.stdout;
  }
  return script;
}

/** What bash offers for `line` (the cursor at its end), through the function the script registered. */
async function complete(line: string): Promise<string[]> {
  const words = line.split(" ");
  const program = [
    await bashScript(),
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE='${line}'`,
    `COMP_POINT=${line.length}`,
    `fn=$(complete -p pullmedic | sed -E 's/.*-F ([^ ]+).*/\\1/')`,
    `"$fn" pullmedic "${words.at(-1)}" "${words.at(-2)}"`,
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join("\n");
  const r = spawnSync("bash", ["--norc", "--noprofile", "-c", program], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split("\n").filter(Boolean);
}

test("a verb completes in a real bash", async () => {
  assert.deepEqual(await complete("pullmedic dia"), ["diagnose"]);
  assert.deepEqual(await complete("pullmedic pr"), ["prune", "prepull", "probe"]);
  assert.deepEqual(await complete("pullmedic cluster pre"), ["prepull"]);
  assert.deepEqual(await complete("pullmedic completion "), ["bash", "zsh", "fish"]);
});

test("a verb's flags and a flag's values complete, after global flags and their values", async () => {
  assert.deepEqual(await complete("pullmedic diagnose nginx:1.27 --ho"), ["--hosts-dir", "--host-root"]);
  assert.deepEqual(await complete("pullmedic diagnose nginx:1.27 --hosts"), ["--hosts-dir"]);
  assert.deepEqual(await complete("pullmedic --log-level debug images -o "), ["json", "yaml", "wide", "name"]);
  assert.deepEqual(await complete("pullmedic --log-level "), ["error", "warn", "info", "debug"]);
  assert.ok((await complete("pullmedic cleanup --")).includes("--dry-run"));
});

test("zsh gets the same completion through bashcompinit; fish gets complete lines; another shell is bad usage", async () => {
  const zsh = await runPullmedic(["completion", "zsh"]);
  assert.equal(zsh.code, 0);
  assert.match(zsh.stdout, /^#compdef pullmedic\n/);
  assert.match(zsh.stdout, /bashcompinit/);
  assert.equal(spawnSync("bash", ["-n"], { input: zsh.stdout.replace(/^autoload.*$/m, "") }).status, 0, "the zsh script's body is valid shell");
  const fish = await runPullmedic(["completion", "fish"]);
  assert.equal(fish.code, 0);
  assert.match(fish.stdout, /complete -c pullmedic -n '__fish_use_subcommand' -a 'diagnose'/);
  assert.match(fish.stdout, /-l output -s o -r -a 'json yaml wide name'/);
  const other = await runPullmedic(["completion", "tcsh"]);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /bash, zsh or fish/);
});
