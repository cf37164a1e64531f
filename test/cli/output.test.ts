// -o json|yaml|wide|name as kubectl users type it, beside --json: the same answer in each format,
// a failure still answered in JSON with -o json, and -o name on an answer that lists nothing refused.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { argvWantsJson, formatAnswer } from "../../cli/output.js";
import { runPullmedic } from "../support/cli.js";

const MESSAGE =
  'failed to pull and unpack image "docker.io/library/nginx:1.27": failed to resolve reference "docker.io/library/nginx:1.27": docker.io/library/nginx:1.27: not found';

test("-o json is --json, -o yaml the same object in YAML, -o wide the text when the verb has no wider one", async () => {
  const json = await runPullmedic(["explain", MESSAGE, "--json"]);
  const o = await runPullmedic(["explain", MESSAGE, "-o", "json"]);
  assert.equal(o.stdout, json.stdout);
  assert.equal(o.code, json.code);
  const yaml = await runPullmedic(["explain", MESSAGE, "--output=yaml"]);
  assert.deepEqual(parseYaml(yaml.stdout), JSON.parse(json.stdout));
  const text = await runPullmedic(["explain", MESSAGE]);
  const wide = await runPullmedic(["explain", MESSAGE, "-o", "wide"]);
  assert.equal(wide.stdout, text.stdout);
});

test("-o name lists kind/name lines; on an answer that lists nothing it is bad usage, exit 2", async () => {
  const r = await runPullmedic(["explain", MESSAGE, "-o", "name"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /-o name: this answer lists nothing by name/);
  const listed = await formatAnswer({ exitCode: 0, text: "", json: { registries: [{ registry: "docker.io" }, { registry: "ghcr.io" }] } }, "name");
  assert.equal(listed, "registry/docker.io\nregistry/ghcr.io\n");
  const images = await formatAnswer(
    {
      exitCode: 0,
      text: "",
      json: {
        totalBytes: 1,
        images: [
          { id: "sha256:1", repoTags: ["nginx:1.27"] },
          { id: "sha256:2", repoTags: [] },
        ],
      },
    },
    "name",
  );
  assert.equal(images, "image/sha256:1\nimage/sha256:2\n");
  const own = await formatAnswer({ exitCode: 0, text: "", json: {}, names: ["node/a"] }, "name");
  assert.equal(own, "node/a\n");
});

test("an unknown format is refused by the parser, naming the choices", async () => {
  const r = await runPullmedic(["explain", MESSAGE, "-o", "table"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Allowed choices are json, yaml, wide, name/);
});

test("a failure is answered in JSON whichever way JSON was asked for", async () => {
  for (const argv of [["--json"], ["-o", "json"], ["-ojson"], ["--output=json"]]) assert.ok(argvWantsJson(["diagnose", "x", ...argv]), argv.join(" "));
  assert.ok(!argvWantsJson(["diagnose", "x", "-o", "yaml"]));
  const r = await runPullmedic(["diagnose", "docker.io/library/NGINX:1.27", "-o", "json"]);
  assert.equal(r.code, 1);
  assert.equal((JSON.parse(r.stdout) as { cause: string }).cause, "invalid-reference");
});
