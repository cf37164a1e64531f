import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadContainerdConfig, registryFromStatus } from "../../agent/vantage/containerd-config.js";
import { legacyHosts } from "../../agent/vantage/legacy-hosts.js";
import { findRegistry, loadRegistriesConf, pullSources } from "../../agent/vantage/registries-conf.js";
import { hostsFor, registrySource } from "../../agent/vantage/registry-source.js";
import { RootFs } from "../../agent/vantage/root-fs.js";
import { applyUnit, type UnitEnvironment } from "../../agent/vantage/unit-env.js";

let base: string;
before(() => {
  base = mkdtempSync(join(tmpdir(), "pm-regconf-"));
});
after(() => rmSync(base, { recursive: true, force: true }));

function root(name: string, files: Record<string, string>): RootFs {
  const dir = join(base, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return new RootFs(dir, `${name}'s root`);
}

const V2 = 'plugins."io.containerd.grpc.v1.cri"';

test("config.toml v2: config_path from an import replaces the main file's CRI section whole", async () => {
  const fs = root("v2", {
    "etc/containerd/config.toml": `version = 2\nimports = ["conf.d/*.toml", "/etc/containerd/extra.toml"]\n[${V2}]\n  sandbox_image = "x"\n[${V2}.registry]\n  config_path = "/etc/containerd/certs.d"\n`,
    "etc/containerd/conf.d/10-a.toml": `version = 2\n[${V2}.registry]\n  config_path = "/opt/a/certs.d"\n`,
    "etc/containerd/conf.d/20-b.toml": `version = 2\n[${V2}.registry]\n  config_path = "/opt/b/certs.d"\n`,
    "etc/containerd/conf.d/ignored.conf": `version = 2\n[${V2}.registry]\n  config_path = "/nope"\n`,
    "etc/containerd/extra.toml": `version = 2\n[plugins."io.containerd.internal.v1.opt"]\n  path = "/opt"\n`,
  });
  const c = await loadContainerdConfig(fs, "/etc/containerd/config.toml");
  assert.deepEqual(c.files, [
    "/etc/containerd/config.toml",
    "/etc/containerd/conf.d/10-a.toml",
    "/etc/containerd/conf.d/20-b.toml",
    "/etc/containerd/extra.toml",
  ]);
  assert.equal(c.registry?.configPath, "/opt/b/certs.d");
  assert.equal(c.plugin, "io.containerd.grpc.v1.cri");
  assert.deepEqual(c.problems, []);
});

test("config.toml v3 (containerd 2.x) and legacy mirrors, configs.tls and auth (named, never shown)", async () => {
  const fs = root("v3", {
    "etc/containerd/config.toml": `version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d:/etc/docker/certs.d"\n`,
    "etc/k3s.toml": `version = 2\n[${V2}.registry.mirrors."docker.io"]\n  endpoint = ["https://mirror.example", "registry-1.docker.io"]\n[${V2}.registry.configs."mirror.example".tls]\n  ca_file = "/etc/ca/mirror.pem"\n  insecure_skip_verify = false\n[${V2}.registry.configs."mirror.example".auth]\n  username = "u"\n  password = "hunter2"\n`,
  });
  assert.equal((await loadContainerdConfig(fs, "/etc/containerd/config.toml")).registry?.configPath, "/etc/containerd/certs.d:/etc/docker/certs.d");
  const legacy = await loadContainerdConfig(fs, "/etc/k3s.toml");
  assert.deepEqual(legacy.registry, {
    configPath: undefined,
    mirrors: { "docker.io": ["https://mirror.example", "registry-1.docker.io"] },
    tls: { "mirror.example": { caFile: "/etc/ca/mirror.pem", insecureSkipVerify: false } },
    authHosts: ["mirror.example"],
  });
  assert.doesNotMatch(JSON.stringify(legacy), /hunter2/);
});

test("a malformed config.toml and a missing import are problems naming the file; defaults go on", async () => {
  const fs = root("bad", { "etc/containerd/config.toml": `version = 2\nimports = ["/etc/containerd/gone.toml"]\n[${V2}.registry\n` });
  const c = await loadContainerdConfig(fs, "/etc/containerd/config.toml");
  assert.equal(c.registry, undefined);
  assert.match(c.problems.join("\n"), /config\.toml in bad's root: not valid TOML at line 3 .*containerd's defaults are assumed/);
  const s = await registrySource({
    fs,
    runtimeName: "containerd",
    runtimeVersion: "2.0.4",
    configFlag: undefined,
    statusInfo: undefined,
    hostsDirFlag: undefined,
    problems: [],
  });
  assert.deepEqual(s, {
    kind: "hosts-dir",
    dir: "/etc/containerd/certs.d:/etc/docker/certs.d",
    from: "containerd's default (no config_path in /etc/containerd/config.toml (absent: containerd's defaults))",
  });
  const imports = root("bad-import", {
    "etc/containerd/config.toml": `version = 2\nimports = ["/etc/containerd/gone.toml"]\n[${V2}.registry]\n  config_path = "/x"\n`,
  });
  const withGone = await loadContainerdConfig(imports, "/etc/containerd/config.toml");
  assert.equal(withGone.registry?.configPath, "/x");
  assert.match(withGone.problems.join("\n"), /gone\.toml in bad-import's root: no such file; left out/);
  const v1 = await registrySource({
    fs,
    runtimeName: "containerd",
    runtimeVersion: "1.6.20~ds1",
    configFlag: undefined,
    statusInfo: undefined,
    hostsDirFlag: undefined,
    problems: [],
  });
  assert.equal(v1.kind, "legacy", "containerd 1.x without config_path reads no hosts dir");
});

test("the CRI status config wins over the files: containerd 1.6's own words", async () => {
  // As containerd 1.6.20 answers Status(verbose) with a mirror and an auth config (seen in the lab).
  const info = {
    config: JSON.stringify({
      registry: {
        configPath: "",
        mirrors: { "mirror-src.test": { endpoint: ["http://127.0.0.1:9999"] } },
        configs: { "127.0.0.1:9999": { auth: { username: "u", password: "secretpw" }, tls: null } },
        auths: null,
        headers: null,
      },
    }),
  };
  const reg = registryFromStatus(info);
  assert.deepEqual(reg, { configPath: undefined, mirrors: { "mirror-src.test": ["http://127.0.0.1:9999"] }, tls: {}, authHosts: ["127.0.0.1:9999"] });
  const fs = root("status", { "etc/containerd/config.toml": `version = 2\n[${V2}.registry]\n  config_path = "/elsewhere"\n` });
  const s = await registrySource({
    fs,
    runtimeName: "containerd",
    runtimeVersion: "1.6.20",
    configFlag: undefined,
    statusInfo: info,
    hostsDirFlag: undefined,
    problems: [],
  });
  assert.equal(s.kind, "legacy");
  const hosts = await hostsFor(s, fs, "mirror-src.test");
  assert.deepEqual(
    hosts.hosts.map((h) => [h.url, h.mirror, h.skipVerify]),
    [
      ["http://127.0.0.1:9999", true, false],
      ["https://mirror-src.test", false, false],
    ],
  );
});

test("legacy hosts: default schemes, Docker Hub's API host, a mirror naming the registry itself, ca_file on top", () => {
  const reg = {
    configPath: undefined,
    mirrors: { "docker.io": ["mirror.example:5000", "https://docker.io"], "*": ["http://catchall.example/v2/proxy"] },
    tls: { "mirror.example:5000": { caFile: "/etc/ca/m.pem" } },
    authHosts: [],
  };
  const hub = legacyHosts("docker.io", reg, "config.toml");
  assert.deepEqual(
    hub.hosts.map((h) => [h.url, h.mirror, h.caFiles]),
    [
      ["https://mirror.example:5000", true, ["/etc/ca/m.pem"]],
      ["https://docker.io", false, []],
    ],
  );
  const other = legacyHosts("ghcr.io", reg, "config.toml");
  assert.deepEqual(
    other.hosts.map((h) => [h.url, h.overridePath]),
    [
      ["http://catchall.example/v2/proxy", true],
      ["https://ghcr.io", false],
    ],
  );
  const local = legacyHosts("127.0.0.1:5000", { ...reg, mirrors: {} }, "config.toml");
  assert.deepEqual(
    local.hosts.map((h) => [h.url, h.skipVerify]),
    [["http://127.0.0.1:5000", true]],
  );
  assert.equal(legacyHosts("registry.example", { ...reg, mirrors: {} }, "x").hosts[0]?.url, "https://registry.example");
});

test("registries.conf: drop-ins override by prefix, longest prefix wins, mirrors then location, blocked refuses", async () => {
  const fs = root("crio", {
    "etc/containers/registries.conf": [
      'unqualified-search-registries = ["registry.fedoraproject.org", "docker.io"]',
      'short-name-mode = "enforcing"',
      "[[registry]]",
      'prefix = "example.com/foo"',
      'location = "internal.example.com/bar"',
      "[[registry.mirror]]",
      'location = "mirror-0.local/mirror-for-foo"',
      "[[registry.mirror]]",
      'location = "mirror-1.local/mirrors/foo"',
      "insecure = true",
      'pull-from-mirror = "digest-only"',
      "[[registry]]",
      'location = "blocked.example"',
      "blocked = true",
    ].join("\n"),
    "etc/containers/registries.conf.d/10-hub.conf": '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "hub-mirror.local"\n',
    "etc/containers/registries.conf.d/20-search.conf": 'unqualified-search-registries = ["quay.io"]\n',
    "etc/containers/registries.conf.d/30-broken.conf": "[[registry]\n",
  });
  const conf = await loadRegistriesConf(fs);
  assert.deepEqual(conf.unqualifiedSearch, ["quay.io"]);
  assert.equal(conf.shortNameMode, "enforcing");
  assert.match(conf.problems.join("\n"), /30-broken\.conf in crio's root: .*CRI-O refuses to pull while it is so/);
  assert.equal(findRegistry(conf, "example.com/foobar/x:1"), undefined, "a prefix matches at a path boundary only");
  assert.deepEqual(pullSources(conf, "example.com/foo/app:1.0", false), [
    { reference: "mirror-0.local/mirror-for-foo/app:1.0", insecure: false, mirror: true },
    { reference: "internal.example.com/bar/app:1.0", insecure: false, mirror: false },
  ]);
  assert.equal(pullSources(conf, "example.com/foo/app@sha256:abc", true).length, 3, "the digest-only mirror serves digests");
  assert.throws(() => pullSources(conf, "blocked.example/x:1", false), /is blocked by the \[\[registry\]\] prefix "blocked.example"/);
  const hub = await hostsFor({ kind: "registries-conf", conf, certsDirs: "/etc/containers/certs.d" }, fs, "docker.io", {
    reference: "docker.io/library/nginx:1",
  });
  assert.deepEqual(
    hub.hosts.map((h) => [h.url, h.mirror]),
    [
      ["https://hub-mirror.local", true],
      ["https://registry-1.docker.io", false],
    ],
  );
});

test("registries.conf version 1 tables: search, insecure and block", async () => {
  const fs = root("crio-v1", {
    "etc/containers/registries.conf":
      "[registries.search]\nregistries = ['docker.io']\n[registries.insecure]\nregistries = ['plain.local:5000']\n[registries.block]\nregistries = ['evil.example']\n",
  });
  const conf = await loadRegistriesConf(fs);
  assert.deepEqual(conf.unqualifiedSearch, ["docker.io"]);
  assert.deepEqual(pullSources(conf, "plain.local:5000/a:1", false), [{ reference: "plain.local:5000/a:1", insecure: true, mirror: false }]);
  assert.throws(() => pullSources(conf, "evil.example/a:1", false), /blocked/);
});

test("systemd Environment= lines, quoted, in file order, an empty one resetting", () => {
  const out: UnitEnvironment = { env: new Map(), files: [], notes: [] };
  applyUnit('[Service]\nEnvironment="HTTPS_PROXY=http://u:p@proxy:3128" NO_PROXY=a,b\nEnvironmentFile=-/etc/default/x\n', out, "a.conf");
  applyUnit("[Service]\nEnvironment='HTTP_PROXY=http://p2:1' \\\n  FOO=bar\\ baz\n", out, "b.conf");
  assert.deepEqual(Object.fromEntries(out.env), { HTTPS_PROXY: "http://u:p@proxy:3128", NO_PROXY: "a,b", HTTP_PROXY: "http://p2:1", FOO: "bar baz" });
  assert.match(out.notes.join(), /a\.conf: EnvironmentFile= is not read/);
  applyUnit("Environment=\n", out, "c.conf");
  assert.equal(out.env.size, 0);
});
