import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { prepullRound } from "../../agent/prepull/index.js";
import { QuotaTracker } from "../../agent/quota/index.js";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { buildImage, type FaultServer, type Lab, startFaultServer, startLab } from "../lab/index.js";
import { roundOptions } from "./support.js";

// Docker Hub cannot run here; the stand-in answers with Hub's quota headers, its token flow and
// its 429s, and counts a pull per manifest GET as Hub does. Its host is declared a Docker Hub
// domain for these rounds, as docker.io is by default.

const SOURCE = "203.0.113.7";
const WINDOW = 21_600;
let lab: Lab;
let client: RuntimeClient;
const hubImage = buildImage({ label: "hub", padBytes: 64 * 1024 });
const servers: FaultServer[] = [];

async function hub(remaining: number): Promise<FaultServer> {
  const server = await startFaultServer({ kind: "rate-limited", limit: 100, remaining, windowSeconds: WINDOW, source: SOURCE }, [
    { repo: "library/busybox", tag: "1.36", image: hubImage },
  ]);
  servers.push(server);
  return server;
}

// Hub counts a manifest GET it served; one refused for want of a token is not a pull.
const manifestGets = (s: FaultServer): number =>
  s.requests.filter((r) => r.method === "GET" && r.path.includes("/manifests/") && r.authorization !== undefined).length;

before(async () => {
  lab = await startLab();
  client = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
});

after(async () => {
  client?.close();
  await Promise.all(servers.map((s) => s.stop()));
  await lab?.stop();
});

test("under the reserve, a Docker Hub image is deferred, says why, and no pull is spent", async () => {
  const server = await hub(3);
  const image = `${server.host}/library/busybox:1.36`;
  const tracker = new QuotaTracker();
  const [s] = await prepullRound(
    [{ image }],
    roundOptions(lab, client, {
      dockerHubDomains: ["docker.io", server.host],
      quota: { latest: () => tracker.latest(), reserve: 10 },
      onRateLimit: tracker.recordRateLimit,
    }),
  );
  assert.equal(s?.action, "deferred", JSON.stringify(s));
  assert.equal(s?.state, "deferred");
  assert.equal(s?.cause, "rate-limited");
  assert.equal(s?.attempts, 0);
  assert.equal(s?.digest, hubImage.manifestDigest, "the HEAD still told the digest");
  assert.match(s?.summary ?? "", /at 3, under the reserve of 10/);
  assert.ok(s?.summary?.includes(SOURCE), s?.summary);
  assert.match(s?.summary ?? "", /frees a slot/);
  assert.ok((s?.fix ?? []).length > 0);
  assert.equal(manifestGets(server), 0, "no manifest GET: the quota is untouched");
  assert.equal((await client.imageStatus(image)).image, null);
  // The HEAD's headers reached the agent's tracker.
  assert.equal(tracker.latest()?.remaining, 3);
  assert.equal(tracker.latest()?.source, SOURCE);
});

test("what the tracker last knew defers too, when this round's HEAD carried no newer word", async () => {
  const server = await startFaultServer({ kind: "hub-headers", headers: {} }, [{ repo: "library/busybox", tag: "1.36", image: hubImage }]);
  servers.push(server);
  const [s] = await prepullRound(
    [{ image: `${server.host}/library/busybox:1.36` }],
    roundOptions(lab, client, {
      dockerHubDomains: [server.host],
      quota: { latest: () => ({ remaining: 3, source: SOURCE, windowSeconds: WINDOW }), reserve: 10 },
    }),
  );
  assert.equal(s?.action, "deferred", JSON.stringify(s));
  assert.match(s?.summary ?? "", /at 3, under the reserve of 10/);
});

test("a fresher HEAD wins over an old low reading, and the pull is made", async () => {
  const server = await hub(50);
  const image = `${server.host}/library/busybox:1.36`;
  const [s] = await prepullRound(
    [{ image }],
    roundOptions(lab, client, {
      dockerHubDomains: [server.host],
      quota: { latest: () => ({ remaining: 3, source: SOURCE, windowSeconds: WINDOW, observedAt: Date.now() - 3_600_000 }), reserve: 10 },
    }),
  );
  assert.equal(s?.action, "pulled", JSON.stringify(s));
  assert.equal(manifestGets(server), 1, "one pull spent, as Hub counts it");
  await client.removeImage(image);
});

test("pulls of one round stop at the reserve: a pull in flight counts before its GET shows in the headers", async () => {
  // 10 left and a reserve of 10: one pull may go, after it the quota is under the reserve.
  const server = await startFaultServer({ kind: "rate-limited", limit: 100, remaining: 10, windowSeconds: WINDOW, source: SOURCE }, [
    { repo: "library/busybox", tag: "1.36", image: hubImage },
    { repo: "library/alpine", tag: "3", image: buildImage({ label: "hub-2" }) },
  ]);
  servers.push(server);
  const tracker = new QuotaTracker();
  const images = [`${server.host}/library/busybox:1.36`, `${server.host}/library/alpine:3`];
  const statuses = await prepullRound(
    images.map((image) => ({ image })),
    roundOptions(lab, client, {
      concurrency: 2,
      dockerHubDomains: [server.host],
      quota: { latest: () => tracker.latest(), reserve: 10 },
      onRateLimit: tracker.recordRateLimit,
    }),
  );
  assert.deepEqual(statuses.map((s) => s.action).sort(), ["deferred", "pulled"], JSON.stringify(statuses, null, 2));
  assert.equal(manifestGets(server), 1);
  for (const image of images) await client.removeImage(image);
});

test("a 429 on the HEAD defers a Docker Hub image and records the quota it saw", async () => {
  const server = await hub(0);
  const [s] = await prepullRound([{ image: `${server.host}/library/busybox:1.36` }], roundOptions(lab, client, { dockerHubDomains: [server.host] }));
  assert.equal(s?.action, "deferred", JSON.stringify(s));
  assert.equal(s?.state, "deferred");
  assert.equal(s?.cause, "rate-limited");
  assert.match(s?.summary ?? "", /0 of 100 pulls left/);
  assert.equal(s?.attempts, 0);
});

test("the same 429 from a registry that is not Docker Hub is a failure, not a wait", async () => {
  const server = await hub(0);
  const [s] = await prepullRound([{ image: `${server.host}/library/busybox:1.36` }], roundOptions(lab, client));
  assert.equal(s?.action, "failed", JSON.stringify(s));
  assert.equal(s?.cause, "rate-limited");
});
