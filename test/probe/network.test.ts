import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createServer as createTlsServer } from "node:tls";
import { ProbeError, probeDns, probeTcp, probeTls } from "../../agent/probe/index.js";
import { type CertAndKey, makeTestCerts, type TestCerts, WRONG_HOST_NAME } from "../lab/certs.js";
import { listenOnLoopback } from "../support/net.js";

const DAY_MS = 86_400_000;

const listen = listenOnLoopback;

/** A server whose open connections stop() destroys, so a stalled client cannot keep it alive. */
async function serve(server: Server): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function tlsServer(pair: CertAndKey): Promise<{ port: number; stop(): Promise<void> }> {
  const server = createTlsServer({ cert: readFileSync(pair.cert), key: readFileSync(pair.key) }, (socket) => socket.end());
  // Probes hang up right after the handshake; the server need not care.
  server.on("tlsClientError", () => undefined);
  return serve(server);
}

async function rejectsWith(
  promise: Promise<unknown>,
  expected: Partial<Pick<ProbeError, "step" | "kind" | "code">> & { message?: RegExp },
): Promise<ProbeError> {
  const error = await promise.then(
    (value) => assert.fail(`expected a ProbeError, got ${JSON.stringify(value)}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ProbeError, `expected a ProbeError, got ${String(error)}`);
  const { message, ...fields } = expected;
  for (const [key, value] of Object.entries(fields)) assert.equal(error[key as keyof typeof fields], value, `${key} of ${error.message}`);
  if (message) assert.match(error.message, message);
  assert.ok(error.ms >= 0);
  return error;
}

describe("probeDns", () => {
  test("resolves localhost through /etc/hosts, as containerd's resolver does", async () => {
    const result = await probeDns("localhost", { timeoutMs: 5000 });
    assert.equal(result.host, "localhost");
    assert.ok(
      result.addresses.some((a) => a.address === "127.0.0.1" && a.family === 4),
      JSON.stringify(result.addresses),
    );
    assert.ok(result.ms >= 0);
  });

  test("gives IP literals back as they are, bracketed IPv6 included", async () => {
    assert.deepEqual((await probeDns("127.0.0.1", { timeoutMs: 5000 })).addresses, [{ address: "127.0.0.1", family: 4 }]);
    assert.deepEqual((await probeDns("[::1]", { timeoutMs: 5000 })).addresses, [{ address: "::1", family: 6 }]);
  });

  test("names a host that does not resolve and the resolver's code", async () => {
    // Generous: without a reachable DNS server glibc answers EAI_AGAIN only after its own retries.
    const error = await rejectsWith(probeDns("registry.invalid", { timeoutMs: 30_000 }), { step: "dns", kind: "dns" });
    assert.ok(error.code === "ENOTFOUND" || error.code === "EAI_AGAIN", error.code);
    assert.match(error.message, new RegExp(`^registry\\.invalid (does not resolve|could not be resolved.*) \\(${error.code}\\)$`));
  });

  test("gives up on a resolver that never answers", async () => {
    const never = (() => new Promise(() => undefined)) as unknown as typeof import("node:dns").promises.lookup;
    await rejectsWith(probeDns("slow.example", { timeoutMs: 50, lookup: never }), { step: "dns", kind: "timeout", message: /slow\.example timed out/ });
  });
});

describe("probeTcp", () => {
  test("connects to a listening port and closes again", async () => {
    let accepted = 0;
    const server = await serve(createNetServer(() => accepted++));
    try {
      const result = await probeTcp("127.0.0.1", server.port, { timeoutMs: 5000 });
      assert.deepEqual({ address: result.address, port: result.port }, { address: "127.0.0.1", port: server.port });
      assert.ok(result.ms >= 0);
    } finally {
      await server.stop();
    }
    assert.equal(accepted, 1);
  });

  test("reports a closed port as refused", async () => {
    const server = await serve(createNetServer());
    const port = server.port;
    await server.stop();
    await rejectsWith(probeTcp("127.0.0.1", port, { timeoutMs: 5000 }), {
      step: "tcp",
      kind: "refused",
      code: "ECONNREFUSED",
      message: new RegExp(`127\\.0\\.0\\.1:${port}: connection refused`),
    });
  });

  test("names the lookup failure when given a name that does not resolve", async () => {
    await rejectsWith(probeTcp("registry.invalid", 443, { timeoutMs: 30_000 }), { step: "dns", kind: "dns" });
  });

  // No connect timeout test: on loopback every connect is answered at once (here even a full
  // accept queue does not hold a SYN back), and anything off loopback is not deterministic.
  // The timer is the same one the TLS stall test below runs into, one step later.
});

describe("probeTls", () => {
  let dir: string;
  let certs: TestCerts;
  let ca: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "pm-probe-"));
    certs = await makeTestCerts(dir);
    ca = readFileSync(certs.caCert, "utf8");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("accepts a certificate from a CA given on top of the default roots, and describes it", async () => {
    const server = await tlsServer(certs.certs.valid);
    try {
      const result = await probeTls("127.0.0.1", server.port, { timeoutMs: 5000, ca: [ca] });
      assert.equal(result.authorized, true);
      assert.equal(result.authorizationError, undefined);
      assert.equal(result.problem, undefined);
      assert.match(result.protocol ?? "", /^TLSv1\.[23]$/);
      const cert = result.certificate;
      assert.ok(cert);
      assert.equal(cert.subject, "CN=localhost");
      assert.equal(cert.issuer, "O=pullmedic, CN=pullmedic lab CA");
      assert.deepEqual(cert.names, ["localhost", "127.0.0.1"]);
      assert.ok(cert.daysLeft >= 363 && cert.daysLeft <= 365, String(cert.daysLeft));
      assert.ok(Date.parse(cert.validFrom) < Date.now() && Date.parse(cert.validTo) > Date.now());
      assert.equal(cert.selfSigned, false);
      assert.match(cert.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      // The server sends only its leaf; verification found the CA, which completes the chain.
      assert.deepEqual(
        result.chain.map((c) => c.subject),
        ["CN=localhost", "O=pullmedic, CN=pullmedic lab CA"],
      );
      assert.equal(result.chain[1]?.selfSigned, true);
    } finally {
      await server.stop();
    }
  });

  test("sends the host as SNI and verifies it while connecting to the given address", async () => {
    const server = await tlsServer(certs.certs.valid);
    try {
      const result = await probeTls("localhost", server.port, { timeoutMs: 5000, ca: [ca], address: "127.0.0.1" });
      assert.equal(result.problem, undefined);
      const wrong = await probeTls("registry.example", server.port, { timeoutMs: 5000, ca: [ca], address: "127.0.0.1" });
      assert.equal(wrong.problem, "wrong-host");
    } finally {
      await server.stop();
    }
  });

  test("reports an unknown authority with the certificate's details instead of failing", async () => {
    const server = await tlsServer(certs.certs.unknownCa);
    try {
      const result = await probeTls("127.0.0.1", server.port, { timeoutMs: 5000, ca: [ca] });
      assert.equal(result.authorized, false);
      assert.equal(result.problem, "unknown-authority");
      assert.equal(result.authorizationError, "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
      assert.equal(result.certificate?.issuer, "O=pullmedic, CN=pullmedic unknown CA");
      assert.deepEqual(result.certificate?.names, ["localhost", "127.0.0.1"]);
      assert.equal(result.chain.length, 1, "nothing beyond the leaf was found");

      // Without the lab CA the valid certificate is just as unknown: Node's roots do not include it.
      const valid = await tlsServer(certs.certs.valid);
      try {
        assert.equal((await probeTls("127.0.0.1", valid.port, { timeoutMs: 5000 })).problem, "unknown-authority");
      } finally {
        await valid.stop();
      }
    } finally {
      await server.stop();
    }
  });

  test("reports an expired certificate with its end date in the past", async () => {
    const server = await tlsServer(certs.certs.expired);
    try {
      const result = await probeTls("127.0.0.1", server.port, { timeoutMs: 5000, ca: [ca] });
      assert.equal(result.problem, "expired");
      assert.equal(result.authorizationError, "CERT_HAS_EXPIRED");
      assert.equal(result.authorized, false);
      const cert = result.certificate;
      assert.ok(cert);
      assert.ok(Date.parse(cert.validTo) < Date.now(), cert.validTo);
      assert.ok(cert.daysLeft < 0 && cert.daysLeft >= -31, String(cert.daysLeft));
    } finally {
      await server.stop();
    }
  });

  test("reports a certificate that is not valid yet", async () => {
    const server = await tlsServer(certs.certs.notYetValid);
    try {
      const result = await probeTls("127.0.0.1", server.port, { timeoutMs: 5000, ca: [ca] });
      assert.equal(result.problem, "not-yet-valid");
      assert.equal(result.authorizationError, "CERT_NOT_YET_VALID");
      assert.ok(Date.parse(result.certificate?.validFrom ?? "") > Date.now());
    } finally {
      await server.stop();
    }
  });

  test("reports a certificate for another host, listing the names it is for", async () => {
    const server = await tlsServer(certs.certs.wrongHost);
    try {
      const result = await probeTls("127.0.0.1", server.port, { timeoutMs: 5000, ca: [ca] });
      assert.equal(result.problem, "wrong-host");
      assert.equal(result.authorizationError, "ERR_TLS_CERT_ALTNAME_INVALID");
      assert.deepEqual(result.certificate?.names, [WRONG_HOST_NAME]);
      assert.equal(result.certificate?.subject, `CN=${WRONG_HOST_NAME}`);
    } finally {
      await server.stop();
    }
  });

  test("reports a self-signed certificate, and trusts it when it is given as a CA", async () => {
    const server = await tlsServer(certs.certs.selfSigned);
    try {
      const result = await probeTls("localhost", server.port, { timeoutMs: 5000, address: "127.0.0.1" });
      assert.equal(result.problem, "self-signed");
      assert.equal(result.authorizationError, "DEPTH_ZERO_SELF_SIGNED_CERT");
      assert.equal(result.certificate?.selfSigned, true);
      const trusted = await probeTls("localhost", server.port, { timeoutMs: 5000, address: "127.0.0.1", ca: [readFileSync(certs.certs.selfSigned.cert)] });
      assert.equal(trusted.problem, undefined);
    } finally {
      await server.stop();
    }
  });

  test("does not accept a name only in the subject CN, as containerd (Go) does not", async () => {
    const server = await tlsServer(certs.certs.commonNameOnly);
    try {
      const result = await probeTls("localhost", server.port, { timeoutMs: 5000, address: "127.0.0.1", ca: [ca] });
      assert.equal(result.certificate?.subject, "CN=localhost");
      assert.deepEqual(result.certificate?.names, []);
      assert.equal(result.problem, "wrong-host");
    } finally {
      await server.stop();
    }
  });

  test("with skipVerify, still describes what is wrong but calls nothing a problem", async () => {
    const server = await tlsServer(certs.certs.expired);
    try {
      const result = await probeTls("127.0.0.1", server.port, { timeoutMs: 5000, skipVerify: true });
      assert.equal(result.problem, undefined);
      assert.equal(result.authorized, false);
      assert.ok(result.authorizationError);
      assert.ok((result.certificate?.daysLeft ?? 0) < 0);
    } finally {
      await server.stop();
    }
  });

  test("counts days left and judges expiry by the injected clock", async () => {
    const server = await tlsServer(certs.certs.valid);
    try {
      const first = await probeTls("127.0.0.1", server.port, { timeoutMs: 5000, ca: [ca] });
      const validTo = Date.parse(first.certificate?.validTo ?? "");
      const soon = await probeTls("127.0.0.1", server.port, { timeoutMs: 5000, ca: [ca], now: () => validTo - 5 * DAY_MS - 1000 });
      assert.equal(soon.certificate?.daysLeft, 5);
      assert.equal(soon.problem, undefined, "expiring soon is for the caller to warn about, not a failure");
      const later = await probeTls("127.0.0.1", server.port, { timeoutMs: 5000, ca: [ca], now: () => validTo + DAY_MS + 1000 });
      assert.equal(later.certificate?.daysLeft, -2);
      assert.equal(later.problem, "expired");
      assert.equal(later.authorizationError, "CERT_HAS_EXPIRED");
    } finally {
      await server.stop();
    }
  });

  test("recognises a server that speaks plain HTTP", async () => {
    const server = await serve(createHttpServer((_req, res) => res.end("{}")));
    try {
      await rejectsWith(probeTls("127.0.0.1", server.port, { timeoutMs: 5000 }), {
        step: "tls",
        kind: "http-to-https",
        message: new RegExp(`127\\.0\\.0\\.1:${server.port} answered the TLS handshake in plain HTTP`),
      });
    } finally {
      await server.stop();
    }
  });

  test("times out on a server that accepts and never answers the handshake", async () => {
    const server = await serve(createNetServer(() => undefined));
    try {
      await rejectsWith(probeTls("127.0.0.1", server.port, { timeoutMs: 200 }), { step: "tls", kind: "timeout", message: /no TLS handshake within/ });
    } finally {
      await server.stop();
    }
  });

  test("reports a closed port at the TCP step", async () => {
    const server = await serve(createNetServer());
    const port = server.port;
    await server.stop();
    await rejectsWith(probeTls("127.0.0.1", port, { timeoutMs: 5000 }), { step: "tcp", kind: "refused" });
  });

  test("reports a server that hangs up during the handshake as a reset", async () => {
    const server = await serve(createNetServer((socket) => socket.once("data", () => socket.end())));
    try {
      await rejectsWith(probeTls("127.0.0.1", server.port, { timeoutMs: 5000 }), { step: "tls", kind: "reset" });
    } finally {
      await server.stop();
    }
  });
});
