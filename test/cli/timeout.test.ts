import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { hostsDirWith } from "../diagnose/diagnose-support.js";
import { runPullmedic, runPullmedicJson } from "../support/cli.js";
import { type RegistryStandIn, startRegistryStandIn } from "./registry-standin.js";

// --timeout takes seconds as people write them, fractions included; every step gets a whole
// number of milliseconds, so no HTTP client refuses the value and blames the registry.

let registry: RegistryStandIn;
let hostsDir = "";
before(async () => {
  registry = await startRegistryStandIn();
  hostsDir = hostsDirWith({ [registry.host]: `server = "http://${registry.host}"\n` });
});
after(() => registry.stop());

test("a fractional --timeout (1.0005 s) diagnoses a healthy registry as ok", async () => {
  const r = await runPullmedicJson<{ cause: string; summary: string }>([
    "diagnose",
    `${registry.host}/shop/app:1`,
    "--hosts-dir",
    hostsDir,
    "--timeout",
    "1.0005",
  ]);
  assert.equal(r.out.cause, "ok", r.out.summary);
  assert.equal(r.code, 0);
});

test("--timeout 0 and other values out of range are refused with words that do not allow them", async () => {
  for (const value of ["0", "-1", "3601", "soon"]) {
    const r = await runPullmedic(["diagnose", `${registry.host}/shop/app:1`, "--hosts-dir", hostsDir, "--timeout", value]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--timeout "${value}" must be a number of seconds above 0 and at most 3600`));
    assert.doesNotMatch(r.stderr, /between 0 and/);
  }
});
