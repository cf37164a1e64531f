import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContainerSpec, Pod } from "../../agent/kube/types.js";
import { hygieneRisks, type SecretLookup } from "../../agent/podwatch/hygiene.js";

const DIGEST = `sha256:${"c".repeat(64)}`;
const none = new Map<string, SecretLookup>();

function pod(containers: ContainerSpec[], extra: { secrets?: string[]; owned?: boolean; imageID?: string; init?: ContainerSpec[] } = {}): Pod {
  const p: Pod = {
    metadata: { name: "web-7d9f8-abcde", namespace: "shop", labels: { "pod-template-hash": "7d9f8" } },
    spec: { containers },
  };
  if (extra.owned !== false) p.metadata.ownerReferences = [{ kind: "ReplicaSet", name: "web-7d9f8" }];
  if (extra.secrets) p.spec.imagePullSecrets = extra.secrets.map((name) => ({ name }));
  if (extra.init) p.spec.initContainers = extra.init;
  if (extra.imageID) p.status = { containerStatuses: [{ name: containers[0]!.name, imageID: extra.imageID, state: { running: {} } }] };
  return p;
}

const kinds = (p: Pod, secrets = none) => hygieneRisks(p, secrets).map((r) => r.kind);

test("a pinned version pulled if not present is no risk", () => {
  assert.deepEqual(kinds(pod([{ name: "api", image: "ghcr.io/shop/api:v2", imagePullPolicy: "IfNotPresent" }])), []);
  assert.deepEqual(kinds(pod([{ name: "api", image: `nginx@${DIGEST}`, imagePullPolicy: "IfNotPresent" }])), []);
});

test("latest or no tag is a moving target; a digest makes it fine", () => {
  const [risk] = hygieneRisks(pod([{ name: "api", image: "ghcr.io/shop/api", imagePullPolicy: "IfNotPresent" }]), none);
  assert.equal(risk?.kind, "latest-tag");
  assert.equal(risk?.pod, "shop/web-7d9f8-abcde");
  assert.equal(risk?.container, "api");
  assert.match(risk?.message ?? "", /has no tag, so it means latest/);
  assert.equal(risk?.fix, "kubectl -n shop set image deploy/web api=ghcr.io/shop/api@sha256:<digest>", "the Deployment is found behind its ReplicaSet");
  assert.deepEqual(kinds(pod([{ name: "api", image: `ghcr.io/shop/api:latest@${DIGEST}`, imagePullPolicy: "IfNotPresent" }])), []);
});

test("the pin fix uses the digest the node runs when it knows it", () => {
  const p = pod([{ name: "api", image: "ghcr.io/shop/api:latest", imagePullPolicy: "IfNotPresent" }], { imageID: `ghcr.io/shop/api@${DIGEST}` });
  assert.equal(hygieneRisks(p, none)[0]?.fix, `kubectl -n shop set image deploy/web api=ghcr.io/shop/api@${DIGEST}`);
});

test("without a known owner the fix is words, not a command", () => {
  const [risk] = hygieneRisks(pod([{ name: "api", image: "ghcr.io/shop/api:latest", imagePullPolicy: "IfNotPresent" }], { owned: false }), none);
  assert.doesNotMatch(risk?.fix ?? "", /^kubectl/);
  assert.match(risk?.fix ?? "", /pin a version tag or a digest/);
});

test("Always against Docker Hub spends quota on restarts, whether set or defaulted", () => {
  const explicit = hygieneRisks(pod([{ name: "api", image: "nginx:1.27", imagePullPolicy: "Always" }]), none);
  assert.deepEqual(
    explicit.map((r) => r.kind),
    ["always-pull-docker-hub"],
  );
  assert.match(explicit[0]?.message ?? "", /can spend Docker Hub pull quota on restarts/);
  assert.equal(
    explicit[0]?.fix,
    `kubectl -n shop patch deploy/web -p '{"spec":{"template":{"spec":{"containers":[{"name":"api","imagePullPolicy":"IfNotPresent"}]}}}}'`,
  );

  const defaulted = hygieneRisks(pod([{ name: "api", image: "nginx" }]), none);
  assert.deepEqual(
    defaulted.map((r) => r.kind),
    ["latest-tag", "always-pull-docker-hub"],
  );
  assert.match(defaulted[1]?.message ?? "", /defaults to Always/);

  assert.deepEqual(kinds(pod([{ name: "api", image: "nginx:1.27" }])), [], "a pinned tag defaults to IfNotPresent");
  assert.deepEqual(kinds(pod([{ name: "api", image: "ghcr.io/shop/api:v2", imagePullPolicy: "Always" }])), [], "other registries have no such quota");
});

test("init containers are checked too; a patch for them names initContainers", () => {
  const risks = hygieneRisks(
    pod([{ name: "api", image: "ghcr.io/shop/api:v2" }], { init: [{ name: "wait", image: "busybox:1.36", imagePullPolicy: "Always" }] }),
    none,
  );
  assert.deepEqual(
    risks.map((r) => [r.kind, r.container]),
    [["always-pull-docker-hub", "wait"]],
  );
  assert.match(risks[0]?.fix ?? "", /"initContainers":\[\{"name":"wait"/);
});

test("invalid image strings are reported, never thrown", () => {
  for (const image of ["Shop/API:v2", "", "nginx:", "https://ghcr.io/a:1", "a@sha256:short", " nginx"]) {
    const risks = hygieneRisks(pod([{ name: "api", image }]), none);
    assert.deepEqual(
      risks.map((r) => r.kind),
      ["invalid-reference"],
      image,
    );
    assert.ok((risks[0]?.message ?? "").includes("not a valid reference"));
  }
});

test("a missing pull secret, and one that only exists in another namespace", () => {
  const secrets = new Map<string, SecretLookup>([
    ["regcred", { state: "missing", elsewhere: ["default"] }],
    ["ghcr", { state: "missing" }],
    ["ok", { state: "found" }],
    ["hidden", { state: "unreadable", reason: "forbidden" }],
  ]);
  const risks = hygieneRisks(pod([{ name: "api", image: "ghcr.io/shop/api:v2" }], { secrets: ["regcred", "ghcr", "ok", "hidden", "unchecked"] }), secrets);
  assert.deepEqual(
    risks.map((r) => [r.kind, r.secret]),
    [
      ["secret-other-namespace", "regcred"],
      ["secret-missing", "ghcr"],
    ],
  );
  assert.match(risks[0]?.message ?? "", /Secrets are namespaced/);
  assert.equal(
    risks[0]?.fix,
    `kubectl -n default get secret regcred -o json | jq '{apiVersion, kind, type, data, metadata: {name: .metadata.name}}' | kubectl -n shop apply -f -`,
  );
  assert.equal(risks[1]?.fix, "kubectl -n shop create secret docker-registry ghcr --docker-server=ghcr.io --docker-username=<user> --docker-password=<token>");
});

test("a Secret of the same name in the pod's own namespace is not 'elsewhere'", () => {
  const secrets = new Map<string, SecretLookup>([["regcred", { state: "missing", elsewhere: ["shop"] }]]);
  assert.deepEqual(kinds(pod([{ name: "api", image: "ghcr.io/shop/api:v2" }], { secrets: ["regcred"] }), secrets), ["secret-missing"]);
});

test("ephemeral debug containers are not held to hygiene rules", () => {
  const p = pod([{ name: "api", image: "ghcr.io/shop/api:v2" }]);
  p.spec.ephemeralContainers = [{ name: "debugger", image: "busybox", imagePullPolicy: "Always" }];
  assert.deepEqual(kinds(p), []);
});
