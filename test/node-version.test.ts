import assert from "node:assert/strict";
import { test } from "node:test";

// `node test/run.mjs --node <binary>` names the Node it was asked for in PULLMEDIC_TEST_NODE: the
// test files must really run on it (CI's Node 26 phase relies on this), and the run's log says
// which Node each run used.
test("the test files run on the Node.js the run was asked for", (t) => {
  t.diagnostic(`Node ${process.version} (${process.execPath}), NODE_MODULE_VERSION ${process.versions.modules}`);
  const asked = process.env["PULLMEDIC_TEST_NODE"];
  if (asked !== undefined) assert.equal(process.version, asked);
});
