import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import {
  globMatch,
  matchesImage,
  ProviderConfigError,
  parseCredentialProviderConfig,
  providerCoverage,
  providerFor,
  readCredentialProviderSetup,
  readKubeletProviderFlags,
  repositoryToMatch,
} from "../../agent/diagnose/credential-provider/index.js";

// What EKS, AKS and GKE nodes ship, in the shapes kubelet reads.
const EKS_JSON = JSON.stringify({
  apiVersion: "kubelet.config.k8s.io/v1",
  kind: "CredentialProviderConfig",
  providers: [
    {
      name: "ecr-credential-provider",
      matchImages: ["*.dkr.ecr.*.amazonaws.com", "*.dkr.ecr.*.amazonaws.com.cn", "*.dkr-ecr.*.on.aws", "public.ecr.aws"],
      defaultCacheDuration: "12h",
      apiVersion: "credentialprovider.kubelet.k8s.io/v1",
      env: [{ name: "AWS_REGION", value: "us-east-1" }],
    },
  ],
});

const MULTI_YAML = `apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: acr-credential-provider
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    defaultCacheDuration: 10m
    matchImages:
      - "*.azurecr.io"
      - "*.azurecr.cn"
      - "mcr.microsoft.com"
    args:
      - /etc/kubernetes/azure.json
  - name: auth-provider-gcp
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    matchImages: ["*-docker.pkg.dev", "gcr.io", "*.gcr.io", "container.cloud.google.com"]
    defaultCacheDuration: 1m
    args: [get-credentials, --v=3]
`;

test("parses kubelet's CredentialProviderConfig in JSON and YAML", () => {
  const eks = parseCredentialProviderConfig(EKS_JSON, "/etc/eks/image-credential-provider/config.json");
  assert.equal(eks.providers[0]?.name, "ecr-credential-provider");
  assert.deepEqual(eks.providers[0]?.envNames, ["AWS_REGION"]);
  assert.equal(eks.providers[0]?.defaultCacheDuration, "12h");
  const multi = parseCredentialProviderConfig(MULTI_YAML);
  assert.deepEqual(
    multi.providers.map((p) => p.name),
    ["acr-credential-provider", "auth-provider-gcp"],
  );
  assert.deepEqual(multi.providers[1]?.args, ["get-credentials", "--v=3"]);
});

test("a config kubelet would refuse is an error naming the file and the field", () => {
  const bad: [string, RegExp][] = [
    ["", /empty/],
    ["kind: Pod\napiVersion: v1\n", /kind "Pod"; expected CredentialProviderConfig/],
    [EKS_JSON.replace("kubelet.config.k8s.io/v1", "kubelet.config.k8s.io/v2"), /apiVersion "kubelet.config.k8s.io\/v2"/],
    ['{"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig","providers":[]}', /no providers/],
    [EKS_JSON.replace("ecr-credential-provider", "../bin/sh"), /providers\[0\]\.name must be a plain executable name/],
    [EKS_JSON.replace('"public.ecr.aws"', '"https://public.ecr.aws"'), /matchImages/],
    [EKS_JSON.replace("credentialprovider.kubelet.k8s.io/v1", "v1"), /providers\[0\]\.apiVersion/],
    ["providers: [\n", /not valid YAML/],
  ];
  for (const [text, reason] of bad) {
    assert.throws(
      () => parseCredentialProviderConfig(text, "/etc/kubernetes/cp.yaml"),
      (err: unknown) => err instanceof ProviderConfigError && err.message.startsWith("/etc/kubernetes/cp.yaml: ") && reason.test(err.message),
      text.slice(0, 60),
    );
  }
});

test("matchImages follows kubelet's rules: per-part globs, equal part counts and ports, path prefixes", () => {
  const cases: [string, string, boolean][] = [
    ["*.dkr.ecr.*.amazonaws.com", "123456789012.dkr.ecr.us-east-1.amazonaws.com/payments/api", true],
    ["*.dkr.ecr.*.amazonaws.com", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/payments/api", false],
    ["*.azurecr.io", "acmeprod.azurecr.io/shop/cart", true],
    ["*.azurecr.io", "azurecr.io/shop/cart", false],
    ["*.azurecr.io", "a.b.azurecr.io/shop/cart", false],
    ["registry.io:5000", "registry.io/team/app", false],
    ["registry.io:5000", "registry.io:5000/team/app", true],
    ["registry.io", "registry.io:5000/team/app", false],
    ["registry.io/team", "registry.io/team/app", true],
    ["registry.io/team", "registry.io/other/app", false],
    ["*-docker.pkg.dev", "us-docker.pkg.dev/p/r/i", true],
    ["gcr.io", "us.gcr.io/p/i", false],
    ["?cr.io", "gcr.io/p/i", true],
    ["[a-c]cr.io", "gcr.io/p/i", false],
    ["g[a-z]r.io", "gcr.io/p/i", true],
    // A leading "[" reads as an IPv6 literal to Go's URL parser: kubelet never matches it.
    ["[^a-c]cr.io", "gcr.io/p/i", false],
    ["[abc", "acr.io/p/i", false],
    ["Registry.IO", "registry.io/x", true],
  ];
  for (const [glob, image, want] of cases) assert.equal(matchesImage(glob, image), want, `${glob} vs ${image}`);
});

test("images are matched as kubelet hands them to providers: normalized, without tag", () => {
  assert.equal(repositoryToMatch("nginx:1.27"), "docker.io/library/nginx");
  assert.equal(repositoryToMatch(`acmeprod.azurecr.io/shop/cart@sha256:${"a".repeat(64)}`), "acmeprod.azurecr.io/shop/cart");
  const config = parseCredentialProviderConfig(MULTI_YAML);
  assert.equal(providerFor(config, "acmeprod.azurecr.io/shop/cart:1.4")?.provider.name, "acr-credential-provider");
  assert.equal(providerFor(config, "europe-docker.pkg.dev/acme/images/api:1")?.matchedBy, "*-docker.pkg.dev");
  assert.equal(providerFor(config, "nginx:1.27"), undefined);
});

test("glob matching stays cheap on hostile patterns", () => {
  assert.equal(globMatch("*a*a*a*a*a*a*b", "a".repeat(5000)), false);
  assert.equal(globMatch("*".repeat(2000), "x".repeat(5000)), true);
});

test("the kubelet command line names the config and the plugin directory, as pflag reads it", () => {
  assert.deepEqual(
    readKubeletProviderFlags([
      "/usr/bin/kubelet",
      "--config=/etc/kubernetes/kubelet/config.json",
      "--image-credential-provider-config=/etc/eks/image-credential-provider/config.json",
      "--image-credential-provider-bin-dir",
      "/etc/eks/image-credential-provider",
    ]),
    { configPath: "/etc/eks/image-credential-provider/config.json", binDir: "/etc/eks/image-credential-provider" },
  );
  assert.deepEqual(readKubeletProviderFlags(["kubelet", "--image-credential-provider-config=/a", "--image-credential-provider-config=/b"]), {
    configPath: "/b",
  });
  assert.deepEqual(readKubeletProviderFlags(["kubelet", "--", "--image-credential-provider-config=/a"]), {});
  assert.deepEqual(readKubeletProviderFlags(["kubelet", "--image-credential-provider-config"]), {});
});

test("the setup is read under a node root: a config file or a directory, and the executables", async () => {
  const root = mkdtempSync(join(tmpdir(), "pullmedic-cp-"));
  mkdirSync(join(root, "etc/eks/image-credential-provider"), { recursive: true });
  writeFileSync(join(root, "etc/eks/image-credential-provider/config.json"), EKS_JSON);
  writeFileSync(join(root, "etc/eks/image-credential-provider/ecr-credential-provider"), "#!/bin/sh\n");
  chmodSync(join(root, "etc/eks/image-credential-provider/ecr-credential-provider"), 0o755);
  const argv = [
    "kubelet",
    "--image-credential-provider-config=/etc/eks/image-credential-provider/config.json",
    "--image-credential-provider-bin-dir=/etc/eks/image-credential-provider",
  ];
  const setup = await readCredentialProviderSetup(argv, root);
  assert.deepEqual(setup?.problems, []);
  assert.equal(setup?.binaries[0]?.present, true);
  const coverage = providerCoverage(setup, "123456789012.dkr.ecr.us-east-1.amazonaws.com/payments/api:v42");
  assert.equal(coverage?.provider, "ecr-credential-provider");
  assert.equal(coverage?.matchedBy, "*.dkr.ecr.*.amazonaws.com");
  assert.equal(coverage?.configPath, "/etc/eks/image-credential-provider/config.json");
  assert.equal(providerCoverage(setup, "ghcr.io/acme/api:1"), undefined);

  mkdirSync(join(root, "etc/kubernetes/credential-providers.d"), { recursive: true });
  writeFileSync(
    join(root, "etc/kubernetes/credential-providers.d/20-gcp.yaml"),
    MULTI_YAML.replace(/ {2}- name: acr-credential-provider[\s\S]*?(?= {2}- name: auth)/, ""),
  );
  writeFileSync(join(root, "etc/kubernetes/credential-providers.d/10-ecr.json"), EKS_JSON);
  writeFileSync(join(root, "etc/kubernetes/credential-providers.d/README"), "not a config");
  const dir = await readCredentialProviderSetup(
    ["kubelet", "--image-credential-provider-config", "/etc/kubernetes/credential-providers.d", "--image-credential-provider-bin-dir", "/opt/cp"],
    root,
  );
  assert.deepEqual(
    dir?.config?.providers.map((p) => p.name),
    ["ecr-credential-provider", "auth-provider-gcp"],
  );
  assert.deepEqual(dir?.problems, [
    "plugin executable /opt/cp/ecr-credential-provider is missing (kubelet will not start its providers)",
    "plugin executable /opt/cp/auth-provider-gcp is missing (kubelet will not start its providers)",
  ]);
  assert.equal(providerCoverage(dir, "us-docker.pkg.dev/p/r/i:1")?.binaryPresent, false);
});

test("an unreadable or invalid config is a problem, not an exception; no flag means no provider", async () => {
  const root = mkdtempSync(join(tmpdir(), "pullmedic-cp-"));
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(join(root, "etc/cp.yaml"), "kind: Pod\n");
  const bad = await readCredentialProviderSetup(["kubelet", "--image-credential-provider-config=/etc/cp.yaml", "--image-credential-provider-bin-dir=/x"], root);
  assert.equal(bad?.config, undefined);
  assert.match(bad?.problems[0] ?? "", /^\/etc\/cp\.yaml: has kind "Pod"/);
  const missing = await readCredentialProviderSetup(["kubelet", "--image-credential-provider-config=/../../../etc/nope.yaml"], root);
  assert.match(missing?.problems[0] ?? "", /^\/\.\.\/\.\.\/\.\.\/etc\/nope\.yaml: cannot read it \(ENOENT\)/);
  assert.equal(await readCredentialProviderSetup(["kubelet", "--v=2"], root), undefined);
});
