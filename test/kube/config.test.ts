import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { inClusterConnection, KubeConfigError, type KubeConnection, loadKubeConnection, parseKubeconfig } from "../../agent/kube/index.js";

// kubeconfig files and the in-cluster service account, read from real files in a temporary
// directory, the way the agent reads them.

const CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBfakeCAfakeCAfakeCA\n-----END CERTIFICATE-----\n";
const CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIIBfakeCLIENTfakeCLIENT\n-----END CERTIFICATE-----\n";
const KEY_PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIfakeKEYfakeKEYsecretMaterial\n-----END EC PRIVATE KEY-----\n";
const TOKEN = "eyJhbGciOiJSUzI1NiJ9.super-secret-token-value.sig";
const PASSWORD = "hunter2-Very-Secret-Password";
const b64 = (s: string) => Buffer.from(s).toString("base64");

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "pullmedic-kubeconfig-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function kubeconfig(opts: { cluster?: string; user?: string; context?: string; current?: string | null; extraContexts?: string } = {}): string {
  const cluster = opts.cluster ?? `      server: https://10.0.0.1:6443\n      certificate-authority-data: ${b64(CA_PEM)}`;
  const user = opts.user ?? `      token: ${TOKEN}`;
  const context = opts.context ?? "      cluster: prod\n      user: admin\n      namespace: shop";
  const current = opts.current === null ? "" : `current-context: ${opts.current ?? "prod"}\n`;
  return `apiVersion: v1
kind: Config
clusters:
  - name: prod
    cluster:
${cluster}
users:
  - name: admin
    user:
${user}
contexts:
  - name: prod
    context:
${context}
${opts.extraContexts ?? ""}${current}`;
}

async function configError(p: Promise<unknown>): Promise<KubeConfigError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KubeConfigError, `expected a KubeConfigError, got ${String(err)}`);
    for (const secret of [TOKEN, PASSWORD, "secretMaterial", b64(KEY_PEM)])
      assert.ok(!err.message.includes(secret), `a credential leaked into: ${err.message}`);
    return err;
  }
  assert.fail("expected a KubeConfigError");
}

describe("parseKubeconfig", () => {
  test("reads the current context's cluster, user and namespace", async () => {
    const path = write("basic/config", kubeconfig());
    const conn = await parseKubeconfig(kubeconfig(), { path });
    assert.equal(conn.server, "https://10.0.0.1:6443");
    assert.equal(conn.ca, CA_PEM);
    assert.equal(await conn.token?.(), TOKEN);
    assert.equal(conn.namespace, "shop");
    assert.equal(conn.source, `kubeconfig ${path} (context prod)`);
    assert.equal(conn.insecureSkipTlsVerify, undefined);
    assert.equal(conn.basic, undefined);
  });

  test("a context given by name wins over current-context", async () => {
    const text = kubeconfig({ extraContexts: "  - name: other\n    context:\n      cluster: prod\n      namespace: kube-system\n" });
    const conn = await parseKubeconfig(text, { path: join(dir, "x"), context: "other" });
    assert.equal(conn.namespace, "kube-system");
    assert.equal(conn.token, undefined, "the other context names no user");
    assert.match(conn.source, /\(context other\)$/);
  });

  test("relative file paths resolve against the kubeconfig's directory", async () => {
    write("rel/pki/ca.crt", CA_PEM);
    write("rel/pki/client.crt", CERT_PEM);
    write("rel/pki/client.key", KEY_PEM);
    write("rel/token", `${TOKEN}\n`);
    const text = kubeconfig({
      cluster: "      server: https://k8s.example:443/\n      certificate-authority: pki/ca.crt\n      tls-server-name: kubernetes.default",
      user: "      client-certificate: pki/client.crt\n      client-key: pki/client.key\n      tokenFile: token",
    });
    const conn = await parseKubeconfig(text, { path: write("rel/config", text) });
    assert.equal(conn.server, "https://k8s.example", "default port and trailing slash dropped");
    assert.equal(conn.ca, CA_PEM);
    assert.equal(conn.clientCert, CERT_PEM);
    assert.equal(conn.clientKey, KEY_PEM);
    assert.equal(conn.tlsServerName, "kubernetes.default");
    assert.equal(await conn.token?.(), TOKEN, "the token file's content, trimmed");
  });

  test("inline client certificate data, basic auth and insecure-skip-tls-verify", async () => {
    const text = kubeconfig({
      cluster: "      server: http://127.0.0.1:8001/prefix\n      insecure-skip-tls-verify: true",
      user: `      username: admin\n      password: ${PASSWORD}\n      client-certificate-data: ${b64(CERT_PEM)}\n      client-key-data: ${b64(KEY_PEM)}`,
    });
    const conn = await parseKubeconfig(text, { path: join(dir, "inline") });
    assert.equal(conn.server, "http://127.0.0.1:8001/prefix");
    assert.equal(conn.insecureSkipTlsVerify, true);
    assert.deepEqual(conn.basic, { username: "admin", password: PASSWORD });
    assert.equal(conn.clientCert, CERT_PEM);
    assert.equal(conn.clientKey, KEY_PEM);
  });

  test("exec credential plugins are refused with what to use instead", async () => {
    const path = join(dir, "eks");
    const text = kubeconfig({
      user: "      exec:\n        apiVersion: client.authentication.k8s.io/v1beta1\n        command: /usr/local/bin/aws\n        args: [eks, get-token, --cluster-name, prod]\n        env:\n          - name: AWS_SECRET_ACCESS_KEY\n            value: secretMaterial",
    });
    const err = await configError(parseKubeconfig(text, { path }));
    assert.match(err.message, /exec credential plugins/);
    assert.match(err.message, /not supported/);
    assert.match(err.message, /"aws"/);
    assert.match(err.message, /aws eks get-token/);
    assert.match(err.message, /`token` or `tokenFile`/);
    assert.match(err.message, /client certificate/);
    assert.ok(err.message.includes(path) && err.message.includes("context prod"), err.message);
    assert.equal(err.key, 'users["admin"].user.exec');
    assert.equal(err.file, path);
    assert.equal(err.context, "prod");
  });

  test("auth providers are refused too", async () => {
    const text = kubeconfig({ user: "      auth-provider:\n        name: gcp\n        config:\n          access-token: secretMaterial" });
    const err = await configError(parseKubeconfig(text, { path: join(dir, "gcp") }));
    assert.match(err.message, /auth providers \(this one is "gcp"\) are not supported/);
    assert.match(err.message, /gke-gcloud-auth-plugin/);
    assert.equal(err.key, 'users["admin"].user.auth-provider');
  });

  test("an exec plugin next to a usable token is not needed, so it is not an error", async () => {
    const text = kubeconfig({ user: `      token: ${TOKEN}\n      exec:\n        command: aws` });
    const conn = await parseKubeconfig(text, { path: join(dir, "both") });
    assert.equal(await conn.token?.(), TOKEN);
  });

  test("proxy-url is refused clearly", async () => {
    const text = kubeconfig({ cluster: "      server: https://10.0.0.1:6443\n      proxy-url: socks5://localhost:1080" });
    const err = await configError(parseKubeconfig(text, { path: join(dir, "proxy") }));
    assert.equal(err.key, 'clusters["prod"].cluster.proxy-url');
    assert.match(err.message, /proxy is not supported/);
  });

  const broken: { name: string; text: string; key: string; pattern: RegExp; context?: string }[] = [
    {
      name: "no current-context and none given",
      text: kubeconfig({ current: null }),
      key: "current-context",
      pattern: /not set and no context was given \(contexts: prod\)/,
    },
    {
      name: "current-context names a missing context",
      text: kubeconfig({ current: "staging" }),
      key: "current-context",
      pattern: /no context named "staging".*defined: prod/,
    },
    {
      name: "context names a missing cluster",
      text: kubeconfig({ context: "      cluster: nowhere\n      user: admin" }),
      key: 'contexts["prod"].context.cluster',
      pattern: /no cluster named "nowhere"/,
    },
    {
      name: "context names a missing user",
      text: kubeconfig({ context: "      cluster: prod\n      user: ghost" }),
      key: 'contexts["prod"].context.user',
      pattern: /no user named "ghost"/,
    },
    { name: "context without a cluster", text: kubeconfig({ context: "      user: admin" }), key: 'contexts["prod"].context.cluster', pattern: /missing/ },
    {
      name: "cluster without a server",
      text: kubeconfig({ cluster: "      insecure-skip-tls-verify: true" }),
      key: 'clusters["prod"].cluster.server',
      pattern: /server: missing/,
    },
    {
      name: "server is not a URL",
      text: kubeconfig({ cluster: "      server: 10.0.0.1:6443x" }),
      key: 'clusters["prod"].cluster.server',
      pattern: /not an http\(s\) URL|not a URL/,
    },
    {
      name: "server is not http(s)",
      text: kubeconfig({ cluster: "      server: ftp://10.0.0.1" }),
      key: 'clusters["prod"].cluster.server',
      pattern: /not an http\(s\) URL/,
    },
    {
      name: "bad base64 CA",
      text: kubeconfig({ cluster: "      server: https://a\n      certificate-authority-data: '%%%not base64'" }),
      key: 'clusters["prod"].cluster.certificate-authority-data',
      pattern: /not valid base64/,
    },
    {
      name: "CA data that is not PEM",
      text: kubeconfig({ cluster: `      server: https://a\n      certificate-authority-data: ${b64("hello")}` }),
      key: 'clusters["prod"].cluster.certificate-authority-data',
      pattern: /not a PEM certificate/,
    },
    {
      name: "bad base64 client key",
      text: kubeconfig({ user: `      client-certificate-data: ${b64(CERT_PEM)}\n      client-key-data: "${b64(KEY_PEM).slice(0, -3)}!!"` }),
      key: 'users["admin"].user.client-key-data',
      pattern: /not valid base64/,
    },
    {
      name: "CA file that does not exist",
      text: kubeconfig({ cluster: "      server: https://a\n      certificate-authority: missing/ca.crt" }),
      key: 'clusters["prod"].cluster.certificate-authority',
      pattern: /cannot read .*missing\/ca\.crt: no such file \(ENOENT\)/,
    },
    {
      name: "client certificate without key",
      text: kubeconfig({ user: `      client-certificate-data: ${b64(CERT_PEM)}` }),
      key: 'users["admin"].user.client-key',
      pattern: /missing/,
    },
    { name: "password without username", text: kubeconfig({ user: `      password: ${PASSWORD}` }), key: 'users["admin"].user.username', pattern: /missing/ },
    {
      name: "token file that does not exist",
      text: kubeconfig({ user: "      tokenFile: /nonexistent/token" }),
      key: 'users["admin"].user.tokenFile',
      pattern: /cannot read \/nonexistent\/token: no such file \(ENOENT\)/,
    },
    {
      name: "insecure with a CA",
      text: kubeconfig({ cluster: `      server: https://a\n      insecure-skip-tls-verify: true\n      certificate-authority-data: ${b64(CA_PEM)}` }),
      key: 'clusters["prod"].cluster.insecure-skip-tls-verify',
      pattern: /one or the other/,
    },
    { name: "clusters is not a list", text: "clusters: {}\n", key: "clusters", pattern: /expected a list/ },
    {
      name: "impersonation",
      text: kubeconfig({ user: `      token: ${TOKEN}\n      as: system:admin` }),
      key: 'users["admin"].user.as',
      pattern: /impersonation is not supported/,
    },
  ];
  for (const c of broken) {
    test(`error naming the key: ${c.name}`, async () => {
      const path = join(dir, `broken-${c.key.replace(/\W+/g, "-")}`);
      const err = await configError(parseKubeconfig(c.text, { path }));
      assert.equal(err.key, c.key, err.message);
      assert.ok(err.message.includes(c.key), `the message names the key: ${err.message}`);
      assert.ok(err.message.includes(path), `the message names the file: ${err.message}`);
      assert.match(err.message, c.pattern);
    });
  }

  test("a context is named in errors found after it is chosen", async () => {
    const err = await configError(parseKubeconfig(kubeconfig({ cluster: "      server: gopher://x" }), { path: join(dir, "ctx") }));
    assert.match(err.message, /\(context prod\)/);
  });

  test("a YAML syntax error names the line, without quoting it", async () => {
    const text = `users:\n  - name: admin\n    user:\n      token: ${TOKEN}\n     bad: [indent\n`;
    const err = await configError(parseKubeconfig(text, { path: join(dir, "yaml") }));
    assert.match(err.message, /not valid YAML at line \d+, column \d+/);
  });

  test("a rotating token file is re-read at most once a minute, and a failed read keeps the last token", async () => {
    const tokenPath = write("rotating/token", "first-token-0001");
    const text = kubeconfig({ user: `      tokenFile: ${tokenPath}` });
    let now = 1_000_000;
    const conn = await parseKubeconfig(text, { path: join(dir, "rotating/config"), now: () => now });
    assert.equal(await conn.token?.(), "first-token-0001");
    writeFileSync(tokenPath, "second-token-0002\n");
    now += 30_000;
    assert.equal(await conn.token?.(), "first-token-0001", "cached for a minute");
    now += 31_000;
    assert.equal(await conn.token?.(), "second-token-0002", "re-read after a minute");
    rmSync(tokenPath);
    now += 61_000;
    assert.equal(await conn.token?.(), "second-token-0002", "a failed re-read keeps the last token");
  });

  test("an injected readFile is used for every file", async () => {
    const files: Record<string, string> = { "/virtual/ca.crt": CA_PEM, "/virtual/token": "virtual-token-1234" };
    const seen: string[] = [];
    const readFile = async (p: string) => {
      seen.push(p);
      const text = files[p];
      if (text === undefined) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
      return text;
    };
    const text = kubeconfig({ cluster: "      server: https://a\n      certificate-authority: ca.crt", user: "      tokenFile: token" });
    const conn = await parseKubeconfig(text, { path: "/virtual/config", readFile });
    assert.equal(conn.ca, CA_PEM);
    assert.equal(await conn.token?.(), "virtual-token-1234");
    assert.deepEqual(seen.sort(), ["/virtual/ca.crt", "/virtual/token"]);
  });
});

describe("inClusterConnection", () => {
  function serviceAccount(name: string, files: Record<string, string>): string {
    const sa = join(dir, name);
    mkdirSync(sa, { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(join(sa, f), text);
    return sa;
  }

  test("reads host, port, token, CA and namespace", async () => {
    const sa = serviceAccount("sa-full", { token: `${TOKEN}\n`, "ca.crt": CA_PEM, namespace: "pullmedic\n" });
    const conn = await inClusterConnection({ env: { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }, serviceAccountDir: sa });
    assert.equal(conn.server, "https://10.96.0.1:443");
    assert.equal(conn.ca, CA_PEM);
    assert.equal(conn.namespace, "pullmedic");
    assert.equal(conn.source, "in-cluster service account");
    assert.equal(await conn.token?.(), TOKEN);
  });

  test("an IPv6 service host gets brackets", async () => {
    const sa = serviceAccount("sa-v6", { token: "t0ken-v6" });
    const conn = await inClusterConnection({ env: { KUBERNETES_SERVICE_HOST: "fd00:10:96::1", KUBERNETES_SERVICE_PORT: "6443" }, serviceAccountDir: sa });
    assert.equal(conn.server, "https://[fd00:10:96::1]:6443");
    assert.equal(conn.ca, undefined);
    assert.equal(conn.namespace, undefined);
  });

  test("the token is re-read as it rotates", async () => {
    const sa = serviceAccount("sa-rotate", { token: "rotating-1" });
    let now = 0;
    const conn = await inClusterConnection({
      env: { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" },
      serviceAccountDir: sa,
      now: () => now,
    });
    writeFileSync(join(sa, "token"), "rotating-2");
    assert.equal(await conn.token?.(), "rotating-1");
    now = 60_000;
    assert.equal(await conn.token?.(), "rotating-2");
  });

  test("a missing token file is an error naming the path", async () => {
    const sa = serviceAccount("sa-empty", { "ca.crt": CA_PEM });
    const err = await configError(
      inClusterConnection({ env: { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }, serviceAccountDir: sa }),
    );
    assert.ok(err.message.includes(join(sa, "token")), err.message);
    assert.match(err.message, /does not exist/);
  });

  test("a missing port is an error naming the variable", async () => {
    const err = await configError(inClusterConnection({ env: { KUBERNETES_SERVICE_HOST: "10.96.0.1" }, serviceAccountDir: dir }));
    assert.equal(err.key, "KUBERNETES_SERVICE_PORT");
  });
});

describe("loadKubeConnection", () => {
  const clusterFile = (name: string, server: string, current?: string) =>
    write(
      name,
      `clusters:\n  - name: c\n    cluster:\n      server: ${server}\nusers:\n  - name: u\n    user:\n      token: token-of-${name.replace(/\W/g, "")}\ncontexts:\n  - name: ctx\n    context:\n      cluster: c\n      user: u\n  - name: ctx-${name.replace(/\W/g, "")}\n    context:\n      cluster: c\n${current !== undefined ? `current-context: ${current}\n` : ""}`,
    );

  test("KUBECONFIG lists files: the first to set a name wins, current-context from the first that sets it", async () => {
    const a = clusterFile("merge/a", "https://a.example");
    const b = clusterFile("merge/b", "https://b.example", "ctx");
    const c = clusterFile("merge/c", "https://c.example", "ctx-mergec");
    const conn = (await loadKubeConnection({ env: { KUBECONFIG: [join(dir, "merge/missing"), a, b, c].join(":") } })) as KubeConnection;
    assert.equal(conn.server, "https://a.example", "cluster c from the first file");
    assert.equal(await conn.token?.(), "token-of-mergea");
    assert.equal(conn.source, `kubeconfig ${a} (context ctx)`);
    const other = (await loadKubeConnection({ env: { KUBECONFIG: [a, b, c].join(":") }, context: "ctx-mergec" })) as KubeConnection;
    assert.equal(other.server, "https://a.example", "the context is c's, its cluster name resolves to a's");
  });

  test("the kubeconfig option overrides KUBECONFIG, and must exist", async () => {
    const a = clusterFile("opt/a", "https://a.example", "ctx");
    const b = clusterFile("opt/b", "https://b.example", "ctx");
    const conn = await loadKubeConnection({ env: { KUBECONFIG: a, KUBERNETES_SERVICE_HOST: "10.96.0.1" }, kubeconfig: b });
    assert.equal(conn?.server, "https://b.example");
    const err = await configError(loadKubeConnection({ env: {}, kubeconfig: join(dir, "opt/none") }));
    assert.match(err.message, /cannot read: no such file \(ENOENT\)/);
  });

  test("KUBECONFIG naming only missing files is an error", async () => {
    const err = await configError(loadKubeConnection({ env: { KUBECONFIG: join(dir, "nope-1") } }));
    assert.match(err.message, /KUBECONFIG names no file that exists/);
  });

  test("in-cluster when KUBERNETES_SERVICE_HOST is set, else nothing and no error", async () => {
    const sa = join(dir, "load-sa");
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, "token"), "in-cluster-token");
    const conn = await loadKubeConnection({ env: { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }, serviceAccountDir: sa });
    assert.equal(conn?.source, "in-cluster service account");
    assert.equal(await loadKubeConnection({ env: {} }), undefined);
    assert.equal(await loadKubeConnection({ env: { KUBECONFIG: "" } }), undefined);
  });
});
