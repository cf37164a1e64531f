import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type FaultServer, startFaultServer } from "../lab/faults.js";
import { buildImage, buildIndex, type Lab, nodePlatform, startLab } from "../lab/index.js";
import { closedPort } from "../support/net.js";
import { diagnose, expectCause, plainHttpHosts, step } from "./diagnose-support.js";

// Every diagnosis here talks to a real registry (the lab's CNCF distribution) or, for what
// cannot run here (Docker Hub's quota, a failing load balancer, a stalled or slow server), to
// our small fault server that answers as those do.

let lab: Lab;
let hosts: string;
const faults: FaultServer[] = [];
const other = nodePlatform().architecture === "arm64" ? { os: "linux", architecture: "amd64" } : { os: "linux", architecture: "arm64", variant: "v8" };

before(async () => {
  lab = await startLab();
  hosts = lab.hostsDir;
  const app = buildImage({ files: { "app/run": "run" }, padBytes: 64 * 1024, label: "app" });
  for (const tag of ["1.27.3", "1.27.4", "latest", "stable"]) await lab.push(app, `shop/app:${tag}`);
  await lab.push(buildIndex([buildImage({ label: "only-other", platform: other })]), "shop/foreign:1.0");
  await lab.push(buildIndex([buildImage({ label: "multi-node" }), buildImage({ label: "multi-other", platform: other })]), "shop/multi:1.0");
});

after(async () => {
  await Promise.all(faults.map((f) => f.stop()));
  await lab?.stop();
});

test("a healthy image: ok, with every step timed and passing, and the runtime's free space", async () => {
  const r = await diagnose(`${lab.registry.host}/shop/app:1.27.4`, "--hosts-dir", hosts, "--cri-endpoint", lab.criEndpoint);
  expectCause(r, "ok");
  for (const check of ["reference", "hosts", "dns", "tcp", "ping", "auth", "manifest", "platform", "disk", "throughput"]) {
    assert.equal(step(r.d, check).ok, true, check);
  }
  assert.equal(step(r.d, "disk").skipped, undefined, "the disk step ran against the lab's image filesystem");
  assert.match(step(r.d, "disk").detail, /free on \/tmp\/pm-lab-/);
  assert.equal(r.d.registry, lab.registry.host);
  assert.deepEqual(r.d.fix, []);
});

test("a multi-platform index resolves to this node's platform", async () => {
  const r = await diagnose(`${lab.registry.host}/shop/multi:1.0`, "--hosts-dir", hosts);
  expectCause(r, "ok");
  assert.match(step(r.d, "platform").detail, /matches this node/);
});

test("--pull also pulls through the runtime, and the image is then on the node", async () => {
  const ref = `${lab.registry.host}/shop/app:stable`;
  const r = await diagnose(ref, "--hosts-dir", hosts, "--cri-endpoint", lab.criEndpoint, "--pull");
  expectCause(r, "ok");
  assert.match(step(r.d, "pull").detail, /pulled it: sha256:/);
  assert.match(await lab.ctr("images", "ls", "-q"), new RegExp(ref.replace(/[.]/g, "\\.")));
});

test("a missing tag: not-found, the closest existing tags, and a set-image fix with the best one", async () => {
  const image = `${lab.registry.host}/shop/app:1.27.9`;
  const r = await diagnose(image, "--hosts-dir", hosts);
  expectCause(r, "not-found");
  const tags = step(r.d, "tags");
  assert.deepEqual((tags.data?.["suggestions"] as string[] | undefined)?.slice(0, 2), ["1.27.4", "1.27.3"]);
  assert.ok(r.d.fix[0]?.includes(`=${lab.registry.host}/shop/app:1.27.4`), r.d.fix[0]);
});

test("a tag one edit away from an existing one is suggested", async () => {
  const r = await diagnose(`${lab.registry.host}/shop/app:lastest`, "--hosts-dir", hosts);
  expectCause(r, "not-found");
  assert.equal((step(r.d, "tags").data?.["suggestions"] as string[] | undefined)?.[0], "latest");
});

test("a missing repository: not-found, and says the repository does not exist", async () => {
  const r = await diagnose(`${lab.registry.host}/shop/nosuchapp:1.0`, "--hosts-dir", hosts);
  expectCause(r, "not-found");
  assert.match(step(r.d, "tags").detail, /repository shop\/nosuchapp does not exist/);
});

test("an uppercase repository: invalid-reference naming the problem, and nothing is sent anywhere", async () => {
  const r = await diagnose(`${lab.registry.host}/Shop/App:1.0`, "--hosts-dir", hosts);
  expectCause(r, "invalid-reference");
  assert.match(r.d.summary, /lowercase/);
  assert.deepEqual(
    r.d.evidence.map((e) => e.check),
    ["reference"],
  );
});

test("an index without this node's platform: platform-mismatch listing what it offers", async () => {
  const r = await diagnose(`${lab.registry.host}/shop/foreign:1.0`, "--hosts-dir", hosts);
  expectCause(r, "platform-mismatch");
  assert.ok(r.d.summary.includes(`${other.os}/${other.architecture}`), r.d.summary);
  assert.deepEqual(step(r.d, "platform").data?.["available"], [[other.os, other.architecture, other.variant].filter(Boolean).join("/")]);
});

test("--platform checks for another node's platform", async () => {
  const p = [other.os, other.architecture, other.variant].filter(Boolean).join("/");
  const r = await diagnose(`${lab.registry.host}/shop/foreign:1.0`, "--hosts-dir", hosts, "--platform", p);
  expectCause(r, "ok");
});

test("a host that does not resolve: dns", async () => {
  const r = await diagnose("registry.pullmedic-test.invalid/shop/app:1.0", "--hosts-dir", hosts);
  expectCause(r, "dns");
  assert.match(step(r.d, "dns").detail, /registry\.pullmedic-test\.invalid/);
  assert.ok(r.d.fix.some((f) => f.includes("getent hosts registry.pullmedic-test.invalid")));
});

test("a port with nothing listening: connection-refused", async () => {
  const port = await closedPort();
  const r = await diagnose(`127.0.0.1:${port}/shop/app:1.0`, "--hosts-dir", plainHttpHosts(`127.0.0.1:${port}`));
  expectCause(r, "connection-refused");
  assert.equal(step(r.d, "tcp").ok, false);
});

test("a server that accepts and stalls: network-timeout within --timeout", async () => {
  const f = await startFaultServer({ kind: "stall" });
  faults.push(f);
  const r = await diagnose(`${f.host}/shop/app:1.0`, "--hosts-dir", plainHttpHosts(f.host), "--timeout", "2");
  expectCause(r, "network-timeout");
  assert.equal(step(r.d, "ping").ok, false);
});

test("a registry answering 503: registry-unavailable", async () => {
  const f = await startFaultServer({ kind: "unavailable", status: 503 });
  faults.push(f);
  const r = await diagnose(`${f.host}/shop/app:1.0`, "--hosts-dir", plainHttpHosts(f.host));
  expectCause(r, "registry-unavailable");
  assert.match(r.d.summary, /503/);
});

test("Docker-Hub-like 429 with quota headers: rate-limited, with limit, remaining, window and source", async () => {
  const image = buildImage({ label: "hub" });
  const f = await startFaultServer({ kind: "rate-limited", limit: 100, remaining: 0, windowSeconds: 21600, source: "192.0.2.1" }, [
    { repo: "library/nginx", tag: "1.27", image },
  ]);
  faults.push(f);
  const r = await diagnose(`${f.host}/library/nginx:1.27`, "--hosts-dir", plainHttpHosts(f.host));
  expectCause(r, "rate-limited");
  assert.match(r.d.summary, /0 of 100 pulls left per 6 h window for source 192\.0\.2\.1/);
});

test("blobs that trickle: pull-timeout predicted from the throughput sample", async () => {
  const image = buildImage({ padBytes: 4 * 1024 * 1024, label: "slow" });
  const f = await startFaultServer({ kind: "trickle", bytesPerSecond: 64 * 1024 }, [{ repo: "shop/slow", tag: "1.0", image }]);
  faults.push(f);
  const r = await diagnose(`${f.host}/shop/slow:1.0`, "--hosts-dir", plainHttpHosts(f.host), "--pull-deadline", "20");
  expectCause(r, "pull-timeout");
  const t = step(r.d, "throughput");
  assert.ok((t.data?.["estimatedSeconds"] as number) > 20, JSON.stringify(t));
});

test("the text output shows progress per step, then cause, summary and fix", async () => {
  const { runPullmedic } = await import("../support/cli.js");
  const r = await runPullmedic(["diagnose", `${lab.registry.host}/shop/app:1.27.9`, "--hosts-dir", hosts]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^diagnosing .*shop\/app:1\.27\.9 for linux\//);
  assert.match(r.stdout, /^ {2}FAIL {2}manifest +\d+\.\d ms {2}/m);
  assert.match(r.stdout, /^cause: {3}not-found$/m);
  assert.match(r.stdout, /^fix:\n {2}\$ kubectl set image/m);
});
