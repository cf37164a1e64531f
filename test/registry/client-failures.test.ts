import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, describe, test } from "node:test";
import { type RateLimit, RegistryClient } from "../../agent/registry/index.js";
import { closedPort, json, registryError, rejection, startRawServer, startServer, type TestServer } from "./client-servers.js";

// Failures the lab registry cannot produce: quota exhaustion, a failing load balancer, a server
// that stalls, nothing listening, a name that does not resolve, garbage where JSON belongs.

const servers: TestServer[] = [];
async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args);
  servers.push(s);
  return s;
}
async function rawServer(...args: Parameters<typeof startRawServer>): Promise<TestServer> {
  const s = await startRawServer(...args);
  servers.push(s);
  return s;
}
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

const HUB_QUOTA = { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600", "docker-ratelimit-source": "192.0.2.1" };
const TOO_MANY = "You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit";
const NOW = Date.UTC(2026, 2, 3, 4, 5, 6);

describe("quota and availability", () => {
  test("429 TOOMANYREQUESTS: error code, quota headers, Retry-After, and onRateLimit for every response", async () => {
    const s = await server((req, res) => {
      if (req.method === "HEAD") {
        res.writeHead(429, { ...HUB_QUOTA, "Retry-After": "Tue, 03 Mar 2026 04:07:06 GMT" });
        return res.end();
      }
      registryError(res, 429, "TOOMANYREQUESTS", TOO_MANY, { ...HUB_QUOTA, "Retry-After": "3600" });
    });
    const seen: RateLimit[] = [];
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 3000, now: () => NOW, onRateLimit: (r) => seen.push(r) });
    try {
      const want: RateLimit = { limit: 100, remaining: 0, windowSeconds: 21600, source: "192.0.2.1", observedAt: NOW };
      const get = await rejection(c.getManifest("library/nginx", "1.27"));
      assert.deepEqual([get.kind, get.status, get.step], ["http", 429, "manifest"]);
      assert.deepEqual(get.errors, [{ code: "TOOMANYREQUESTS", message: TOO_MANY }]);
      assert.deepEqual(get.rateLimit, want);
      assert.equal(get.retryAfterSeconds, 3600);
      assert.match(get.message, /: 429 Too Many Requests \(TOOMANYREQUESTS: You have reached .*\); retry after 3600 s$/);

      // A HEAD 429 has no body, and a GET would spend a pull: the HEAD's headers are the answer.
      const head = await rejection(c.headManifest("library/nginx", "1.27"));
      assert.deepEqual([head.status, head.errors, head.retryAfterSeconds], [429, [], 120]);
      assert.deepEqual(head.rateLimit, want);
      assert.deepEqual(
        s.requests.map((r) => r.method),
        ["GET", "HEAD"],
      );
      assert.deepEqual(seen, [want, want]);
    } finally {
      await c.close();
    }
  });

  test("quota headers on a successful HEAD land in the result; a throwing observer changes nothing", async () => {
    const body = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] });
    const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    const s = await server((_req, res) => {
      res.writeHead(200, {
        "ratelimit-limit": "200;w=21600",
        "ratelimit-remaining": "187;w=21600",
        "Content-Type": "application/vnd.oci.image.index.v1+json",
        "Docker-Content-Digest": digest,
        "Content-Length": Buffer.byteLength(body),
      });
      res.end();
    });
    const c = new RegistryClient(
      { url: s.url },
      {
        timeoutMs: 3000,
        now: () => NOW,
        onRateLimit: () => {
          throw new Error("observer bug");
        },
      },
    );
    try {
      const head = await c.headManifest("ratelimitpreview/test", "latest");
      assert.deepEqual(head.rateLimit, { limit: 200, remaining: 187, windowSeconds: 21600, source: undefined, observedAt: NOW });
      assert.deepEqual([head.digest, head.mediaType, head.size], [digest, "application/vnd.oci.image.index.v1+json", Buffer.byteLength(body)]);
    } finally {
      await c.close();
    }
  });

  test("503 from a load balancer: kind http, status 503, the HTML kept as evidence but out of the message", async () => {
    const s = await server((_req, res) => {
      res.writeHead(503, { "Content-Type": "text/html" });
      res.end("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>");
    });
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 3000 });
    try {
      const err = await rejection(c.ping());
      assert.deepEqual([err.kind, err.status, err.step, err.errors], ["http", 503, "ping", []]);
      assert.equal(err.message, `GET ${s.url}/v2/: 503 Service Unavailable`);
      assert.match(err.bodyText ?? "", /503 Service Temporarily Unavailable/);
      const head = await rejection(c.headManifest("app/web", "1"));
      assert.equal(head.status, 503);
      assert.equal(s.requests.filter((r) => r.method === "GET" && r.path.includes("manifests")).length, 0, "no GET after a HEAD 5xx");
    } finally {
      await c.close();
    }
  });
});

describe("network failures", () => {
  test("a server that accepts and never answers: timeout after timeoutMs", async () => {
    const s = await rawServer(() => undefined);
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 300 });
    try {
      const err = await rejection(c.ping());
      assert.deepEqual([err.kind, err.code, err.step, err.status], ["timeout", "UND_ERR_HEADERS_TIMEOUT", "ping", undefined]);
      assert.equal(err.message, `GET ${s.url}/v2/: timed out waiting for the response [UND_ERR_HEADERS_TIMEOUT]`);
    } finally {
      await c.close();
    }
  });

  test("a body that stops halfway: timeout reading the body", async () => {
    const s = await rawServer((socket) => {
      socket.once("data", () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 500\r\n\r\n{"schemaVersion":');
      });
    });
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 300 });
    try {
      const err = await rejection(c.getManifest("app/web", "1"));
      assert.deepEqual([err.kind, err.code, err.status], ["timeout", "UND_ERR_BODY_TIMEOUT", 200]);
    } finally {
      await c.close();
    }
  });

  test("a connection closed mid-body: reset", async () => {
    const s = await rawServer((socket) => {
      socket.once("data", () => {
        socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 500\r\n\r\n{"schemaVersion":');
      });
    });
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 3000 });
    try {
      const err = await rejection(c.getManifest("app/web", "1"));
      assert.equal(err.kind, "reset");
    } finally {
      await c.close();
    }
  });

  test("nothing listening: refused", async () => {
    const port = await closedPort();
    const c = new RegistryClient({ url: `http://127.0.0.1:${port}` }, { timeoutMs: 3000 });
    try {
      const err = await rejection(c.ping());
      assert.deepEqual([err.kind, err.code, err.credentialSent], ["refused", "ECONNREFUSED", false]);
      assert.equal(err.message, `GET http://127.0.0.1:${port}/v2/: connection refused [ECONNREFUSED]`);
    } finally {
      await c.close();
    }
  });

  test("a .invalid host: dns", async () => {
    const c = new RegistryClient({ url: "https://registry.pullmedic.invalid" }, { timeoutMs: 5000 });
    try {
      const err = await rejection(c.headManifest("app/web", "1"));
      assert.equal(err.kind, "dns");
      assert.ok(err.code === "ENOTFOUND" || err.code === "EAI_AGAIN", String(err.code));
      assert.match(err.message, /^HEAD https:\/\/registry\.pullmedic\.invalid\/v2\/app\/web\/manifests\/1: /);
    } finally {
      await c.close();
    }
  });

  test("an HTTP request to a Go TLS server (its 400 reply): http-to-https", async () => {
    // What Go's net/http writes when a TLS listener reads plain HTTP.
    const s = await rawServer((socket) => {
      socket.once("data", () => socket.end("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"));
    });
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 3000 });
    try {
      const ping = await rejection(c.ping());
      assert.deepEqual([ping.kind, ping.status], ["http-to-https", 400]);
      // HEAD has no body to read the hint from; the GET after it does.
      const head = await rejection(c.headManifest("app/web", "1"));
      assert.equal(head.kind, "http-to-https");
    } finally {
      await c.close();
    }
  });
});

describe("malformed answers", () => {
  test("response headers past undici's limit: protocol (a misbehaving server), not a connection reset", async () => {
    const s = await rawServer((socket) => {
      socket.once("data", () => {
        socket.end(`HTTP/1.1 200 OK\r\nX-Padding: ${"a".repeat(100_000)}\r\nContent-Length: 0\r\n\r\n`);
      });
    });
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 3000 });
    try {
      const err = await rejection(c.ping());
      assert.deepEqual([err.kind, err.code], ["protocol", "UND_ERR_HEADERS_OVERFLOW"]);
      assert.match(err.message, /response headers are too large/);
    } finally {
      await c.close();
    }
  });

  test("garbage where a manifest belongs: protocol, naming what is wrong", async () => {
    const s = await server((req, res) => {
      const bodies: Record<string, string> = {
        "/v2/app/notjson/manifests/1": "<html>not json</html>",
        "/v2/app/shape/manifests/1": JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{ digest: 7 }] }),
        "/v2/app/schema1/manifests/1": JSON.stringify({ schemaVersion: 1, name: "app/schema1", fsLayers: [] }),
        "/v2/app/tags/tags/list": JSON.stringify({ name: "app/tags", tags: "1.0" }),
      };
      const body = bodies[req.url.pathname];
      if (body === undefined) return registryError(res, 404, "NAME_UNKNOWN", "no");
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(body);
    });
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 3000 });
    try {
      const notJson = await rejection(c.getManifest("app/notjson", "1"));
      assert.deepEqual([notJson.kind, notJson.status], ["protocol", 200]);
      assert.match(notJson.message, /manifest is not JSON .*starts with "<html>not json<\/html>"/);
      const shape = await rejection(c.getManifest("app/shape", "1"));
      assert.match(shape.message, /manifest has an unexpected shape: manifests\[0\]\.mediaType: .*manifests\[0\]\.digest/);
      const schema1 = await rejection(c.getManifest("app/schema1", "1"));
      assert.match(schema1.message, /schema 1 manifest/);
      const tags = await rejection(c.listTags("app/tags"));
      assert.deepEqual([tags.kind, tags.step], ["protocol", "tags"]);
      assert.match(tags.message, /tag list has an unexpected shape: tags:/);
    } finally {
      await c.close();
    }
  });

  test("a manifest that does not hash to the requested digest (or to Docker-Content-Digest): protocol", async () => {
    const body = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] });
    const wrong = `sha256:${"e".repeat(64)}`;
    const s = await server((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/vnd.oci.image.index.v1+json", "Docker-Content-Digest": wrong });
      res.end(body);
    });
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 3000 });
    try {
      const byDigest = await rejection(c.getManifest("app/web", wrong));
      assert.equal(byDigest.kind, "protocol");
      assert.match(byDigest.message, /manifest body does not match its digest: expected sha256:e{64}, got sha256:[0-9a-f]{64}/);
      const byTag = await rejection(c.getManifest("app/web", "1"));
      assert.match(byTag.message, /does not match its digest/);
    } finally {
      await c.close();
    }
  });

  test("error bodies in token-server shapes are decoded; unreadable ones leave errors empty", async () => {
    const s = await server((req, res) => {
      if (req.url.pathname.includes("oauth")) return json(res, 400, { error: "invalid_request", error_description: "bad scope" });
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end("{not json");
    });
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 3000 });
    try {
      const oauth = await rejection(c.getManifest("oauth/app", "1"));
      assert.deepEqual(oauth.errors, [{ code: "invalid_request", message: "bad scope" }]);
      const broken = await rejection(c.getManifest("broken/app", "1"));
      assert.deepEqual([broken.kind, broken.status, broken.errors, broken.bodyText], ["http", 404, [], "{not json"]);
    } finally {
      await c.close();
    }
  });

  test("bad arguments are refused before any request", async () => {
    const c = new RegistryClient({ url: "http://127.0.0.1:9" }, { timeoutMs: 1000 });
    try {
      await assert.rejects(c.headManifest("App/Web", "1"), /not a repository path/);
      await assert.rejects(c.getManifest("app/web", "bad tag"), /neither a tag nor a digest/);
      await assert.rejects(c.sampleBlob("app/web", "sha256", { maxBytes: 1, maxMs: 1 }), /not a digest/);
    } finally {
      await c.close();
    }
    assert.throws(
      () => new RegistryClient({ url: "https://user:pw@reg.example" }, { timeoutMs: 1000 }),
      (err: Error) => !err.message.includes("pw") && /must not contain credentials/.test(err.message),
    );
    assert.throws(() => new RegistryClient({ url: "ftp://reg.example" }, { timeoutMs: 1000 }), /http:\/\/ or https:\/\//);
    assert.throws(() => new RegistryClient({ url: "https://reg.example" }, { timeoutMs: 0 }), /timeoutMs/);
    assert.throws(() => new RegistryClient({ url: "https://reg.example", headers: { "X-Bad": "a\r\nb" } }, { timeoutMs: 1000 }), /line break/);
  });
});
