import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer, type Server } from "node:https";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RegistryClient, type RegistryEndpoint, RegistryError } from "../../agent/registry/index.js";
import { type CertAndKey, makeTestCerts, type TestCerts } from "../lab/certs.js";
import { rejection, startServer, type TestServer } from "./client-servers.js";

// TLS as containerd sees it: real certificates from the lab's openssl-made CA, served by Node's
// TLS server on loopback. Each certificate fault must come back as kind "tls" with Node's code,
// and the two ways of mixing up http and https as "http-to-https".

interface TlsServer {
  url: string;
  stop(): Promise<void>;
}

async function startTlsServer(pair: CertAndKey): Promise<TlsServer> {
  const sockets = new Set<Socket>();
  const server: Server = createHttpsServer({ cert: readFileSync(pair.cert), key: readFileSync(pair.key) }, (_req, res) => {
    res.writeHead(200, { "Docker-Distribution-API-Version": "registry/2.0", "Content-Type": "application/json" });
    res.end("{}");
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("TLS test server has no TCP address");
  return {
    url: `https://127.0.0.1:${address.port}`,
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe("TLS", () => {
  let dir: string;
  let certs: TestCerts;
  let ca: string;
  const running: { stop(): Promise<void> }[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "pm-client-tls-"));
    certs = await makeTestCerts(dir);
    ca = readFileSync(certs.caCert, "utf8");
  });

  after(async () => {
    await Promise.all(running.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function ping(pair: keyof TestCerts["certs"], endpoint: Omit<RegistryEndpoint, "url"> = {}): Promise<number | RegistryError> {
    const server = await startTlsServer(certs.certs[pair]);
    running.push(server);
    const c = new RegistryClient({ url: server.url, ...endpoint }, { timeoutMs: 3000 });
    try {
      return (await c.ping()).status;
    } catch (err) {
      if (err instanceof RegistryError) return err;
      throw err;
    } finally {
      await c.close();
    }
  }

  test("a certificate from an extra CA is trusted on top of the default roots", async () => {
    assert.equal(await ping("valid", { ca: [ca] }), 200);
  });

  const faults: { pair: keyof TestCerts["certs"]; codes: string[] }[] = [
    { pair: "valid", codes: ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"] }, // lab CA not given
    { pair: "expired", codes: ["CERT_HAS_EXPIRED"] },
    { pair: "notYetValid", codes: ["CERT_NOT_YET_VALID"] },
    { pair: "wrongHost", codes: ["ERR_TLS_CERT_ALTNAME_INVALID"] },
    { pair: "unknownCa", codes: ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"] },
    { pair: "selfSigned", codes: ["DEPTH_ZERO_SELF_SIGNED_CERT"] },
  ];
  for (const fault of faults) {
    test(`${fault.pair}${fault.pair === "valid" ? " without its CA" : ""}: kind tls, ${fault.codes.join(" or ")}`, async () => {
      const err = await ping(fault.pair, fault.pair === "valid" ? {} : { ca: [ca] });
      assert.ok(err instanceof RegistryError, `expected a TLS failure, got ${String(err)}`);
      assert.equal(err.kind, "tls");
      assert.ok(fault.codes.includes(err.code ?? ""), `code ${String(err.code)}`);
      assert.match(err.message, /TLS certificate rejected/);
    });
  }

  test("skipVerify accepts an expired certificate", async () => {
    assert.equal(await ping("expired", { skipVerify: true }), 200);
  });

  test("https:// to a plain HTTP registry: http-to-https", async () => {
    const plain: TestServer = await startServer((_req, res) => res.end("{}"));
    running.push(plain);
    const c = new RegistryClient({ url: plain.url.replace("http:", "https:") }, { timeoutMs: 3000 });
    try {
      const err = await rejection(c.ping());
      assert.equal(err.kind, "http-to-https");
      assert.match(err.message, /plain HTTP/);
    } finally {
      await c.close();
    }
  });

  test("http:// to a TLS registry that hangs up on plain HTTP (Node, not Go): http-to-https", async () => {
    const server = await startTlsServer(certs.certs.valid);
    running.push(server);
    const c = new RegistryClient({ url: server.url.replace("https:", "http:") }, { timeoutMs: 3000 });
    try {
      const err = await rejection(c.ping());
      assert.equal(err.kind, "http-to-https");
      assert.match(err.message, /speaks TLS/);
    } finally {
      await c.close();
    }
  });
});
