import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type PrepullImageStatus, prepullRound } from "../../agent/prepull/index.js";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { buildImage, type FaultServer, type Lab, startFaultServer, startLab } from "../lab/index.js";
import { byImage, isManifestHead, isPull, logMark, requestsSince, roundOptions, settledRequestsSince, status } from "./support.js";

// Real containerd and a real registry: what a round pulls is what the registry's log shows.

let lab: Lab;
let client: RuntimeClient;
const refs: Record<string, string> = {};
const digests: Record<string, string> = {};
let firstRound: PrepullImageStatus[] = [];

before(async () => {
  lab = await startLab();
  client = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
  for (const name of ["one", "two", "three"]) {
    const pushed = await lab.push(buildImage({ label: name, padBytes: 256 * 1024 }), `app/${name}:1.0`);
    refs[name] = pushed.ref;
    digests[name] = pushed.digest;
  }
});

after(async () => {
  client?.close();
  await lab?.stop();
});

const three = (): { image: string }[] => ["one", "two", "three"].map((n) => ({ image: refs[n] ?? "" }));

test("the first round pulls every missing image and records digest, size, duration and time", async () => {
  const seen: PrepullImageStatus[] = [];
  const before = Date.now();
  firstRound = await prepullRound(three(), roundOptions(lab, client, { onProgress: (s) => seen.push(s) }));
  assert.equal(firstRound.length, 3);
  for (const name of ["one", "two", "three"]) {
    const s = status(firstRound, refs[name] ?? "");
    assert.equal(s.action, "pulled", JSON.stringify(s));
    assert.equal(s.state, "present");
    assert.equal(s.digest, digests[name]);
    assert.equal(s.attempts, 1);
    assert.ok((s.bytes ?? 0) > 256 * 1024, `bytes ${s.bytes}`);
    assert.ok(s.durationMs !== undefined && s.durationMs >= 0);
    assert.ok(s.lastPull !== undefined && Date.parse(s.lastPull) >= before - 1000);
    assert.equal(s.cause, undefined);
    const onNode = await client.imageStatus(refs[name] ?? "");
    assert.ok(
      onNode.image?.repoDigests.some((d) => d.endsWith(`@${digests[name]}`)),
      "the runtime has it",
    );
  }
  // Progress: each image reported "pulling" before its final state.
  for (const s of firstRound) {
    const states = seen.filter((p) => p.image === s.image).map((p) => p.state);
    assert.deepEqual(states, ["pulling", "present"]);
  }
});

test("a round with nothing changed pulls nothing: only manifest HEADs reach the registry", async () => {
  const mark = logMark(lab);
  const previous = byImage(firstRound);
  const statuses = await prepullRound(three(), roundOptions(lab, client, { previous }));
  for (const s of statuses) {
    assert.equal(s.action, "unchanged", JSON.stringify(s));
    assert.equal(s.state, "present");
    assert.equal(s.attempts, 0);
    assert.equal(s.lastPull, previous.get(s.image)?.lastPull, "the last pull is carried over");
    assert.equal(s.digest, previous.get(s.image)?.digest);
  }
  const requests = await settledRequestsSince(lab, mark, 3);
  assert.equal(requests.filter(isManifestHead).length, 3, JSON.stringify(requests, null, 2));
  assert.deepEqual(requests.filter(isPull), [], "no manifest or blob GET");
  assert.ok(
    requests.every((r) => r.method === "HEAD" && r.userAgent.startsWith("pullmedic/")),
    JSON.stringify(requests, null, 2),
  );
});

test("a new image under an existing tag is pulled, and only that one", async () => {
  const moved = await lab.push(buildImage({ label: "two, rebuilt", padBytes: 128 * 1024 }), "app/two:1.0");
  assert.notEqual(moved.digest, digests["two"]);
  const mark = logMark(lab);
  const statuses = await prepullRound(three(), roundOptions(lab, client, { previous: byImage(firstRound) }));
  assert.equal(status(statuses, refs["one"] ?? "").action, "unchanged");
  assert.equal(status(statuses, refs["three"] ?? "").action, "unchanged");
  const two = status(statuses, refs["two"] ?? "");
  assert.equal(two.action, "pulled", JSON.stringify(two));
  assert.equal(two.digest, moved.digest);
  assert.notEqual(two.lastPull, byImage(firstRound).get(two.image)?.lastPull);
  const node = await client.imageStatus(refs["two"] ?? "");
  assert.ok(
    node.image?.repoDigests.some((d) => d.endsWith(`@${moved.digest}`)),
    "the tag on the node now points to the new image",
  );
  const gets = requestsSince(lab, mark).filter(isPull);
  assert.ok(gets.length > 0);
  assert.ok(
    gets.every((r) => r.path.startsWith("/v2/app/two/")),
    `only app/two was downloaded: ${JSON.stringify(gets)}`,
  );
});

test("no more pulls are in flight than the concurrency allows", async () => {
  const images: string[] = [];
  for (const name of ["a", "b", "c", "d"]) {
    images.push((await lab.push(buildImage({ label: `conc-${name}`, padBytes: 1024 * 1024 }), `conc/${name}:1.0`)).ref);
  }
  let inFlight = 0;
  let most = 0;
  // The runtime's own PullImage calls are counted, not the pre-puller's intentions.
  const counting = Object.assign(Object.create(client) as RuntimeClient, {
    pullImage: async (...args: Parameters<RuntimeClient["pullImage"]>) => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        return await client.pullImage(...args);
      } finally {
        inFlight--;
      }
    },
  });
  let pulling = 0;
  let mostPulling = 0;
  const statuses = await prepullRound(
    images.map((image) => ({ image })),
    roundOptions(lab, counting, {
      concurrency: 2,
      onProgress: (s) => {
        pulling += s.state === "pulling" ? 1 : -1;
        mostPulling = Math.max(mostPulling, pulling);
      },
    }),
  );
  assert.deepEqual(
    statuses.map((s) => s.action),
    ["pulled", "pulled", "pulled", "pulled"],
  );
  assert.ok(most <= 2, `at most 2 PullImage calls at once, saw ${most}`);
  assert.ok(mostPulling <= 2, `at most 2 images reported pulling at once, saw ${mostPulling}`);
  assert.equal(most, 2, "the limit is used, not just respected");
});

test("an image that fails does not hold up the others, and says why with a fix", async () => {
  const good = (await lab.push(buildImage({ label: "good" }), "app/good:1.0")).ref;
  const missing = `${lab.registry.host}/app/one:does-not-exist`;
  const invalid = `${lab.registry.host}/App/Upper:1.0`;
  const statuses = await prepullRound([{ image: missing }, { image: invalid }, { image: good }], roundOptions(lab, client, { concurrency: 1 }));
  const failed = status(statuses, missing);
  assert.equal(failed.action, "failed");
  assert.equal(failed.state, "failed");
  assert.equal(failed.cause, "not-found");
  assert.equal(failed.attempts, 0, "a tag the registry does not have is not worth a pull");
  assert.match(failed.summary ?? "", /app\/one:does-not-exist/);
  assert.ok((failed.fix ?? []).length > 0);
  const bad = status(statuses, invalid);
  assert.equal(bad.cause, "invalid-reference");
  assert.match(bad.summary ?? "", /lowercase/);
  assert.ok(
    (bad.fix ?? []).some((f) => f.includes(`${lab.registry.host}/app/upper:1.0`)),
    JSON.stringify(bad.fix),
  );
  assert.equal(status(statuses, good).action, "pulled");
});

test("a tag that cannot be checked keeps the node's copy: present, with the failure noted", async () => {
  const fault = await startFaultServer({ kind: "unavailable", status: 503 });
  try {
    // The node has the image under the unavailable registry's name; the registry is down.
    const image = `${fault.host}/app/one:1.0`;
    await lab.ctr("images", "tag", refs["one"] ?? "", image);
    const [s] = await prepullRound([{ image }], roundOptions(lab, client));
    assert.equal(s?.state, "present", JSON.stringify(s));
    assert.equal(s?.action, "failed");
    assert.equal(s?.cause, "registry-unavailable");
    assert.equal(s?.attempts, 0);
  } finally {
    await fault.stop();
  }
});

test("a pull that keeps failing is retried with growing back-off, and the attempts are counted", async () => {
  const slow = await startFaultServer({ kind: "trickle", bytesPerSecond: 64 * 1024 }, [
    { repo: "slow/app", tag: "1.0", image: buildImage({ label: "slow", padBytes: 2 * 1024 * 1024 }) },
  ]);
  let fault: FaultServer | undefined = slow;
  try {
    const delays: number[] = [];
    const seen: PrepullImageStatus[] = [];
    const image = `${slow.host}/slow/app:1.0`;
    const [s] = await prepullRound(
      [{ image }],
      roundOptions(lab, client, {
        pullDeadlineMs: 300,
        retries: { attempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 },
        random: () => 0.9,
        sleep: async (ms) => {
          delays.push(ms);
        },
        onProgress: (p) => seen.push(p),
      }),
    );
    assert.equal(s?.action, "failed", JSON.stringify(s));
    assert.equal(s?.cause, "pull-timeout");
    assert.equal(s?.attempts, 3);
    assert.ok((s?.fix ?? []).length > 0);
    assert.deepEqual(delays, [900, 1800], "full jitter under a doubling cap (random fixed at 0.9)");
    assert.deepEqual(
      seen.filter((p) => p.state === "pulling").map((p) => p.attempts),
      [1, 2, 3],
    );
    await slow.stop();
    fault = undefined;
  } finally {
    await fault?.stop();
  }
});
