import assert from "node:assert/strict";
import { test } from "node:test";
import type { ProviderCoverage } from "../../agent/diagnose/credential-provider/index.js";
import { explainMessage } from "../../agent/diagnose/explain.js";
import { fixCommands } from "../../agent/diagnose/fixes.js";

// explain with what the caller knows besides the message: the pod's names, a credential provider.

const ACR: ProviderCoverage = {
  provider: "acr-credential-provider",
  matchedBy: "*.azurecr.io",
  configPath: "/var/lib/kubelet/credential-provider-config.yaml",
  binDir: "/var/lib/kubelet/credential-provider",
  apiVersion: "credentialprovider.kubelet.k8s.io/v1",
  args: ["/etc/kubernetes/azure.json"],
  envNames: [],
  binaryPresent: true,
};

function includesAll(list: string[], ...parts: string[]): void {
  for (const part of parts)
    assert.ok(
      list.some((f) => f.includes(part)),
      `expected a fix containing ${JSON.stringify(part)} in\n${list.join("\n")}`,
    );
}

test("the pod's names replace every placeholder they can", () => {
  const e = explainMessage(`Container image "acme/batch-runner:2.0" is not present with pull policy of Never`, {
    names: { namespace: "batch", pod: "runner-0", container: "runner", workload: { kind: "statefulset", name: "runner" } },
  });
  includesAll(
    e.fix,
    `kubectl patch statefulset runner -n batch -p '{"spec":{"template":{"spec":{"containers":[{"name":"runner","imagePullPolicy":"IfNotPresent"}]}}}}'`,
  );
  const u = explainMessage("Error: ErrImagePull", { names: { namespace: "batch", pod: "runner-0" } });
  includesAll(u.fix, "kubectl describe pod runner-0 -n batch", "involvedObject.name=runner-0");
});

test("a pull secret the pod names is the one the fix checks and repairs", () => {
  const e = explainMessage(
    `failed to pull and unpack image "registry.example.com/team/app:1.0": failed to resolve reference "registry.example.com/team/app:1.0": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`,
    {
      names: { namespace: "team", secrets: ["team-registry"], serviceAccount: "builder" },
    },
  );
  includesAll(
    e.fix,
    "kubectl get secret team-registry -n team",
    "kubectl create secret docker-registry team-registry --docker-server=registry.example.com",
    "kubectl patch serviceaccount builder -n team",
  );
});

test("names that are not Kubernetes names stay placeholders", () => {
  const e = explainMessage(`Container image "x:1" is not present with pull policy of Never`, { names: { namespace: "a b", container: "$(id)" } });
  assert.ok(e.fix.some((f) => f.includes("-n <namespace>")) && !e.fix.some((f) => f.includes("$(id)")), e.fix.join("\n"));
});

test("non-confident answers say what else the words mean and check from the node first", () => {
  const e = explainMessage(`unexpected status from HEAD request to https://harbor.corp.example/v2/payments/ledger/manifests/5.4.0: 401 Unauthorized`);
  assert.equal(e.cause, "auth-required");
  assert.equal(e.confident, false);
  assert.deepEqual(e.alternatives, ["auth-denied"]);
  assert.match(e.summary, /cannot tell this from credentials that were refused/);
  assert.match(e.fix[0] ?? "", /^pullmedic diagnose /);
  const sure = explainMessage(`dial tcp: lookup registry.example.com: no such host`);
  assert.equal(sure.confident, true);
});

test("what the caller knows about credentials decides a bare 401 or DENIED", () => {
  const m = `Error response from daemon: Head "https://acmeprod.azurecr.io/v2/shop/cart/manifests/1.4": unauthorized: authentication required, visit https://aka.ms/acr/authorization for more information.`;
  assert.equal(explainMessage(m).cause, "auth-required");
  const sent = explainMessage(m, { credentials: "sent" });
  assert.equal(sent.cause, "auth-denied");
  assert.equal(sent.rule, "registry-unauthorized-credentials-sent");
  // The message's own words win over the caller's belief.
  assert.equal(
    explainMessage(`pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`, {
      credentials: "sent",
    }).cause,
    "auth-required",
  );
});

test("a credential provider covers the image: the plugin and the node identity, never a Secret", () => {
  const m = `failed to pull and unpack image "acmeprod.azurecr.io/shop/cart:1.4": failed to resolve reference "acmeprod.azurecr.io/shop/cart:1.4": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://acmeprod.azurecr.io/oauth2/token?scope=repository%3Ashop%2Fcart%3Apull&service=acmeprod.azurecr.io: 401 Unauthorized`;
  const e = explainMessage(m, { provider: ACR });
  assert.equal(e.cause, "auth-required");
  assert.match(
    e.summary,
    /^kubelet's credential provider acr-credential-provider \(matchImages \*\.azurecr\.io in \/var\/lib\/kubelet\/credential-provider-config\.yaml\) covers acmeprod\.azurecr\.io\/shop\/cart:1\.4, yet the pull went without accepted credentials: the plugin failed or returned nothing\./,
  );
  includesAll(
    e.fix,
    "journalctl -u kubelet",
    "cat /var/lib/kubelet/credential-provider-config.yaml",
    "/var/lib/kubelet/credential-provider/acr-credential-provider /etc/kubernetes/azure.json | jq",
    "AcrPull",
    "az acr show --name acmeprod",
  );
  assert.ok(!e.fix.some((f) => f.includes("kubectl create secret")), e.fix.join("\n"));
  const missing = explainMessage(m, { provider: { ...ACR, binaryPresent: false } });
  assert.match(missing.summary, /its executable \/var\/lib\/kubelet\/credential-provider\/acr-credential-provider is missing/);
  const denied = explainMessage(`unexpected status from HEAD request to https://acmeprod.azurecr.io/v2/shop/cart/manifests/1.4: 403 Forbidden`, {
    provider: ACR,
    credentials: "sent",
  });
  assert.match(denied.summary, /supplied for .* were refused: the node's cloud identity lacks pull access/);
  // Not an auth problem: the provider changes nothing.
  const dns = explainMessage(`dial tcp: lookup acmeprod.azurecr.io: no such host`, { provider: ACR });
  assert.equal(dns.summary, "The node cannot resolve acmeprod.azurecr.io.");
});

test("diagnose's fixes follow the provider too", () => {
  const fixes = fixCommands("auth-required", {
    image: "acmeprod.azurecr.io/shop/cart:1.4",
    domain: "acmeprod.azurecr.io",
    hostsDir: "/etc/containerd/certs.d",
    provider: ACR,
  });
  includesAll(fixes, "journalctl -u kubelet", "AcrPull");
  assert.ok(!fixes.some((f) => f.includes("kubectl create secret")));
  const plain = fixCommands("auth-required", {
    image: "acmeprod.azurecr.io/shop/cart:1.4",
    domain: "acmeprod.azurecr.io",
    hostsDir: "/etc/containerd/certs.d",
  });
  includesAll(plain, "kubectl create secret docker-registry regcred --docker-server=acmeprod.azurecr.io");
});

test("families without a label say what they are", () => {
  const e = explainMessage(`Failed to pull image "quay.io/acme/api:v2": Source image rejected: A signature was required, but no signature exists`);
  assert.equal(e.cause, "unknown");
  assert.equal(e.rule, undefined);
  assert.equal(e.hint, "signature-policy-rejected");
  assert.match(e.summary, /signature policy refused quay\.io\/acme\/api:v2/);
  includesAll(e.fix, "cat /etc/containers/policy.json", "skopeo inspect docker://quay.io/acme/api:v2");
});
