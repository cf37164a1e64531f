import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import { RegistryClient } from "../../agent/registry/index.js";
import { header, json, registryError, rejection, startServer, type TestServer } from "./client-servers.js";

// Paging, redirects, mirrors and blob sampling against loopback servers that do exactly what
// the spec allows and the lab registry does not (relative Links, redirects to another host).

const servers: TestServer[] = [];
async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args);
  servers.push(s);
  return s;
}
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
const sha256 = (data: Buffer): string => `sha256:${createHash("sha256").update(data).digest("hex")}`;

describe("tag pagination", () => {
  const all = Array.from({ length: 25 }, (_, i) => `v${String(i).padStart(2, "0")}`);

  async function pagedRegistry(linkStyle: "path" | "query-only" | "absolute"): Promise<TestServer> {
    return server((req, res) => {
      // Like registries that cap pages below the n asked for: fewer results plus a Link is allowed.
      const n = Math.min(10, Number(req.url.searchParams.get("n") ?? "1000"));
      const last = req.url.searchParams.get("last");
      const start = last === null ? 0 : all.indexOf(last) + 1;
      const page = all.slice(start, start + n);
      const headers: Record<string, string> = {};
      if (start + n < all.length) {
        const query = `n=${n}&last=${page.at(-1) ?? ""}`;
        const target =
          linkStyle === "path"
            ? `/v2/app/web/tags/list?${query}`
            : linkStyle === "query-only"
              ? `?${query}`
              : `http://${header(req, "host") ?? ""}/v2/app/web/tags/list?${query}`;
        headers["Link"] = `<${target}>; rel="next"`;
      }
      json(res, 200, { name: "app/web", tags: page }, headers);
    });
  }

  for (const style of ["path", "query-only", "absolute"] as const) {
    test(`follows ${style} Link targets to the end`, async () => {
      const s = await pagedRegistry(style);
      const c = new RegistryClient({ url: s.url }, { timeoutMs: 3000 });
      try {
        assert.deepEqual(await c.listTags("app/web"), all);
        assert.deepEqual(
          s.requests.map((r) => r.path),
          ["/v2/app/web/tags/list?n=1000", "/v2/app/web/tags/list?n=10&last=v09", "/v2/app/web/tags/list?n=10&last=v19"],
        );
        s.requests.length = 0;
        assert.deepEqual(await c.listTags("app/web", { max: 12 }), all.slice(0, 12));
        assert.equal(s.requests.length, 2, "stops paging once max tags are in");
      } finally {
        await c.close();
      }
    });
  }

  test("n=1000 by default, empty and null tag lists, a Link loop is refused", async () => {
    const s = await server((req, res) => {
      if (req.url.pathname === "/v2/empty/tags/list") return json(res, 200, { name: "empty", tags: null });
      if (req.url.pathname === "/v2/loop/tags/list") return json(res, 200, { name: "loop", tags: ["a"] }, { Link: '</v2/loop/tags/list?n=1000>; rel="next"' });
      json(res, 200, { name: "x", tags: [] });
    });
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 3000 });
    try {
      assert.deepEqual(await c.listTags("empty"), []);
      assert.deepEqual(await c.listTags("x"), []);
      assert.equal(s.requests[0]?.path, "/v2/empty/tags/list?n=1000");
      const loop = await rejection(c.listTags("loop"));
      assert.deepEqual([loop.kind, loop.step], ["protocol", "tags"]);
      assert.match(loop.message, /already read/);
    } finally {
      await c.close();
    }
  });

  test("a page far longer than asked for (n ignored): the list stops at max instead of overflowing the stack", async () => {
    const huge = Array.from({ length: 400_000 }, (_, i) => `t${i}`);
    const s = await server((_req, res) => json(res, 200, { name: "big", tags: huge }));
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 10_000 });
    try {
      assert.deepEqual(await c.listTags("big", { max: 3 }), ["t0", "t1", "t2"]);
      assert.equal((await c.listTags("big")).length, 10_000);
    } finally {
      await c.close();
    }
  });
});

describe("blobs", () => {
  test("a redirect to another host gets no Authorization and no hosts.toml headers; the same host keeps them", async () => {
    const blob = randomBytes(40_000);
    const digest = sha256(blob);
    const storage = await server((_req, res) => {
      res.writeHead(200, { "Content-Length": blob.length, "Content-Type": "application/octet-stream" });
      res.end(blob);
    });
    const registry = await server((req, res) => {
      if (header(req, "authorization") === undefined) return registryError(res, 401, "UNAUTHORIZED", "auth", { "WWW-Authenticate": 'Basic realm="r"' });
      // The hop through /hop keeps us on this host first, then leaves it.
      if (req.url.pathname.endsWith(`/blobs/${digest}`)) {
        res.writeHead(307, { Location: "/hop" });
        return res.end();
      }
      res.writeHead(302, { Location: `${storage.url}/bucket/blob?X-Amz-Signature=s1` });
      res.end();
    });
    const c = new RegistryClient(
      { url: registry.url, headers: { "X-Mirror-Key": "k-9" } },
      { timeoutMs: 3000, credential: { username: "u", password: "p", source: "test" } },
    );
    try {
      const sample = await c.sampleBlob("app/web", digest, { maxBytes: 1_000_000, maxMs: 10_000 });
      assert.deepEqual([sample.complete, sample.bytes, sample.totalBytes], [true, blob.length, blob.length]);
      assert.deepEqual(
        registry.requests.map((r) => [r.path, header(r, "authorization"), header(r, "x-mirror-key")]),
        [
          [`/v2/app/web/blobs/${digest}`, undefined, "k-9"],
          [`/v2/app/web/blobs/${digest}`, basic("u", "p"), "k-9"],
          ["/hop", basic("u", "p"), "k-9"],
        ],
      );
      assert.equal(storage.requests.length, 1);
      assert.equal(storage.requests[0]?.headers["authorization"], undefined);
      assert.equal(storage.requests[0]?.headers["x-mirror-key"], undefined);
      assert.match(header(storage.requests[0]!, "user-agent") ?? "", /^pullmedic\//);
    } finally {
      await c.close();
    }
  });

  test("maxMs ends a slow blob; a whole blob with the wrong content is a protocol error", async () => {
    const good = randomBytes(1000);
    const s = await server((req, res) => {
      if (req.url.pathname.includes("/slow/")) {
        res.writeHead(200, { "Content-Length": 1_000_000 });
        res.write(randomBytes(1000));
        return; // then nothing: the client must stop by maxMs, well before the body timeout
      }
      res.writeHead(200, { "Content-Length": good.length });
      res.end(good);
    });
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 5000 });
    try {
      const started = Date.now();
      const slow = await c.sampleBlob("slow/app", sha256(good), { maxBytes: 1_000_000, maxMs: 200 });
      assert.deepEqual([slow.complete, slow.bytes, slow.totalBytes], [false, 1000, 1_000_000]);
      assert.ok(Date.now() - started < 4000, "stopped by maxMs, not by the 5 s body timeout");
      const wrong = await rejection(c.sampleBlob("fast/app", `sha256:${"0".repeat(64)}`, { maxBytes: 1_000_000, maxMs: 5000 }));
      assert.deepEqual([wrong.kind, wrong.step], ["protocol", "blob"]);
      assert.match(wrong.message, /blob does not match its digest/);
    } finally {
      await c.close();
    }
  });
});

describe("mirrors and odd registries", () => {
  test("override_path and ns: the URL is the API root, ?ns= on every registry request", async () => {
    const body = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] });
    const s = await server((req, res) => {
      if (req.url.pathname.endsWith("/tags/list")) {
        const last = req.url.searchParams.get("last");
        const headers: Record<string, string> = last === null ? { Link: '</mirror/api/library/nginx/tags/list?n=1000&last=a>; rel="next"' } : {};
        return json(res, 200, { name: "library/nginx", tags: last === null ? ["a"] : ["b"] }, headers);
      }
      if (req.url.pathname === "/mirror/api/") return json(res, 200, {});
      res.writeHead(200, { "Content-Type": "application/vnd.oci.image.index.v1+json", "Docker-Content-Digest": sha256(Buffer.from(body)) });
      res.end(req.method === "HEAD" ? undefined : body);
    });
    const c = new RegistryClient({ url: `${s.url}/mirror/api/`, overridePath: true, namespace: "docker.io" }, { timeoutMs: 3000 });
    try {
      assert.equal((await c.ping()).status, 200);
      assert.equal((await c.headManifest("library/nginx", "1.27")).digest, sha256(Buffer.from(body)));
      assert.deepEqual(await c.listTags("library/nginx"), ["a", "b"]);
      assert.deepEqual(
        s.requests.map((r) => r.path),
        [
          "/mirror/api/?ns=docker.io",
          "/mirror/api/library/nginx/manifests/1.27?ns=docker.io",
          "/mirror/api/library/nginx/tags/list?ns=docker.io&n=1000",
          "/mirror/api/library/nginx/tags/list?n=1000&last=a&ns=docker.io",
        ],
      );
    } finally {
      await c.close();
    }
  });

  test("a registry that refuses HEAD but serves GET: headManifest answers from the GET", async () => {
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] }));
    const s = await server((req, res) => {
      if (req.method === "HEAD") {
        res.writeHead(404);
        return res.end();
      }
      res.writeHead(200, { "Content-Type": "application/vnd.oci.image.index.v1+json" });
      res.end(body);
    });
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 3000 });
    try {
      const head = await c.headManifest("app/web", "1");
      assert.deepEqual([head.status, head.digest, head.size, head.mediaType], [200, sha256(body), body.length, "application/vnd.oci.image.index.v1+json"]);
    } finally {
      await c.close();
    }
  });

  test("manifests are asked for with the four modern media types", async () => {
    const s = await server((_req, res) => registryError(res, 404, "MANIFEST_UNKNOWN", "manifest unknown"));
    const c = new RegistryClient({ url: s.url }, { timeoutMs: 3000, userAgent: "probe/1" });
    try {
      await rejection(c.getManifest("app/web", "1"));
      assert.deepEqual(header(s.requests[0]!, "accept")?.split(", "), [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
      ]);
      assert.equal(header(s.requests[0]!, "user-agent"), "probe/1");
    } finally {
      await c.close();
    }
  });
});
