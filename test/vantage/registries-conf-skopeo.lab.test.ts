import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadRegistriesConf, pullSources } from "../../agent/vantage/registries-conf.js";
import { RootFs } from "../../agent/vantage/root-fs.js";

// registries.conf as CRI-O reads it, checked against the same library CRI-O uses: Debian's skopeo
// is built on containers/image, and with --debug it names every source it tries, in order. Every
// location is a closed port on loopback, so each try fails at once and the next is tried.

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "pm-skopeo-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const CONFS: Record<string, string> = {
  mirrors: [
    "[[registry]]",
    'prefix = "example.vantage.test/foo"',
    'location = "127.0.0.1:1/demo"',
    "insecure = true",
    "[[registry.mirror]]",
    'location = "127.0.0.1:2/mirror-for-foo"',
    "insecure = true",
    "[[registry.mirror]]",
    'location = "127.0.0.1:3/digests"',
    'pull-from-mirror = "digest-only"',
    "insecure = true",
    "[[registry.mirror]]",
    'location = "127.0.0.1:4/tags"',
    'pull-from-mirror = "tag-only"',
    "insecure = true",
    "[[registry]]",
    'prefix = "example.vantage.test"',
    'location = "127.0.0.1:5"',
    "insecure = true",
  ].join("\n"),
  digestOnly: [
    "[[registry]]",
    'location = "pinned.vantage.test"',
    "mirror-by-digest-only = true",
    "[[registry.mirror]]",
    'location = "127.0.0.1:6/pinned"',
    "insecure = true",
  ].join("\n"),
  wildcard: ["[[registry]]", 'prefix = "*.wild.vantage.test"', "[[registry.mirror]]", 'location = "127.0.0.1:7/wild"', "insecure = true"].join("\n"),
};

const DIGEST = `sha256:${"a".repeat(64)}`;
const CASES: [conf: keyof typeof CONFS, reference: string][] = [
  ["mirrors", "example.vantage.test/foo/app:v1"],
  ["mirrors", `example.vantage.test/foo/app@${DIGEST}`],
  ["mirrors", "example.vantage.test/other/app:v1"],
  ["mirrors", "example.vantage.test/foobar/app:v1"],
  ["digestOnly", "pinned.vantage.test/app:v1"],
  ["digestOnly", `pinned.vantage.test/app@${DIGEST}`],
  ["wildcard", "reg.wild.vantage.test/app:v1"],
];

function skopeoTries(conf: string, reference: string): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(
      "/usr/bin/skopeo",
      ["--registries-conf", conf, "--debug", "inspect", "--raw", "--retry-times", "0", `docker://${reference}`],
      { timeout: 60_000 },
      (_err, _stdout, stderr) => resolve([...stderr.matchAll(/Trying to access \\"([^"\\]+)\\"/g)].map((m) => m[1] as string)),
    );
  });
}

for (const [name, reference] of CASES) {
  test(`pull sources of ${reference} (${name}) are the ones containers/image tries, in its order`, async () => {
    const file = join(dir, `${name}.conf`);
    writeFileSync(file, CONFS[name] ?? "");
    const conf = await loadRegistriesConf(new RootFs("/", "this process's root"), file, join(dir, "no-drop-ins"));
    assert.deepEqual(conf.problems, []);
    const ours = pullSources(conf, reference, reference.includes("@")).map((s) => s.reference);
    const theirs = await skopeoTries(file, reference);
    // Only the references pulled through a source differ from containers/image's own display when
    // they have no source at all: a reference no [[registry]] matches is tried as is.
    assert.deepEqual(ours, theirs.length > 0 ? theirs : [reference]);
  });
}

test("a blocked registry is refused by both", async () => {
  const file = join(dir, "blocked.conf");
  writeFileSync(file, '[[registry]]\nlocation = "blocked.vantage.test"\nblocked = true\n');
  const conf = await loadRegistriesConf(new RootFs("/", "this process's root"), file, join(dir, "no-drop-ins"));
  assert.throws(() => pullSources(conf, "blocked.vantage.test/app:v1", false), /is blocked/);
  const stderr = await new Promise<string>((resolve) => {
    execFile("/usr/bin/skopeo", ["--registries-conf", file, "inspect", "--raw", "docker://blocked.vantage.test/app:v1"], { timeout: 60_000 }, (_e, _o, err) =>
      resolve(err),
    );
  });
  assert.match(stderr, /blocked/);
});
