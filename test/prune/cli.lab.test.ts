import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { buildImage, type Lab, startLab } from "../lab/index.js";
import { createPod, deletePod, type LabPod } from "../lab/pods.js";
import { runPullmedic, runPullmedicJson } from "../support/cli.js";
import { DAY } from "./fixtures.js";

// `pullmedic prune` as a person runs it, against a real containerd with real images: two old
// unused ones, one a pod's container uses, one protected on the command line, one pullmedic has
// never seen, and the sandbox image. Exactly the two old ones may go.

interface PruneJson {
  plan: {
    trigger: string;
    candidates: { id: string; name: string; rule: string; reason: string; sizeBytes: number }[];
    kept: { id: string; name: string; rule: string; reason: string; firstSeen: number | null }[];
    bytesPlanned: number;
  };
  result: { removed: { id: string }[]; skipped: unknown[]; failed: unknown[]; freedBytes: number } | null;
  stateFile: { path: string; saved: boolean };
  warnings: string[];
  imageFilesystem: { capacityBytes: number } | null;
}

let lab: Lab;
let client: RuntimeClient;
let pod: LabPod | undefined;
let stateDir = "";
let statePath = "";
const refs: Record<string, string> = {};
const ids: Record<string, string> = {};

before(async () => {
  // A small tmpfs keeps the disk well under the watermarks, so --force decides, not the host's /tmp.
  lab = await startLab({ imageFsSizeMiB: 64 });
  client = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
  const sizes: Record<string, number> = { "old-big": 300_000, "old-small": 100_000, used: 50_000, keep: 50_000, young: 50_000 };
  for (const [name, padBytes] of Object.entries(sizes)) {
    refs[name] = (await lab.push(buildImage({ label: `prune-${name}`, padBytes }), `shop/${name}:1`)).ref;
    ids[name] = await client.pullImage(refs[name] ?? "");
  }
  const pause = (await client.listImages()).find((i) => i.repoTags.includes(lab.sandboxImage));
  assert.ok(pause);
  ids["pause"] = pause.id;
  // A created container keeps its image in use exactly like an exited one; our CRI subset has no
  // StartContainer, so a created container stands in for both.
  pod = await createPod(client, { name: "web-0", namespace: "shop", image: refs["used"] ?? "" });

  stateDir = mkdtempSync(join(tmpdir(), "pm-prune-state-"));
  statePath = join(stateDir, "state.json");
  const now = Date.now();
  const images: Record<string, { firstSeen: number; lastUsed?: number }> = {
    [ids["old-big"] ?? ""]: { firstSeen: now - 30 * DAY, lastUsed: now - 10 * DAY },
    [ids["old-small"] ?? ""]: { firstSeen: now - 30 * DAY, lastUsed: now - 5 * DAY },
    [ids["used"] ?? ""]: { firstSeen: now - 30 * DAY },
    [ids["keep"] ?? ""]: { firstSeen: now - 30 * DAY },
    [ids["pause"] ?? ""]: { firstSeen: now - 30 * DAY },
  };
  writeFileSync(statePath, JSON.stringify({ version: 1, images }));
});

after(async () => {
  if (pod) await deletePod(client, pod).catch(() => undefined);
  client?.close();
  await lab?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

const common = () => ["--cri-endpoint", lab.criEndpoint, "--state-file", statePath, "--protect", `${lab.registry.host}/shop/keep:*`];
const listed = async () => new Set((await client.listImages()).map((i) => i.id));

test("--dry-run --force --json plans exactly the two old unused images, says why each other stays, and writes nothing", async () => {
  const before = readFileSync(statePath);
  const mtime = statSync(statePath).mtimeMs;
  const r = await runPullmedicJson<PruneJson>(["prune", "--dry-run", "--force", ...common()]);
  assert.equal(r.code, 0, r.stderr);
  const { plan } = r.out;
  assert.equal(plan.trigger, "forced");
  assert.deepEqual(
    plan.candidates.map((c) => [c.name, c.reason]),
    [
      [refs["old-big"], "unused for 10 d"],
      [refs["old-small"], "unused for 5 d"],
    ],
  );
  const kept = Object.fromEntries(plan.kept.map((k) => [k.id, [k.rule, k.reason]]));
  assert.deepEqual(kept, {
    [ids["used"] ?? ""]: ["in-use", "in use by shop/web-0/main (created)"],
    [ids["keep"] ?? ""]: ["protected", `protected by ${lab.registry.host}/shop/keep:*`],
    [ids["young"] ?? ""]: ["too-young", kept[ids["young"] ?? ""]?.[1] ?? ""],
    [ids["pause"] ?? ""]: ["sandbox", "sandbox image"],
  });
  // Even a dry run records in memory what it sees for the first time, so the new image is 0 s old.
  assert.match(kept[ids["young"] ?? ""]?.[1] ?? "", /^unused for \d s, under the 1 d minimum age$/);
  assert.equal(r.out.result, null);
  assert.equal(r.out.stateFile.saved, false);
  assert.ok(readFileSync(statePath).equals(before), "a dry run does not write the state file");
  assert.equal(statSync(statePath).mtimeMs, mtime);
  const now = await listed();
  for (const id of Object.values(ids)) assert.ok(now.has(id), `${id} still there after a dry run`);
});

test("the dry run's text names each candidate with size and last use, then totals and what was kept", async () => {
  const r = await runPullmedic(["prune", "--dry-run", "--force", ...common()]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^image filesystem .*: \d+\.\d % used of 64\.0 MiB \(high watermark 80 %, low 70 %\)$/m);
  assert.match(r.stdout, /^forced \(--force\): already under the low watermark, so every image the rules allow$/m);
  assert.match(r.stdout, /^WOULD REMOVE \(dry run: nothing is removed\)$/m);
  assert.match(r.stdout, /^IMAGE\s+SIZE\s+LAST USED\s+REASON$/m);
  assert.match(r.stdout, new RegExp(`^${refs["old-big"]?.replace(/[.]/g, "\\.")}\\s+\\d+\\.\\d KiB\\s+10 d ago\\s+unused for 10 d$`, "m"));
  assert.match(r.stdout, /^planned: 2 images, \d+\.\d KiB; usage \d+\.\d % → \d+\.\d % \(estimated from the runtime's compressed sizes\)$/m);
  assert.match(r.stdout, /^kept 4 images: 1 sandbox image, 1 in use, 1 protected, 1 too young \(--json lists each with its reason\)$/m);
});

test("without --force, a disk under the high watermark means nothing to prune", async () => {
  const r = await runPullmedic(["prune", "--dry-run", ...common()]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^nothing to prune: below the 80 % high watermark \(use --force to prune anyway\)$/m);
  assert.doesNotMatch(r.stdout, /WOULD REMOVE|PLANNED/);
});

test("--force removes exactly the planned images; the used, protected, new and sandbox images stay", async () => {
  const r = await runPullmedicJson<PruneJson>(["prune", "--force", ...common()]);
  assert.equal(r.code, 0, r.stderr);
  const planned = r.out.plan.candidates.map((c) => c.id);
  assert.deepEqual(planned, [ids["old-big"], ids["old-small"]]);
  assert.ok(r.out.result);
  assert.deepEqual(
    r.out.result.removed.map((x) => x.id),
    planned,
  );
  assert.deepEqual(r.out.result.failed, []);
  assert.equal(r.out.result.freedBytes, r.out.plan.bytesPlanned);
  assert.equal(r.out.stateFile.saved, true);

  const now = await listed();
  for (const name of ["old-big", "old-small"]) assert.ok(!now.has(ids[name] ?? ""), `${name} removed`);
  for (const name of ["used", "keep", "young", "pause"]) assert.ok(now.has(ids[name] ?? ""), `${name} kept`);
  const ctr = await lab.ctr("images", "ls", "-q");
  const names = new Set(ctr.split("\n").filter(Boolean));
  assert.ok(!names.has(refs["old-big"] ?? "") && !names.has(refs["old-small"] ?? ""), ctr);
  for (const ref of [refs["used"], refs["keep"], refs["young"], lab.sandboxImage]) assert.ok(names.has(ref ?? ""), `${ref} in ctr images ls`);
});

test("ages survive a restart: the next run reads the first-seen time the previous one recorded", async () => {
  const state = () => JSON.parse(readFileSync(statePath, "utf8")) as { version: number; images: Record<string, { firstSeen: number }> };
  const firstSeen = state().images[ids["young"] ?? ""]?.firstSeen;
  assert.equal(typeof firstSeen, "number", "the run recorded the image it had never seen");

  const again = await runPullmedicJson<PruneJson>(["prune", "--force", ...common()]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(again.out.result, null, "nothing left to remove");
  const young = again.out.plan.kept.find((k) => k.id === ids["young"]);
  assert.equal(young?.firstSeen, firstSeen);
  assert.match(young?.reason ?? "", /^unused for \d+ m?s, under the 1 d minimum age$/);
  assert.equal(state().images[ids["young"] ?? ""]?.firstSeen, firstSeen);
  assert.equal(state().images[ids["old-big"] ?? ""], undefined, "removed images are forgotten");
});

test("a state file that cannot be written is a warning on the output, and the run still succeeds", async () => {
  const args = ["prune", "--cri-endpoint", lab.criEndpoint, "--state-file", "/proc/pm-nope/state.json"];
  const r = await runPullmedicJson<PruneJson>(args);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.out.stateFile.saved, false);
  assert.match(r.out.warnings.join("\n"), /cannot write image usage state \/proc\/pm-nope\/state\.json: ENOENT/);
  const text = await runPullmedic(args);
  assert.match(text.stdout, /^warning: cannot write image usage state/m);
});
