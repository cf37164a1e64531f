import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { compileProtection, DEFAULT_PRUNE_POLICY, executePrune, type PrunePlan, planPrune } from "../../agent/prune/index.js";
import { RuntimeClient, readNodeImages } from "../../agent/runtime/index.js";
import { buildImage, type Lab, startLab } from "../lab/index.js";
import { createPod, deletePod, type LabPod } from "../lab/pods.js";
import { DAY } from "./fixtures.js";

// The executor against a real containerd: between planning and removal the node changes under
// it — a pod starts on a candidate, kubelet removes one, someone retags one under a protected
// name — and each of those images must survive, with the reason said.

let lab: Lab;
let client: RuntimeClient;
const refs: Record<string, string> = {};
const ids: Record<string, string> = {};
const pods: LabPod[] = [];

before(async () => {
  lab = await startLab();
  client = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
  for (const name of ["gone", "raced", "vanished", "retagged", "big", "small", "dry"]) {
    refs[name] = (await lab.push(buildImage({ label: `exec-${name}`, padBytes: name === "big" ? 200_000 : 20_000 }), `exec/${name}:1`)).ref;
    ids[name] = await client.pullImage(refs[name] ?? "");
  }
});

after(async () => {
  for (const pod of pods) await deletePod(client, pod).catch(() => undefined);
  client?.close();
  await lab?.stop();
});

/** Every named image old enough and removable, planned with a forced watermark. */
async function planFor(names: string[]): Promise<PrunePlan> {
  const now = Date.now();
  const node = await readNodeImages(client);
  const wanted = new Set(names.map((n) => ids[n]));
  const usage = Object.fromEntries(node.images.map((i) => [i.id, { firstSeen: now - 10 * DAY, lastUsed: undefined }]));
  return planPrune({
    images: node.images.filter((i) => wanted.has(i.id)),
    usage,
    prepull: [],
    disk: undefined,
    policy: { ...DEFAULT_PRUNE_POLICY },
    now,
    force: "watermark",
  });
}

const present = async (name: string) => (await client.imageStatus(ids[name] ?? "")).image !== null;

test("removes what is still removable; skips what became used, vanished or protected since planning", async () => {
  const plan = await planFor(["gone", "raced", "vanished", "retagged"]);
  assert.equal(plan.candidates.length, 4);

  pods.push(await createPod(client, { name: "race-0", namespace: "shop", image: refs["raced"] ?? "" }));
  await client.removeImage(ids["vanished"] ?? "");
  await lab.ctr("images", "tag", refs["retagged"] ?? "", `${lab.registry.host}/keep/retagged:prod`);

  const protection = compileProtection([`${lab.registry.host}/keep/*`]);
  const result = await executePrune(client, plan, { dryRun: false, sandboxImage: lab.sandboxImage, protectedBy: (i) => protection.match(i) });

  assert.deepEqual(
    result.removed.map((r) => r.id),
    [ids["gone"]],
  );
  assert.deepEqual(Object.fromEntries(result.skipped.map((s) => [s.id, s.reason])), {
    [ids["raced"] ?? ""]: "in use now by shop/race-0/main (created)",
    [ids["vanished"] ?? ""]: "already gone",
    [ids["retagged"] ?? ""]: `protected now by ${lab.registry.host}/keep/*`,
  });
  assert.deepEqual(result.failed, []);
  assert.equal(result.freedBytes, result.removed[0]?.sizeBytes);
  assert.equal(await present("gone"), false);
  assert.equal(await present("raced"), true);
  assert.equal(await present("retagged"), true);
});

test("stops once the freed bytes reach the target", async () => {
  const plan = await planFor(["big", "small"]);
  assert.deepEqual(
    plan.candidates.map((c) => c.id),
    [ids["big"], ids["small"]],
    "same age: the larger first",
  );
  const first = plan.candidates[0];
  assert.ok(first);
  const result = await executePrune(client, { ...plan, targetBytes: first.sizeBytes }, { dryRun: false });
  assert.deepEqual(
    result.removed.map((r) => r.id),
    [ids["big"]],
  );
  assert.deepEqual(result.skipped, [{ id: ids["small"], name: refs["small"], reason: "not needed: target reached" }]);
  assert.equal(await present("small"), true);
});

test("a dry run re-checks and reports, and removes nothing", async () => {
  const plan = await planFor(["dry", "small"]);
  const result = await executePrune(client, plan, { dryRun: true });
  assert.equal(result.dryRun, true);
  assert.deepEqual(result.removed.map((r) => r.id).sort(), [ids["dry"], ids["small"]].sort());
  assert.equal(await present("dry"), true);
  assert.equal(await present("small"), true);
});

test("the sandbox image is skipped even when a plan names it (runtimes that do not pin it)", async () => {
  const node = await readNodeImages(client);
  const pause = node.images.find((i) => i.sandbox);
  assert.ok(pause, "the lab's containerd names its sandbox image");
  const now = Date.now();
  const plan: PrunePlan = {
    trigger: "forced",
    usedPercentBefore: undefined,
    usedPercentAfter: undefined,
    targetBytes: 0,
    kept: [],
    bytesPlanned: pause.sizeBytes,
    reachesLowWatermark: false,
    candidates: [
      {
        id: pause.id,
        name: lab.sandboxImage,
        sizeBytes: pause.sizeBytes,
        lastUsed: undefined,
        firstSeen: now,
        unusedMs: 0,
        rule: "forced",
        reason: "hand-made plan",
      },
    ],
  };
  const result = await executePrune(client, plan, { dryRun: false, sandboxImage: lab.sandboxImage });
  assert.deepEqual(
    result.skipped.map((s) => s.reason),
    ["sandbox image"],
  );
  assert.equal((await client.imageStatus(pause.id)).image?.id, pause.id);
});
