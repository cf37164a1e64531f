import assert from "node:assert/strict";
import { test } from "node:test";

import { CAUSE_SUMMARY, CAUSES, isCause } from "../../agent/diagnose/causes.js";
import { classifyMessage, MAX_MESSAGE_CHARS, type MessageFacts, normalizeMessage } from "../../agent/diagnose/classify.js";
import { explainMessage } from "../../agent/diagnose/explain.js";
import { shellQuote } from "../../agent/diagnose/fix-commands.js";
import { formatDuration } from "../../core/text/index.js";

const D = "sha256:50aa4698fa6262977cff89181b2664b99d8a56dbca847bf62f2ef04854597cf8";

test("every cause has a one-sentence summary", () => {
  for (const cause of CAUSES) {
    const s = CAUSE_SUMMARY[cause];
    assert.ok(s.length > 10 && s.endsWith(".") && !s.slice(0, -1).includes(". "), `${cause}: ${s}`);
  }
  assert.equal(isCause("dns"), true);
  assert.equal(isCause("DNS"), false);
  assert.equal(isCause(undefined), false);
});

// --- normalization --------------------------------------------------------------------------

test("normalize drops gRPC wrappers and kubelet's prefix, unescapes quotes, joins lines", () => {
  assert.equal(
    normalizeMessage(
      `Failed to pull image "busybox": rpc error: code = Unknown desc = failed to pull and unpack image \\"docker.io/library/busybox:latest\\":\n  not found`,
    ),
    `failed to pull and unpack image "docker.io/library/busybox:latest": not found`,
  );
  assert.equal(normalizeMessage("secret “regcred” not found"), 'secret "regcred" not found');
  assert.equal(normalizeMessage("a\\\\b"), "a\\\\b", "backslashes not before a quote stay");
});

// --- facts ------------------------------------------------------------------------------------

interface FactCase {
  what: string;
  message: string;
  facts: MessageFacts;
}

const FACTS: readonly FactCase[] = [
  {
    what: "kubelet's image (as the pod spec wrote it) over containerd's normalized one, the gRPC code, the registry host",
    message: `Failed to pull image "busybox": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/busybox:latest": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/busybox/manifests/${D}: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit`,
    facts: { image: "busybox", grpcCode: "Unknown", host: "registry-1.docker.io", status: 429 },
  },
  {
    what: "image from a kubelet log line with escaped quotes",
    message: `E1019 08:42:32.241019  112327 remote_image.go:242] "PullImage from image service failed" err="rpc error: code = NotFound desc = failed to pull and unpack image \\"sealos.hub:5000/pause:3.8\\": failed to resolve reference \\"sealos.hub:5000/pause:3.8\\": sealos.hub:5000/pause:3.8: not found" image="sealos.hub:5000/pause:3.8"`,
    facts: { image: "sealos.hub:5000/pause:3.8", grpcCode: "NotFound" },
  },
  {
    what: "image from Back-off alone",
    message: `Back-off pulling image "registry.example.com/team/app:2.0"`,
    facts: { image: "registry.example.com/team/app:2.0" },
  },
  {
    what: "the host that did not resolve, not the resolver's address",
    message: `failed to do request: Head "https://registry.example.com/v2/team/app/manifests/1.0": dial tcp: lookup registry.example.com on 10.96.0.10:53: no such host`,
    facts: { host: "registry.example.com" },
  },
  {
    what: "host with port from the request URL",
    message: `unexpected status from HEAD request to https://registry.example.com:5000/v2/team/app/manifests/1.0: 401 Unauthorized`,
    facts: { host: "registry.example.com:5000", status: 401 },
  },
  {
    what: "documentation links in the error text are not where the pull went",
    message: `unauthorized: authentication required, visit https://aka.ms/acr/authorization for more information.`,
    facts: {},
  },
  {
    what: "CRI-O names tag and repository apart; the pinged registry is the host",
    message: `Error: initializing source docker://quay.io/org/app:v9.9: reading manifest v9.9 in quay.io/org/app: manifest unknown`,
    facts: { image: "quay.io/org/app:v9.9" },
  },
  {
    what: "CRI-O's reading-manifest form alone",
    message: `reading manifest v9.9 in quay.io/org/app: manifest unknown`,
    facts: { image: "quay.io/org/app:v9.9" },
  },
  {
    what: "quota headers when the message carries them",
    message: `429 Too Many Requests ratelimit-limit: 100;w=21600 ratelimit-remaining: 0;w=21600 docker-ratelimit-source: 192.0.2.1`,
    facts: { status: 429, rateLimit: { limit: 100, remaining: 0, windowSeconds: 21600 } },
  },
  {
    what: "certificate names and the host that was wanted",
    message: `x509: certificate is valid for ingress.local, *.apps.example.com, not registry.example.com`,
    facts: { certificateNames: ["ingress.local", "*.apps.example.com"], host: "registry.example.com" },
  },
  {
    what: "platform from Docker's wording",
    message: `Error response from daemon: no matching manifest for linux/arm64/v8 in the manifest list entries: no match for platform in manifest: not found`,
    facts: { platform: "linux/arm64/v8" },
  },
  {
    what: "platform from containers/image's wording, empty variant dropped",
    message: `no image found in image index for architecture "amd64", variant "", OS "linux"`,
    facts: { platform: "linux/amd64" },
  },
  {
    what: "platform from old containerd",
    message: `no match for current platform linux/arm/v7 in manifest ${D}: not found`,
    facts: { platform: "linux/arm/v7" },
  },
  {
    what: "the platform Docker wanted",
    message: `image with reference arm64v8/alpine was found but does not match the specified platform: wanted linux/amd64, actual: linux/arm64/v8`,
    facts: { platform: "linux/amd64" },
  },
  {
    what: "pull secrets kubelet could not read",
    message: `Unable to retrieve some image pull secrets (ghcr-secret, regcred); attempting to pull the image may not succeed.`,
    facts: { secretNames: ["ghcr-secret", "regcred"] },
  },
  {
    what: "pull secret from the older kubelet wording",
    message: `Unable to retrieve pull secret kube-system/bluemix-default-secret-international for kube-system/ibm-vpc-block-csi-controller-0 due to secret "bluemix-default-secret-international" not found.  The image pull may not succeed.`,
    facts: { secretNames: ["bluemix-default-secret-international"] },
  },
  {
    what: "an IPv6 registry keeps its brackets",
    message: `failed to do request: Head "https://[fd00::5]:5000/v2/app/manifests/1": dial tcp [fd00::5]:5000: connect: connection refused`,
    facts: { host: "[fd00::5]:5000" },
  },
  {
    what: "the invalid image kubelet quoted, spaces and all",
    message: `Failed to apply default image tag "THIS IS NOT A VALID IMAGE REFERENCE!!": couldn't parse image name "THIS IS NOT A VALID IMAGE REFERENCE!!": invalid reference format`,
    facts: { image: "THIS IS NOT A VALID IMAGE REFERENCE!!" },
  },
];

test("facts are read from the message", () => {
  for (const f of FACTS) assert.deepEqual(classifyMessage(f.message).facts, f.facts, f.what);
});

test("a host that is not a host name never becomes a fact", () => {
  const facts = classifyMessage(`failed to do request: Head "https://$(reboot)/v2/x/manifests/1": dial tcp: lookup \`id\`: no such host`).facts;
  assert.equal(facts.host, undefined);
});

// --- robustness -------------------------------------------------------------------------------

test("empty, whitespace and non-string input are unknown, never an exception", () => {
  for (const input of ["", " ", "\n\t", undefined, null, 42, {}, Symbol("x")]) {
    const c = classifyMessage(input as unknown as string);
    assert.equal(c.cause, "unknown");
    assert.equal(c.ruleId, undefined);
    const e = explainMessage(input as unknown as string);
    assert.equal(e.cause, "unknown");
    assert.ok(e.fix.length > 0);
  }
});

test("over-long messages keep both ends: the image at the head, the cause at the tail", () => {
  const message = `Failed to pull image "app:1": ${"filler ".repeat(MAX_MESSAGE_CHARS / 4)}dial tcp: lookup registry.example.com: no such host`;
  const c = classifyMessage(message);
  assert.equal(c.cause, "dns");
  assert.equal(c.facts.image, "app:1");
  assert.equal(c.facts.host, "registry.example.com");
});

// --- explain ------------------------------------------------------------------------------------

function includesAll(list: string[], ...parts: string[]): void {
  for (const part of parts)
    assert.ok(
      list.some((f) => f.includes(part)),
      `expected a fix containing ${JSON.stringify(part)} in\n${list.join("\n")}`,
    );
}

test("not-found: correct the tag of the real image, then confirm from the node", () => {
  const e = explainMessage(
    `Failed to pull image "ghcr.io/alexsjones/sympozium/apiserver:v0.0.29": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/alexsjones/sympozium/apiserver:v0.0.29": failed to resolve reference "ghcr.io/alexsjones/sympozium/apiserver:v0.0.29": ghcr.io/alexsjones/sympozium/apiserver:v0.0.29: not found`,
  );
  assert.equal(e.cause, "not-found");
  assert.equal(e.rule, "containerd-resolve-not-found");
  assert.equal(e.summary, "The registry has no ghcr.io/alexsjones/sympozium/apiserver:v0.0.29: the repository, tag or digest does not exist.");
  includesAll(
    e.fix,
    "pullmedic diagnose ghcr.io/alexsjones/sympozium/apiserver:v0.0.29",
    "kubectl set image deployment/<deployment> <container>=ghcr.io/alexsjones/sympozium/apiserver:<existing-tag> -n <namespace>",
  );
});

test("auth-required on Docker Hub: says the answer is ambiguous and offers both ways out", () => {
  const e = explainMessage(
    `failed to pull and unpack image "docker.io/library/coscupweb-base:21.07.08": failed to resolve reference "docker.io/library/coscupweb-base:21.07.08": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
  );
  assert.equal(e.cause, "auth-required");
  assert.match(e.summary, /^Docker Hub refused docker\.io\/library\/coscupweb-base:21\.07\.08: it is private or it does not exist/);
  assert.match(e.fix[0] ?? "", /^pullmedic diagnose docker\.io\/library\/coscupweb-base:21\.07\.08 {2}#/);
  includesAll(
    e.fix,
    "kubectl create secret docker-registry regcred --docker-server=https://index.docker.io/v1/ --docker-username=<username> --docker-password=<password-or-token> -n <namespace>",
    `kubectl patch serviceaccount default -n <namespace> -p '{"imagePullSecrets":[{"name":"regcred"}]}'`,
  );
});

test("auth-required on ECR: the secret uses the registry host and a fresh ECR password for its region", () => {
  const e = explainMessage(
    `Failed to pull image "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.4": rpc error: code = Unknown desc = failed to pull and unpack image "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.4": failed to resolve reference "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.4": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`,
  );
  assert.equal(e.rule, "containerd-no-basic-auth");
  includesAll(
    e.fix,
    `--docker-server=123456789012.dkr.ecr.eu-west-1.amazonaws.com --docker-username=AWS --docker-password="$(aws ecr get-login-password --region eu-west-1)"`,
    "pullmedic diagnose 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.4",
  );
});

test("auth-denied with an expired ECR token: refresh the secret in place", () => {
  const e = explainMessage(
    `failed to pull and unpack image "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.4": failed to resolve reference "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.4": unexpected status from HEAD request to https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/app/manifests/1.4: 403 Forbidden\ndenied: Your authorization token has expired. Reauthenticate and try again.`,
  );
  assert.equal(e.cause, "auth-denied");
  assert.match(e.summary, /expired/);
  includesAll(e.fix, "aws ecr get-login-password --region us-east-1", "--dry-run=client -o yaml | kubectl apply -f -");
});

test("secret-invalid: checks the named secret", () => {
  const e = explainMessage(`Unable to retrieve some image pull secrets (ghcr-secret); attempting to pull the image may not succeed.`);
  assert.equal(e.cause, "secret-invalid");
  assert.match(e.summary, /ghcr-secret/);
  includesAll(e.fix, "kubectl get secret ghcr-secret -n <namespace>", "kubectl create secret docker-registry ghcr-secret");
});

test("rate-limited: the quota in the summary when the message carries it, Hub credentials and a mirror in the fix", () => {
  const e = explainMessage(
    `Failed to pull image "nginx:1.27": unexpected status from GET request to https://registry-1.docker.io/v2/library/nginx/manifests/${D}: 429 Too Many Requests ratelimit-limit: 100;w=21600 ratelimit-remaining: 0;w=21600 toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit`,
  );
  assert.equal(e.cause, "rate-limited");
  assert.equal(e.summary, "Docker Hub refused the pull: rate limit reached (0 of 100 left in a 6 h window).");
  includesAll(e.fix, "--docker-server=https://index.docker.io/v1/", "/etc/containerd/certs.d/docker.io/hosts.toml", "pullmedic diagnose nginx:1.27");
});

test("dns: look the host up the way the node does", () => {
  const e = explainMessage(
    `Failed to pull image "registry.example.com/team/app:1.0": rpc error: code = Unknown desc = failed to pull and unpack image "registry.example.com/team/app:1.0": failed to resolve reference "registry.example.com/team/app:1.0": failed to do request: Head "https://registry.example.com/v2/team/app/manifests/1.0": dial tcp: lookup registry.example.com on 10.96.0.10:53: no such host`,
  );
  assert.equal(e.summary, "The node cannot resolve registry.example.com.");
  includesAll(e.fix, "getent hosts registry.example.com", "nslookup registry.example.com", "pullmedic diagnose registry.example.com/team/app:1.0");
});

test("dns without a host in the message falls back to the image's registry", () => {
  const e = explainMessage(`Failed to pull image "nginx:1.27": Temporary failure in name resolution`);
  includesAll(e.fix, "getent hosts registry-1.docker.io");
});

test("network-timeout through a proxy: look at containerd's proxy settings first", () => {
  const e = explainMessage(
    `error pinging docker registry registry-1.docker.io: Get "https://registry-1.docker.io/v2/": proxyconnect tcp: dial tcp: lookup http: Temporary failure in name resolution`,
  );
  assert.equal(e.cause, "network-timeout");
  assert.match(e.fix[0] ?? "", /^systemctl show --property=Environment containerd/);
  includesAll(e.fix, "curl -sv --max-time 10 https://registry-1.docker.io/v2/");
});

test("connection-refused: probe the port that refused", () => {
  const e = explainMessage(`failed to do request: Head "https://localhost:5000/v2/app/manifests/1.0": dial tcp [::1]:5000: connect: connection refused`);
  includesAll(e.fix, "nc -vz -w 5 localhost 5000", "https://localhost:5000/v2/");
});

test("tls, unknown authority: a hosts.toml that trusts the registry's CA", () => {
  const e = explainMessage(
    `failed to pull and unpack image "harbor.corp.example/library/app:2.1": failed to resolve reference "harbor.corp.example/library/app:2.1": failed to do request: Head "https://harbor.corp.example/v2/library/app/manifests/2.1": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
  );
  assert.equal(e.summary, "The certificate of harbor.corp.example is signed by a CA this node does not trust.");
  includesAll(
    e.fix,
    "/etc/containerd/certs.d/harbor.corp.example/hosts.toml",
    'ca = "/etc/containerd/certs.d/harbor.corp.example/ca.crt"',
    "openssl s_client -connect harbor.corp.example:443 -servername harbor.corp.example -showcerts",
    "pullmedic diagnose harbor.corp.example/library/app:2.1",
  );
});

test("tls, plain HTTP registry: a hosts.toml that speaks HTTP to it", () => {
  const e = explainMessage(
    `Failed to pull image "localhost:7439/docker.io/xxxsoftware/xxx-redis:2023.1.2": rpc error: code = Unknown desc = failed to pull and unpack image "localhost:7439/docker.io/xxxsoftware/xxx-redis:2023.1.2": failed to resolve reference "localhost:7439/docker.io/xxxsoftware/xxx-redis:2023.1.2": failed to do request: Head "https://localhost:7439/v2/docker.io/xxxsoftware/xxx-redis/manifests/2023.1.2": http: server gave HTTP response to HTTPS client`,
  );
  assert.equal(e.summary, "localhost:7439 speaks plain HTTP but the runtime expected HTTPS.");
  includesAll(e.fix, "/etc/containerd/certs.d/localhost:7439/hosts.toml", 'server = "http://localhost:7439"');
});

test("tls, wrong host: names the certificate's names", () => {
  const e = explainMessage(`Get "https://localhost/v2/": tls: failed to verify certificate: x509: certificate is valid for *.apps-crc.testing, not localhost`);
  assert.equal(e.summary, "The certificate of localhost is for *.apps-crc.testing, not for localhost.");
  includesAll(e.fix, "openssl x509 -noout -ext subjectAltName");
});

test("disk-full: what the disk holds, then crictl's prune with its caveat", () => {
  const e = explainMessage(
    `Failed to pull image "postgres:16": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/postgres:16": failed to extract layer ${D}: write /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/9/fs/usr/lib/x: no space left on device: unknown`,
  );
  includesAll(e.fix, "pullmedic disk", "crictl rmi --prune  # caveat", "pullmedic diagnose postgres:16");
});

test("never-pull: change the policy or put the image on the node", () => {
  const e = explainMessage(`Container image "log-pipeline-api:latest" is not present with pull policy of Never`);
  assert.equal(e.summary, "log-pipeline-api:latest is not on the node and the pod's imagePullPolicy is Never.");
  includesAll(e.fix, `"imagePullPolicy":"IfNotPresent"`, "crictl pull log-pipeline-api:latest");
});

test("invalid-reference: suggests the name with its repository lower-cased, tag untouched", () => {
  const e = explainMessage(
    `Failed to apply default image tag "DUMMY_IMAGE:TEST": couldn't parse image reference "DUMMY_IMAGE:TEST": invalid reference format: repository name must be lowercase`,
  );
  assert.match(e.summary, /^DUMMY_IMAGE:TEST is not a valid image reference: /);
  includesAll(e.fix, "<container>=dummy_image:TEST", "pullmedic diagnose dummy_image:TEST");
  const host = explainMessage(
    `Failed to apply default image tag "Registry.Example.com/Team/App:V1": couldn't parse image reference "Registry.Example.com/Team/App:V1": invalid reference format: repository name must be lowercase`,
  );
  includesAll(host.fix, "<container>=Registry.Example.com/team/app:V1");
});

test("invalid-reference on CRI-O's short names: the fully qualified name", () => {
  const e = explainMessage(
    `short-name "nginx:latest" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"`,
  );
  includesAll(e.fix, "<container>=docker.io/library/nginx:latest", "pullmedic diagnose docker.io/library/nginx:latest");
});

test("platform-mismatch: the wanted platform goes into the build command", () => {
  const e = explainMessage(
    `Failed to pull image "ghcr.io/org/app:1": image with reference ghcr.io/org/app:1 was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64`,
  );
  assert.equal(e.summary, "ghcr.io/org/app:1 has no variant for linux/arm64.");
  includesAll(e.fix, "docker buildx build --platform linux/arm64 -t ghcr.io/org/app:1 --push .", "pullmedic diagnose ghcr.io/org/app:1");
});

test("pull-timeout: pre-pull, and where the progress timeout is set", () => {
  const e = explainMessage(
    `Failed to pull image "pytorch/pytorch:2.3.0": rpc error: code = Canceled desc = failed to pull and unpack image "docker.io/pytorch/pytorch:2.3.0": context canceled`,
  );
  assert.equal(e.cause, "pull-timeout");
  includesAll(e.fix, "crictl pull pytorch/pytorch:2.3.0", "image_pull_progress_timeout");
});

test("registry-unavailable: the status is in the summary", () => {
  const e = explainMessage(`unexpected status from HEAD request to https://registry.example.com/v2/team/app/manifests/1.0: 503 Service Unavailable`);
  assert.equal(e.summary, "registry.example.com answered HTTP 503; the registry side is failing, not this node.");
  includesAll(e.fix, "https://registry.example.com/v2/");
});

test("Back-off alone is unknown, says kubelet is waiting, and still names the next step", () => {
  const e = explainMessage(`Back-off pulling image "nginx:1.99"`);
  assert.equal(e.cause, "unknown");
  assert.equal(e.rule, undefined);
  assert.match(e.summary, /waiting before it tries nginx:1\.99 again/);
  includesAll(e.fix, "pullmedic diagnose nginx:1.99", "kubectl describe pod <pod>");
});

test("unknown without an image keeps the placeholder", () => {
  const e = explainMessage("Error: ErrImagePull");
  assert.equal(e.cause, "unknown");
  includesAll(e.fix, "pullmedic diagnose <image>");
});

test("values from the message are shell-quoted in fix commands", () => {
  assert.equal(shellQuote("nginx:1.27"), "nginx:1.27");
  assert.equal(shellQuote("a b"), "'a b'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  const e = explainMessage(`Failed to apply default image tag "a;$(reboot) b": couldn't parse image reference "a;$(reboot) b": invalid reference format`);
  for (const f of e.fix) {
    if (!f.includes("$(reboot)")) continue;
    assert.ok(f.includes(`'a;$(reboot) b'`), `quoted in: ${f}`);
  }
  includesAll(e.fix, `pullmedic diagnose 'a;$(reboot) b'`);
});

test("windows read like a person says them", () => {
  assert.deepEqual(
    [21600, 3600, 900, 45].map((s) => formatDuration(s * 1000)),
    ["6 h", "1 h", "15 min", "45 s"],
  );
});

test("every explanation names a next step that checks from the node", () => {
  const messages = [
    `Failed to pull image "a.example/x:1": dial tcp 10.0.0.1:443: i/o timeout`,
    `Failed to pull image "a.example/x:1": 502 Bad Gateway`,
    `Failed to pull image "a.example/x:1": 401 Unauthorized`,
    `Failed to pull image "a.example/x:1": denied: denied`,
    `Failed to pull image "a.example/x:1": context deadline exceeded`,
    `Failed to pull image "a.example/x:1": no match for platform in manifest: not found`,
    `Failed to pull image "a.example/x:1": manifest unknown`,
    `Failed to pull image "a.example/x:1": x509: certificate has expired or is not yet valid`,
    `Failed to pull image "a.example/x:1": remote error: tls: handshake failure`,
    `Failed to pull image "a.example/x:1": connect ECONNREFUSED 10.0.0.1:443`,
    `Failed to pull image "a.example/x:1": toomanyrequests: slow down`,
    `Failed to pull image "a.example/x:1": invalid decoded auth: "x"`,
  ];
  for (const m of messages) {
    const e = explainMessage(m);
    assert.notEqual(e.cause, "unknown", m);
    includesAll(e.fix, "pullmedic diagnose a.example/x:1");
    assert.ok(!e.fix.some((f) => f.includes("undefined")), `no "undefined" in fixes for ${m}`);
    assert.ok(!e.summary.includes("undefined"), e.summary);
  }
});
