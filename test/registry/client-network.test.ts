import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer, type Server } from "node:https";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RegistryClient, RegistryError, type RegistryNetwork } from "../../agent/registry/index.js";
import { makeTestCerts, type TestCerts } from "../lab/certs.js";
import { type ForwardProxy, startForwardProxy } from "../support/forward-proxy.js";
import { startServer, type TestServer } from "./client-servers.js";

// The registry client on the runtime's network: its roots instead of Node's, its resolver, its
// proxy (CONNECT for https, absolute URIs for http, credentials from the proxy URL), and a proxy
// failure named as the proxy's, never with its password.

const NAMES = ["localhost", "127.0.0.1", "reg.runtime-only.test", "reg.proxy-only.test"];

async function startTlsRegistry(certs: TestCerts): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createHttpsServer({ cert: readFileSync(certs.certs.valid.cert), key: readFileSync(certs.certs.valid.key) }, (_req, res) => {
    res.writeHead(200, { "Docker-Distribution-API-Version": "registry/2.0", "Content-Type": "application/json" }).end("{}");
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no address");
  return {
    port: address.port,
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function network(roots: string[], opts: { proxy?: string; names?: Record<string, string> } = {}): RegistryNetwork {
  return {
    roots,
    trustSource: "test roots",
    resolve: async (host) => {
      const address = host === "127.0.0.1" ? host : opts.names?.[host];
      if (address === undefined) throw Object.assign(new Error(`${host} is unknown to the runtime's resolver`), { code: "ENOTFOUND" });
      return { addresses: [{ address, family: 4 }], source: "the test's table" };
    },
    proxyFor: (url) => {
      if (opts.proxy === undefined || url.hostname === "127.0.0.1") return undefined;
      return { url: new URL(opts.proxy), label: `${new URL(opts.proxy).origin} (HTTPS_PROXY in the test runtime's environment)` };
    },
  };
}

async function ping(url: string, net: RegistryNetwork, ca: string[] = []): Promise<number | RegistryError> {
  const client = new RegistryClient({ url, network: net, ca }, { timeoutMs: 3000 });
  try {
    return (await client.ping()).status;
  } catch (err) {
    if (err instanceof RegistryError) return err;
    throw err;
  } finally {
    await client.close();
  }
}

describe("the registry client on the runtime's network", () => {
  let dir: string;
  let certs: TestCerts;
  let lab: string;
  let other: string;
  let registry: { port: number; stop(): Promise<void> };
  let plain: TestServer;
  let proxy: ForwardProxy;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "pm-client-net-"));
    certs = await makeTestCerts(dir, { names: NAMES });
    lab = readFileSync(certs.caCert, "utf8");
    other = readFileSync(certs.otherCaCert, "utf8");
    registry = await startTlsRegistry(certs);
    plain = await startServer((_req, res) => res.writeHead(200, { "Docker-Distribution-API-Version": "registry/2.0" }).end("{}"));
    proxy = await startForwardProxy({
      names: { "reg.proxy-only.test": "127.0.0.1", "plain.proxy-only.test": "127.0.0.1" },
      credentials: { username: "puller", password: "pr0xy-s3cret" },
    });
  });

  after(async () => {
    await Promise.all([registry.stop(), plain.stop(), proxy.stop().catch(() => undefined)]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("the runtime's roots and resolver decide: trusted and found there, it answers", async () => {
    const url = `https://reg.runtime-only.test:${registry.port}`;
    assert.equal(await ping(url, network([lab], { names: { "reg.runtime-only.test": "127.0.0.1" } })), 200);
    const dns = await ping(url, network([lab]));
    assert.ok(dns instanceof RegistryError && dns.kind === "dns", String(dns));
  });

  test("roots replace Node's list; hosts.toml CAs go on top of them", async () => {
    const names = { "reg.runtime-only.test": "127.0.0.1" };
    const untrusted = await ping(`https://reg.runtime-only.test:${registry.port}`, network([other], { names }));
    assert.ok(untrusted instanceof RegistryError && untrusted.kind === "tls", String(untrusted));
    assert.equal(await ping(`https://reg.runtime-only.test:${registry.port}`, network([other], { names }), [lab]), 200);
    const none = await ping(`https://reg.runtime-only.test:${registry.port}`, network([], { names }));
    assert.ok(none instanceof RegistryError && none.kind === "tls", "a runtime that trusts nothing trusts nothing");
  });

  test("https through the proxy: CONNECT with the proxy URL's credentials, to a name only the proxy knows", async () => {
    const before = proxy.log.length;
    const net = network([lab], { proxy: `http://puller:pr0xy-s3cret@127.0.0.1:${proxy.port}` });
    assert.equal(await ping(`https://reg.proxy-only.test:${registry.port}`, net), 200);
    assert.deepEqual(proxy.log.slice(before), [{ method: "CONNECT", target: `reg.proxy-only.test:${registry.port}`, status: 200, authorized: true }]);
  });

  test("http through the proxy: the request itself, with an absolute URI", async () => {
    const before = proxy.log.length;
    const net = network([lab], { proxy: `http://puller:pr0xy-s3cret@127.0.0.1:${proxy.port}` });
    assert.equal(await ping(`http://plain.proxy-only.test:${plain.port}`, net), 200);
    assert.deepEqual(proxy.log.slice(before), [{ method: "GET", target: `http://plain.proxy-only.test:${plain.port}/v2/`, status: 200, authorized: true }]);
    assert.equal(plain.requests.at(-1)?.headers["host"], `plain.proxy-only.test:${plain.port}`);
  });

  test("a proxy that refuses the credentials or is down: the proxy's failure, without its password", async () => {
    const wrong = await ping(`https://reg.proxy-only.test:${registry.port}`, network([lab], { proxy: `http://puller:wrong@127.0.0.1:${proxy.port}` }));
    assert.ok(wrong instanceof RegistryError && wrong.kind === "timeout", String(wrong));
    assert.match(wrong.message, /proxy http:\/\/127\.0\.0\.1:\d+ \(HTTPS_PROXY in the test runtime's environment\): CONNECT .* 407/);
    await proxy.stop();
    try {
      for (const url of [`https://reg.proxy-only.test:${registry.port}`, `http://plain.proxy-only.test:${plain.port}`]) {
        const down = await ping(url, network([lab], { proxy: `http://puller:pr0xy-s3cret@127.0.0.1:${proxy.port}` }));
        assert.ok(down instanceof RegistryError && down.kind === "timeout", String(down));
        assert.match(down.message, /proxy http:\/\/127\.0\.0\.1:\d+ .*refused/);
        assert.doesNotMatch(down.message, /pr0xy-s3cret|puller/);
      }
    } finally {
      await proxy.restart();
    }
  });
});
