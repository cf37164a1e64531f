import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative } from "node:path";
import { after, describe, test } from "node:test";

import { defaultRegistryHost, describeRegistryHost, type HostsConfig, HostsConfigError, readHostsConfig } from "../../agent/registry/index.js";

const root = mkdtempSync(join(tmpdir(), "pm-hosts-"));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A fresh certs.d root with the given files ("dir/file" → content). */
function certsD(files: Record<string, string>): string {
  const dir = join(root, `certs${++counter}`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function rejectsWith(promise: Promise<HostsConfig>): Promise<HostsConfigError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof HostsConfigError, `expected HostsConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a HostsConfigError");
}

describe("hosts.toml", () => {
  test("mirrors in file order, then server; mirror flags; capabilities default to all", async () => {
    const dir = certsD({
      "docker.io/hosts.toml": [
        'server = "https://registry-1.docker.io"',
        "",
        '[host."https://mirror-b.local"]',
        '  capabilities = ["pull"]',
        '[host."https://mirror-b.local".header]',
        '  x-extra = "1"',
        "",
        '[host."https://mirror-a.local:5000"]',
        '  capabilities = ["pull", "resolve"]',
        "",
      ].join("\n"),
    });
    const cfg = await readHostsConfig(dir, "docker.io");
    assert.equal(cfg.file, join(dir, "docker.io", "hosts.toml"));
    assert.equal(cfg.domain, "docker.io");
    assert.deepEqual(
      cfg.hosts.map((h) => [h.url, h.mirror, h.capabilities.join(",")]),
      [
        ["https://mirror-b.local", true, "pull"],
        ["https://mirror-a.local:5000", true, "pull,resolve"],
        ["https://registry-1.docker.io", false, "pull,resolve,push"],
      ],
    );
    assert.deepEqual(cfg.hosts[0]?.headers, { "x-extra": "1" });
  });

  test("a host's subtable written after another host lists that host again, as containerd's getSortedHosts does", async () => {
    const dir = certsD({
      "reg.io/hosts.toml": ['[host."https://b.local"]', '[host."https://a.local"]', '[host."https://b.local".header]', 'x = "1"'].join("\n"),
    });
    const cfg = await readHostsConfig(dir, "reg.io");
    assert.deepEqual(
      cfg.hosts.map((h) => h.url),
      ["https://b.local", "https://a.local", "https://b.local", "https://reg.io"],
    );
  });

  test("an empty capabilities list means all, as in containerd; referrers is accepted", async () => {
    const dir = certsD({
      "reg.io/hosts.toml": '[host."https://m.local"]\ncapabilities = []\n[host."https://n.local"]\ncapabilities = ["PULL", "referrers"]\n',
    });
    const cfg = await readHostsConfig(dir, "reg.io");
    assert.deepEqual(
      cfg.hosts.map((h) => h.capabilities),
      [["pull", "resolve", "push"], ["pull"], ["pull", "resolve", "push"]],
    );
  });

  test("ca and client paths: relative ones resolve against the hosts.toml directory", async () => {
    const dir = certsD({
      "reg.io/hosts.toml": [
        'server = "https://reg.io"',
        'ca = "certs/root.pem"',
        'client = [["client.pem", "/abs/client.key"], "combined.pem"]',
        '[host."https://m.local"]',
        'ca = ["/etc/ssl/a.pem", "b.pem"]',
        'client = "single.pem"',
      ].join("\n"),
    });
    const [mirror, server] = (await readHostsConfig(dir, "reg.io")).hosts;
    const base = join(dir, "reg.io");
    assert.deepEqual(mirror?.caFiles, ["/etc/ssl/a.pem", join(base, "b.pem")]);
    assert.deepEqual(mirror?.clientCerts, [{ cert: join(base, "single.pem"), key: undefined }]);
    assert.deepEqual(server?.caFiles, [join(base, "certs/root.pem")]);
    assert.deepEqual(server?.clientCerts, [
      { cert: join(base, "client.pem"), key: "/abs/client.key" },
      { cert: join(base, "combined.pem"), key: undefined },
    ]);
  });

  test("relative hostsDir is made absolute before paths are resolved", async () => {
    const dir = certsD({ "reg.io/hosts.toml": 'ca = "x.pem"\n' });
    const rel = relative(process.cwd(), dir);
    assert.ok(!isAbsolute(rel));
    const cfg = await readHostsConfig(rel, "reg.io");
    assert.deepEqual(cfg.hosts[0]?.caFiles, [join(dir, "reg.io", "x.pem")]);
    assert.equal(cfg.file, join(dir, "reg.io", "hosts.toml"));
  });

  test("skip_verify, override_path, header, paths and schemes", async () => {
    const dir = certsD({
      "reg.io/hosts.toml": [
        'server = "reg.io:5000"',
        "skip_verify = true",
        '[host."https://m.local/v2/proxy"]',
        "  override_path = true",
        '[host."https://n.local/us/"]',
        '[host."https://o.local/v2"]',
        '[host."http://p.local:8080"]',
        '[host."http://p.local:8080".header]',
        '  authorization = "Bearer not-for-logs"',
        '  x-multi = ["a", "b"]',
        "[header]",
        '  x-top = "t"',
      ].join("\n"),
    });
    const hosts = (await readHostsConfig(dir, "reg.io")).hosts;
    assert.deepEqual(
      hosts.map((h) => [h.url, h.overridePath, h.skipVerify]),
      [
        ["https://m.local/v2/proxy", true, false],
        ["https://n.local/us", false, false],
        ["https://o.local", false, false],
        ["http://p.local:8080", false, false],
        ["https://reg.io:5000", false, true],
      ],
    );
    assert.deepEqual(hosts[3]?.headers, { authorization: "Bearer not-for-logs", "x-multi": "a, b" });
    assert.deepEqual(hosts[4]?.headers, { "x-top": "t" });
    const shown = hosts.map(describeRegistryHost).join("\n");
    assert.match(shown, /headers authorization, x-multi/);
    assert.ok(!shown.includes("not-for-logs"));
  });

  test("an http host with TLS settings is tried over https first (containerd's fallback), one without is not", async () => {
    const dir = certsD({
      "reg.io/hosts.toml": [
        '[host."http://a.local:5000"]',
        "skip_verify = true",
        '[host."http://b.local:5000"]',
        '[host."http://c.local:80"]',
        'ca = "c.pem"',
      ].join("\n"),
    });
    const hosts = (await readHostsConfig(dir, "reg.io")).hosts;
    assert.deepEqual(
      hosts.map((h) => h.httpsFirst === true),
      [true, false, false, false],
    );
    // containerd 1.6.20 (Debian 12) has no such fallback.
    const old = (await readHostsConfig(dir, "reg.io", { containerdVersion: "1.6.20~ds1" })).hosts;
    assert.deepEqual(
      old.map((h) => h.httpsFirst === true),
      [false, false, false, false],
    );
  });

  test("without server the default upstream keeps the top-level TLS settings but not override_path or capabilities", async () => {
    const dir = certsD({ "docker.io/hosts.toml": 'ca = "hub.pem"\noverride_path = true\ncapabilities = ["pull"]\n[host."https://mirror.local"]\n' });
    const [mirror, upstream] = (await readHostsConfig(dir, "docker.io")).hosts;
    assert.equal(mirror?.url, "https://mirror.local");
    assert.equal(upstream?.url, "https://registry-1.docker.io");
    assert.equal(upstream?.overridePath, false);
    assert.deepEqual(upstream?.capabilities, ["pull", "resolve", "push"]);
    assert.deepEqual(upstream?.caFiles, [join(dir, "docker.io", "hub.pem")]);
  });

  test("a host given as an inline table is not used by containerd, and that is noted", async () => {
    const dir = certsD({ "reg.io/hosts.toml": '[host]\n"https://inline.local" = { capabilities = ["pull"] }\n' });
    const cfg = await readHostsConfig(dir, "reg.io");
    assert.deepEqual(
      cfg.hosts.map((h) => h.url),
      ["https://reg.io"],
    );
    assert.match(cfg.notes?.[0] ?? "", /inline\.local.*does not use it/);
  });

  test("dial_timeout is kept for containerd 2.1+, ignored before", async () => {
    const dir = certsD({ "reg.io/hosts.toml": 'dial_timeout = "1.5s"\n' });
    assert.equal((await readHostsConfig(dir, "reg.io")).hosts[0]?.dialTimeout, "1.5s");
    assert.equal((await readHostsConfig(dir, "reg.io", { containerdVersion: "1.7.20" })).hosts[0]?.dialTimeout, undefined);
  });

  describe("errors name the file and the problem", () => {
    test("invalid TOML: file and line, and what containerd does instead", async () => {
      const dir = certsD({ "reg.io/hosts.toml": 'server = "https://reg.io"\n[host."https://m.local"\ncapabilities = ["pull"]\n', "reg.io/ca.crt": "x" });
      const err = await rejectsWith(readHostsConfig(dir, "reg.io"));
      assert.equal(err.file, join(dir, "reg.io", "hosts.toml"));
      assert.equal(err.line, 2);
      assert.match(err.message, /hosts\.toml: invalid TOML at line 2, column \d+/);
      assert.match(err.message, /containerd logs this and ignores the file/);
      assert.deepEqual(
        err.fallback?.hosts.map((h) => [h.url, h.caFiles]),
        [["https://reg.io", [join(dir, "reg.io", "ca.crt")]]],
      );
    });

    test('wrong type: capabilities = "pull" names the key', async () => {
      const dir = certsD({ "reg.io/hosts.toml": 'capabilities = "pull"\n' });
      const err = await rejectsWith(readHostsConfig(dir, "reg.io"));
      assert.equal(err.key, "capabilities");
      assert.match(err.message, /key "capabilities" must be an array such as \["pull", "resolve"\], found a string/);
    });

    test("wrong type inside a host section names the full key", async () => {
      const dir = certsD({ "reg.io/hosts.toml": '[host."https://m.local"]\nskip_verify = "yes"\n' });
      const err = await rejectsWith(readHostsConfig(dir, "reg.io"));
      assert.equal(err.key, 'host."https://m.local".skip_verify');
      assert.match(err.message, /must be true or false, found a string/);
    });

    test("unknown capability; referrers before containerd 2.2", async () => {
      const dir = certsD({ "reg.io/hosts.toml": 'capabilities = ["pull", "fetch"]\n' });
      assert.match((await rejectsWith(readHostsConfig(dir, "reg.io"))).message, /unknown capability "fetch"/);
      const dir2 = certsD({ "reg.io/hosts.toml": 'capabilities = ["pull", "referrers"]\n' });
      assert.match((await rejectsWith(readHostsConfig(dir2, "reg.io", { containerdVersion: "1.7.27" }))).message, /unknown capability "referrers"/);
    });

    test("a header value of the wrong type is named, not shown", async () => {
      const dir = certsD({ "reg.io/hosts.toml": 'header = "Bearer secret-token-value"\n' });
      const err = await rejectsWith(readHostsConfig(dir, "reg.io"));
      assert.match(err.message, /key "header" must be a table/);
      assert.ok(!err.message.includes("secret-token-value"));
    });

    test("user information in a host URL is dropped as Go's url.Parse drops it, and never shown", async () => {
      const dir = certsD({
        "reg.io/hosts.toml":
          'server = "https://robot:s3cret-pw@reg.io"\n[host."https://robot:s3cret-pw@mirror.local:5000"]\n  capabilities = ["pull", "resolve"]\n',
      });
      const config = await readHostsConfig(dir, "reg.io");
      assert.deepEqual(
        config.hosts.map((h) => h.url),
        ["https://mirror.local:5000", "https://reg.io"],
      );
      assert.match(config.notes?.join("\n") ?? "", /user information/);
      assert.ok(!JSON.stringify(config).includes("s3cret-pw"), JSON.stringify(config));
      // A problem elsewhere in that section names it without the credential.
      const bad = certsD({ "reg.io/hosts.toml": '[host."https://robot:s3cret-pw@mirror.local"]\n  skip_verify = "yes"\n' });
      const err = await rejectsWith(readHostsConfig(bad, "reg.io"));
      assert.equal(err.key, 'host."https://mirror.local".skip_verify');
      assert.ok(!err.message.includes("s3cret-pw"), err.message);
    });

    test("a host name Go's url.Parse refuses: containerd ignores the file, and so the certificate files apply", async () => {
      const dir = certsD({ "reg.io/hosts.toml": '[host."https://bad host.local"]\n  capabilities = ["pull"]\n', "reg.io/ca.crt": "x" });
      const err = await rejectsWith(readHostsConfig(dir, "reg.io"));
      assert.match(err.message, /invalid character " " in the host of "https:\/\/bad host\.local"/);
      assert.deepEqual(
        err.fallback?.hosts.map((h) => h.url),
        ["https://reg.io"],
      );
    });

    test("other wrong types: ca, client pair, server, host, bad port", async () => {
      const cases: [string, RegExp][] = [
        ["ca = 5\n", /key "ca" must be a file path or an array of file paths, found a number/],
        ['client = [["only-one"]]\n', /key "client" must be/],
        ["server = true\n", /key "server" must be a string/],
        ["host = 1\n", /key "host" must be a table/],
        ['server = "https://reg.io:http"\n', /invalid port "http"/],
        ['[host."https://"]\n', /is not a URL with a host/],
        ['dial_timeout = "5 seconds"\n', /dial_timeout.*not a duration/],
      ];
      for (const [text, re] of cases) {
        const dir = certsD({ "reg.io/hosts.toml": text });
        assert.match((await rejectsWith(readHostsConfig(dir, "reg.io"))).message, re, text);
      }
    });
  });
});

describe("host directory lookup", () => {
  test('"host:port" prefers host_port_, then host:port, then _default', async () => {
    const all = certsD({
      "reg.io_5000_/hosts.toml": 'server = "https://escaped.local"\n',
      "reg.io:5000/hosts.toml": 'server = "https://colon.local"\n',
      "_default/hosts.toml": 'server = "https://default.local"\n',
    });
    assert.equal((await readHostsConfig(all, "reg.io:5000")).hosts[0]?.url, "https://escaped.local");
    const colon = certsD({ "reg.io:5000/hosts.toml": 'server = "https://colon.local"\n', "_default/hosts.toml": 'server = "https://default.local"\n' });
    assert.equal((await readHostsConfig(colon, "reg.io:5000")).hosts[0]?.url, "https://colon.local");
    const fallback = await readHostsConfig(colon, "other.io");
    assert.equal(fallback.hosts[0]?.url, "https://default.local");
    assert.equal(fallback.file, join(colon, "_default", "hosts.toml"));
  });

  test("several roots: the first root with any match wins, even with only _default", async () => {
    const first = certsD({ "_default/hosts.toml": 'server = "https://first-default.local"\n' });
    const second = certsD({ "reg.io/hosts.toml": 'server = "https://second-exact.local"\n' });
    const missing = join(root, "does-not-exist");
    assert.equal((await readHostsConfig(`${missing}:${first}:${second}`, "reg.io")).hosts[0]?.url, "https://first-default.local");
    assert.equal((await readHostsConfig(`${missing}:${second}:${first}`, "reg.io")).hosts[0]?.url, "https://second-exact.local");
  });

  test("no hosts.toml but Docker-style certificates: CA and client pairs on the default host", async () => {
    const dir = certsD({
      "reg.io:5000/ca.crt": "ca",
      "reg.io:5000/client.cert": "c",
      "reg.io:5000/client.key": "k",
      "reg.io:5000/lonely.cert": "c",
      "reg.io:5000/readme.txt": "x",
      "reg.io:5000/sub/nested.crt": "x",
    });
    const cfg = await readHostsConfig(dir, "reg.io:5000");
    const base = join(dir, "reg.io:5000");
    assert.equal(cfg.file, undefined);
    assert.equal(cfg.dir, base);
    assert.equal(cfg.hosts.length, 1);
    const host = cfg.hosts[0];
    assert.equal(host?.url, "https://reg.io:5000");
    assert.equal(host?.mirror, false);
    assert.deepEqual(host?.caFiles, [join(base, "ca.crt")]);
    assert.deepEqual(host?.clientCerts, [
      { cert: join(base, "client.cert"), key: join(base, "client.key") },
      { cert: join(base, "lonely.cert"), key: undefined },
    ]);
  });

  test("an empty hosts.toml counts as none", async () => {
    const dir = certsD({ "reg.io/hosts.toml": "", "reg.io/x.crt": "ca" });
    const cfg = await readHostsConfig(dir, "reg.io");
    assert.equal(cfg.file, undefined);
    assert.deepEqual(cfg.hosts[0]?.caFiles, [join(dir, "reg.io", "x.crt")]);
  });

  test("a missing hosts dir is not an error: defaults apply", async () => {
    const cfg = await readHostsConfig(join(root, "nope"), "docker.io");
    assert.deepEqual(cfg, { domain: "docker.io", file: undefined, hosts: [defaultRegistryHost("docker.io")] });
    assert.equal((await readHostsConfig("", "ghcr.io")).hosts[0]?.url, "https://ghcr.io");
  });

  test("a hosts dir that is a file is an error, as in containerd", async () => {
    const file = join(root, "plain-file");
    writeFileSync(file, "x");
    const err = await rejectsWith(readHostsConfig(file, "reg.io"));
    assert.match(err.message, /ENOTDIR/);
  });
});

describe("default hosts (no configuration)", () => {
  test("docker.io and ordinary registries", () => {
    assert.equal(defaultRegistryHost("docker.io").url, "https://registry-1.docker.io");
    assert.equal(defaultRegistryHost("ghcr.io").url, "https://ghcr.io");
    assert.equal(defaultRegistryHost("reg.io:5000").url, "https://reg.io:5000");
    assert.equal(defaultRegistryHost("reg.io:5000").skipVerify, false);
    assert.equal(defaultRegistryHost("docker.io").mirror, false);
  });

  // containerd hosts.go at each tag; see defaultRegistryHost's comment.
  const cases: { domain: string; version?: string; url: string; skipVerify: boolean; httpsFirst: boolean }[] = [
    { domain: "localhost:5000", url: "http://localhost:5000", skipVerify: true, httpsFirst: true },
    { domain: "127.0.0.1:5000", url: "http://127.0.0.1:5000", skipVerify: true, httpsFirst: true },
    { domain: "127.1.2.3:5000", url: "http://127.1.2.3:5000", skipVerify: true, httpsFirst: true },
    { domain: "[::1]:5000", url: "http://[::1]:5000", skipVerify: true, httpsFirst: true },
    { domain: "localhost", url: "https://localhost", skipVerify: true, httpsFirst: false },
    { domain: "localhost:443", url: "https://localhost:443", skipVerify: true, httpsFirst: false },
    { domain: "localhost:80", url: "http://localhost:80", skipVerify: false, httpsFirst: false },
    { domain: "127.0.0.1:5000", version: "v2.1.4", url: "http://127.0.0.1:5000", skipVerify: true, httpsFirst: true },
    { domain: "127.0.0.1:5000", version: "1.7.8", url: "http://127.0.0.1:5000", skipVerify: true, httpsFirst: true },
    { domain: "localhost", version: "1.7.7", url: "http://localhost", skipVerify: true, httpsFirst: true },
    { domain: "127.0.0.1:5000", version: "1.7.2", url: "http://127.0.0.1:5000", skipVerify: true, httpsFirst: false },
    { domain: "127.0.0.1:5000", version: "1.6.20~ds1", url: "http://127.0.0.1:5000", skipVerify: true, httpsFirst: false },
    { domain: "localhost", version: "1.6.20", url: "http://localhost", skipVerify: true, httpsFirst: false },
    { domain: "127.0.0.1:5000", version: "1.6.25", url: "http://127.0.0.1:5000", skipVerify: true, httpsFirst: true },
    { domain: "127.0.0.1:5000", version: "1.6.8", url: "https://127.0.0.1:5000", skipVerify: false, httpsFirst: false },
    // Not loopback: an ordinary host, even on a private address.
    { domain: "10.0.0.1:5000", url: "https://10.0.0.1:5000", skipVerify: false, httpsFirst: false },
    { domain: "localhost.example.com:5000", url: "https://localhost.example.com:5000", skipVerify: false, httpsFirst: false },
  ];
  for (const c of cases) {
    test(`${c.domain}${c.version ? ` on containerd ${c.version}` : ""} → ${c.url}${c.httpsFirst ? " (https first)" : ""}`, () => {
      const host = defaultRegistryHost(c.domain, c.version ? { containerdVersion: c.version } : {});
      assert.equal(host.url, c.url);
      assert.equal(host.skipVerify, c.skipVerify);
      assert.equal(host.httpsFirst === true, c.httpsFirst);
      assert.deepEqual(host.capabilities, ["pull", "resolve", "push"]);
    });
  }

  test("a hosts.toml without server for localhost gets the localhost default", async () => {
    const dir = certsD({ "127.0.0.1:5000/hosts.toml": '[host."https://m.local"]\n' });
    const hosts = (await readHostsConfig(dir, "127.0.0.1:5000")).hosts;
    assert.deepEqual(
      hosts.map((h) => h.url),
      ["https://m.local", "http://127.0.0.1:5000"],
    );
    assert.equal(hosts[1]?.skipVerify, true);
  });
});
