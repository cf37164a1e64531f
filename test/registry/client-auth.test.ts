import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import { RegistryClient, type RegistryClientOptions, type RegistryCredential } from "../../agent/registry/index.js";
import { header, json, registryError, rejection, type SeenRequest, startServer, type TestServer } from "./client-servers.js";

// The Bearer token flow (distribution auth/token.md) against a loopback registry whose token
// server lives on the same port: what is sent where, what is cached for how long, and what an
// error says about the credential.

const USER = "robot";
const PASSWORD = "hunter2-Very-Secret";
const IDENTITY_TOKEN = "refresh-7f3a9c1e-identity";
const REGISTRY_TOKEN = "registry-token-41d2a8b0";
const SERVICE = "loopback-registry";
const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${"c".repeat(64)}`, size: 2 },
  layers: [],
});

interface TokenServerOptions {
  /** Seconds; undefined leaves expires_in out of the response. */
  expiresIn?: number;
  /** Seconds before the client's clock that the token claims it was issued. */
  issuedSecondsAgo?: number;
  /** Whether the token endpoint accepts the OAuth2 POST form (else 404, like GCR). */
  acceptPost?: boolean;
  /** Scope param the challenge names; default "repository:<repo>:pull". */
  challengeScope?: (repo: string) => string | undefined;
}

/**
 * `public/*` is readable with an anonymous token, `private/*` only with a token obtained with
 * USER/PASSWORD (or the identity token). Tokens are "tok-<n>-<anon|cred>".
 */
function bearerRegistry(now: () => number, opts: TokenServerOptions = {}) {
  let issued = 0;
  const tokenRequests: SeenRequest[] = [];
  const handler = (req: SeenRequest, res: ServerResponse): void => {
    const realm = `http://${header(req, "host") ?? ""}/token`;
    if (req.url.pathname === "/token") {
      tokenRequests.push(req);
      let withCredential = false;
      if (req.method === "POST") {
        if (opts.acceptPost !== true) return registryError(res, 404, "NOT_FOUND", "no POST here");
        const form = new URLSearchParams(req.body);
        if (form.get("grant_type") !== "refresh_token" || form.get("refresh_token") !== IDENTITY_TOKEN) {
          return json(res, 400, { error: "invalid_grant", error_description: "refresh token rejected" });
        }
        withCredential = true;
      } else {
        const auth = header(req, "authorization");
        if (auth !== undefined) {
          const [user, pass] = Buffer.from(auth.replace(/^Basic /, ""), "base64")
            .toString()
            .split(":");
          if (user === undefined || (pass !== PASSWORD && pass !== IDENTITY_TOKEN)) {
            return json(res, 401, { details: "incorrect username or password" }, { "WWW-Authenticate": 'Basic realm="token"' });
          }
          withCredential = true;
        }
      }
      issued++;
      const token = `tok-${issued}-${withCredential ? "cred" : "anon"}`;
      const body: Record<string, unknown> = { token, access_token: token };
      if (opts.expiresIn !== undefined) body["expires_in"] = opts.expiresIn;
      if (opts.issuedSecondsAgo !== undefined) body["issued_at"] = new Date(now() - opts.issuedSecondsAgo * 1000).toISOString();
      return json(res, 200, body);
    }
    const repo = /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(req.url.pathname)?.[1];
    const scope = repo === undefined ? undefined : (opts.challengeScope ?? ((r: string) => `repository:${r}:pull`))(repo);
    const challenge = `Bearer realm="${realm}",service="${SERVICE}"${scope !== undefined ? `,scope="${scope}"` : ""}`;
    const auth = header(req, "authorization") ?? "";
    const valid = /^Bearer tok-\d+-(anon|cred)$/.exec(auth);
    if (valid === null) return registryError(res, 401, "UNAUTHORIZED", "authentication required", { "WWW-Authenticate": challenge });
    if (repo === undefined) return json(res, 200, {});
    if (repo.startsWith("private/") && valid[1] !== "cred") {
      return registryError(res, 401, "UNAUTHORIZED", "authentication required", {
        "WWW-Authenticate": `${challenge},error="insufficient_scope"`,
      });
    }
    res.writeHead(200, { "Content-Type": "application/vnd.oci.image.manifest.v1+json", "Content-Length": Buffer.byteLength(MANIFEST) });
    res.end(req.method === "HEAD" ? undefined : MANIFEST);
  };
  return { handler, tokenRequests };
}

describe("bearer token flow", () => {
  let clock = T0;
  const now = (): number => clock;
  let servers: TestServer[] = [];

  async function registry(opts: TokenServerOptions = {}) {
    const r = bearerRegistry(now, opts);
    const server = await startServer(r.handler);
    servers.push(server);
    return { server, tokenRequests: r.tokenRequests };
  }

  function client(server: TestServer, extra: Partial<RegistryClientOptions> = {}): RegistryClient {
    return new RegistryClient({ url: server.url }, { timeoutMs: 3000, now, ...extra });
  }

  before(() => {
    clock = T0;
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
  });

  test("401 → token from the realm with service and scope → retry succeeds; no credentials sent anywhere", async () => {
    clock = T0;
    const { server, tokenRequests } = await registry({ expiresIn: 300 });
    const c = client(server);
    try {
      const head = await c.headManifest("public/app", "1.0");
      assert.equal(head.status, 200);
      assert.equal(tokenRequests.length, 1);
      const tokenUrl = tokenRequests[0]?.url;
      assert.equal(tokenUrl?.searchParams.get("service"), SERVICE);
      assert.deepEqual(tokenUrl?.searchParams.getAll("scope"), ["repository:public/app:pull"]);
      assert.equal(tokenRequests[0]?.headers["authorization"], undefined);
      const manifests = server.requests.filter((r) => r.url.pathname.includes("/manifests/"));
      assert.deepEqual(
        manifests.map((r) => header(r, "authorization")),
        [undefined, "Bearer tok-1-anon"],
      );
      assert.match(header(manifests[0] ?? tokenRequests[0]!, "user-agent") ?? "", /^pullmedic\/\d+\.\d+\.\d+/);
    } finally {
      await c.close();
    }
  });

  test("the token is reused until expires_in passes, by the injected clock", async () => {
    clock = T0;
    const { server, tokenRequests } = await registry({ expiresIn: 300 });
    const c = client(server);
    try {
      await c.headManifest("public/app", "1.0");
      clock = T0 + 299_000;
      await c.headManifest("public/app", "1.0");
      await c.getManifest("public/app", "1.0");
      assert.equal(tokenRequests.length, 1, "still within expires_in: no new token");
      clock = T0 + 301_000;
      await c.headManifest("public/app", "1.0");
      assert.equal(tokenRequests.length, 2, "expired: a new token");
      // Once the challenge is known, a fresh token is fetched up front instead of after a 401.
      const unauthenticated = server.requests.filter((r) => r.url.pathname.includes("/manifests/") && header(r, "authorization") === undefined);
      assert.equal(unauthenticated.length, 1);
    } finally {
      await c.close();
    }
  });

  test("without expires_in a token lives 60 s; issued_at in the past shortens the life", async () => {
    clock = T0;
    const plain = await registry({});
    const c1 = client(plain.server);
    try {
      await c1.headManifest("public/app", "1.0");
      clock = T0 + 59_000;
      await c1.headManifest("public/app", "1.0");
      assert.equal(plain.tokenRequests.length, 1);
      clock = T0 + 61_000;
      await c1.headManifest("public/app", "1.0");
      assert.equal(plain.tokenRequests.length, 2);
    } finally {
      await c1.close();
    }

    clock = T0;
    const old = await registry({ expiresIn: 300, issuedSecondsAgo: 200 });
    const c2 = client(old.server);
    try {
      await c2.headManifest("public/app", "1.0");
      clock = T0 + 90_000;
      await c2.headManifest("public/app", "1.0");
      assert.equal(old.tokenRequests.length, 1);
      clock = T0 + 110_000;
      await c2.headManifest("public/app", "1.0");
      assert.equal(old.tokenRequests.length, 2, "issued 200 s ago with 300 s to live: gone after 100 s");
    } finally {
      await c2.close();
    }
  });

  test("tokens are per scope: a second repository gets its own", async () => {
    clock = T0;
    const { server, tokenRequests } = await registry({ expiresIn: 300 });
    const c = client(server);
    try {
      await c.headManifest("public/a", "1");
      await c.headManifest("public/b", "1");
      await c.headManifest("public/a", "1");
      assert.deepEqual(
        tokenRequests.map((r) => r.url.searchParams.getAll("scope")),
        [["repository:public/a:pull"], ["repository:public/b:pull"]],
      );
    } finally {
      await c.close();
    }
  });

  test("several scopes in the challenge become several scope params, and that token is reused", async () => {
    clock = T0;
    const { server, tokenRequests } = await registry({ challengeScope: (r) => `repository:${r}:pull repository:base/img:pull` });
    const c = client(server);
    try {
      await c.getManifest("public/app", "1.0");
      assert.deepEqual(tokenRequests[0]?.url.searchParams.getAll("scope"), ["repository:public/app:pull", "repository:base/img:pull"]);
      await c.getManifest("public/app", "1.0");
      assert.equal(tokenRequests.length, 1, "the token for the challenge's scopes is reused for the repository");
    } finally {
      await c.close();
    }
  });

  test("authorize: anonymous bearer, then cached; with credentials not anonymous", async () => {
    clock = T0;
    const { server, tokenRequests } = await registry({ expiresIn: 300 });
    const anon = client(server);
    const cred = client(server, { credential: { username: USER, password: PASSWORD, source: "test" } });
    try {
      const first = await anon.authorize("public/app");
      assert.deepEqual([first.scheme, first.anonymous, first.cached], ["bearer", true, false]);
      assert.equal(typeof first.tokenMs, "number");
      const second = await anon.authorize("public/app");
      assert.deepEqual([second.scheme, second.cached, second.tokenMs], ["bearer", true, undefined]);
      const withCred = await cred.authorize("private/app");
      assert.deepEqual([withCred.scheme, withCred.anonymous], ["bearer", false]);
      assert.equal(header(tokenRequests.at(-1)!, "authorization"), `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`);
      assert.equal((await cred.headManifest("private/app", "1")).status, 200);
    } finally {
      await anon.close();
      await cred.close();
    }
  });

  test("private repository without credentials: 401 with credentialSent false", async () => {
    clock = T0;
    const { server } = await registry();
    const c = client(server);
    try {
      const err = await rejection(c.getManifest("private/app", "1"));
      assert.deepEqual([err.kind, err.status, err.credentialSent], ["http", 401, false]);
      assert.equal(err.challenges[0]?.params["error"], "insufficient_scope");
      assert.deepEqual(
        err.errors.map((e) => e.code),
        ["UNAUTHORIZED"],
      );
    } finally {
      await c.close();
    }
  });

  test("wrong password: the token step fails with credentialSent true", async () => {
    clock = T0;
    const { server } = await registry();
    const c = client(server, { credential: { username: USER, password: "nope-wrong", source: "test" } });
    try {
      const err = await rejection(c.headManifest("private/app", "1"));
      assert.deepEqual([err.step, err.kind, err.status, err.credentialSent], ["token", "http", 401, true]);
      assert.deepEqual(err.errors, [{ code: "", message: "incorrect username or password" }]);
      assert.match(
        err.message,
        /^GET http:\/\/127\.0\.0\.1:\d+\/token\?service=loopback-registry&scope=repository%3Aprivate%2Fapp%3Apull: 401 Unauthorized \(incorrect username or password\)$/,
      );
    } finally {
      await c.close();
    }
  });

  test("identity token: OAuth2 POST form when the token server takes it", async () => {
    clock = T0;
    const { server, tokenRequests } = await registry({ acceptPost: true });
    const c = client(server, { credential: { identityToken: IDENTITY_TOKEN, source: "test" } });
    try {
      assert.equal((await c.headManifest("private/app", "1")).status, 200);
      assert.equal(tokenRequests.length, 1);
      const form = new URLSearchParams(tokenRequests[0]?.body);
      assert.equal(tokenRequests[0]?.method, "POST");
      assert.deepEqual(
        [form.get("grant_type"), form.get("service"), form.get("scope"), form.get("client_id")],
        ["refresh_token", SERVICE, "repository:private/app:pull", "pullmedic"],
      );
    } finally {
      await c.close();
    }
  });

  test("identity token: falls back to GET with the token as Basic password when POST is not found", async () => {
    clock = T0;
    const { server, tokenRequests } = await registry({ acceptPost: false });
    const c = client(server, { credential: { username: USER, identityToken: IDENTITY_TOKEN, source: "test" } });
    try {
      assert.equal((await c.headManifest("private/app", "1")).status, 200);
      assert.deepEqual(
        tokenRequests.map((r) => r.method),
        ["POST", "GET"],
      );
      assert.equal(header(tokenRequests[1]!, "authorization"), `Basic ${Buffer.from(`${USER}:${IDENTITY_TOKEN}`).toString("base64")}`);
    } finally {
      await c.close();
    }
  });

  test("registry token: sent as the bearer token, no token server involved; rejected → credentialSent true", async () => {
    clock = T0;
    const { server, tokenRequests } = await registry();
    const c = client(server, { credential: { registryToken: REGISTRY_TOKEN, source: "test" } });
    try {
      const err = await rejection(c.headManifest("public/app", "1"));
      assert.deepEqual([err.status, err.credentialSent], [401, true]);
      assert.equal(tokenRequests.length, 0);
      assert.equal(header(server.requests.at(-1)!, "authorization"), `Bearer ${REGISTRY_TOKEN}`);
    } finally {
      await c.close();
    }
  });

  test("a token response without a token is a protocol error of the token step", async () => {
    const server = await startServer((req, res) => {
      if (req.url.pathname === "/token") return json(res, 200, { expires_in: 300 });
      registryError(res, 401, "UNAUTHORIZED", "auth", { "WWW-Authenticate": `Bearer realm="http://${header(req, "host") ?? ""}/token"` });
    });
    servers.push(server);
    const c = client(server);
    try {
      const err = await rejection(c.getManifest("public/app", "1"));
      assert.deepEqual([err.step, err.kind], ["token", "protocol"]);
      assert.match(err.message, /neither "token" nor "access_token"/);
    } finally {
      await c.close();
    }
  });
});

test("Docker Hub's Cloudflare blob redirect: its verify= signature is not shown in the error", async () => {
  const storage = await startServer((_req, res) => registryError(res, 403, "DENIED", "expired"));
  const server = await startServer((_req, res) => {
    res.writeHead(307, { Location: `${storage.url}/registry-v2/docker/registry/v2/blobs/sha256/aa/data?verify=1767225600-c2lnbmF0dXJlLXZhbHVl` });
    res.end();
  });
  const c = new RegistryClient({ url: server.url }, { timeoutMs: 3000 });
  try {
    const err = await rejection(c.sampleBlob("library/app", `sha256:${"a".repeat(64)}`, { maxBytes: 10, maxMs: 1000 }));
    for (const text of [err.message, JSON.stringify(err), err.url]) assert.ok(!text.includes("c2lnbmF0dXJlLXZhbHVl"), text);
    assert.match(err.url, /\/blobs\/sha256\/aa\/data$/);
  } finally {
    await c.close();
    await server.stop();
    await storage.stop();
  }
});

test("a signed redirect Location that is not a URL: the error names it without its query", async () => {
  const server = await startServer((_req, res) => {
    res.writeHead(302, { Location: "http://storage.example:99999/bucket/blob?X-Amz-Signature=abcdef0123&X-Amz-Credential=AKIAEXAMPLE" });
    res.end();
  });
  const c = new RegistryClient({ url: server.url }, { timeoutMs: 3000 });
  try {
    const err = await rejection(c.sampleBlob("library/app", `sha256:${"a".repeat(64)}`, { maxBytes: 10, maxMs: 1000 }));
    assert.equal(err.kind, "protocol");
    assert.match(err.message, /redirect Location "http:\/\/storage\.example:99999\/bucket\/blob" is not a URL/);
    for (const secret of ["abcdef0123", "AKIAEXAMPLE"]) assert.ok(!JSON.stringify(err).includes(secret) && !err.message.includes(secret), err.message);
  } finally {
    await c.close();
    await server.stop();
  }
});

describe("secrets never reach errors", () => {
  // Each failure is forced with a credential configured; none of the secrets, nor the Basic
  // encoding of user:password, nor an issued token may show up in what an error exposes.
  const secrets = [
    PASSWORD,
    IDENTITY_TOKEN,
    REGISTRY_TOKEN,
    Buffer.from(`${USER}:${PASSWORD}`).toString("base64"),
    Buffer.from(`${USER}:${IDENTITY_TOKEN}`).toString("base64"),
  ];
  let server: TestServer;
  const issuedToken = "issued-token-5b7e21c9d4";

  before(async () => {
    server = await startServer((req, res) => {
      const host = header(req, "host") ?? "";
      if (req.url.pathname === "/token") return json(res, 200, { token: issuedToken });
      if (req.url.pathname.startsWith("/v2/bearer/")) {
        // Rejects every token, echoing a challenge; the error must still not carry the token.
        return registryError(res, 401, "UNAUTHORIZED", "token rejected", {
          "WWW-Authenticate": `Bearer realm="http://${host}/token",service="s",error="invalid_token"`,
        });
      }
      if (req.url.pathname.startsWith("/v2/basic/")) return registryError(res, 401, "UNAUTHORIZED", "no", { "WWW-Authenticate": 'Basic realm="r"' });
      if (req.url.pathname.startsWith("/v2/redirect/")) {
        res.writeHead(307, { Location: `http://${host}/storage/blob?X-Amz-Signature=abcdef0123&X-Amz-Credential=AKIAEXAMPLE&token=${issuedToken}&part=1` });
        return res.end();
      }
      if (req.url.pathname === "/storage/blob") return registryError(res, 403, "DENIED", "signature expired");
      registryError(res, 500, "UNKNOWN", "boom");
    });
  });

  after(async () => {
    await server.stop();
  });

  const credentials: RegistryCredential[] = [
    { username: USER, password: PASSWORD, source: "test basic" },
    { username: USER, identityToken: IDENTITY_TOKEN, source: "test identity" },
    { registryToken: REGISTRY_TOKEN, source: "test registry token" },
  ];

  for (const credential of credentials) {
    test(`${credential.source}: bearer rejection, basic rejection, signed redirect, 500`, async () => {
      const c = new RegistryClient({ url: server.url }, { timeoutMs: 3000, credential });
      try {
        const errors = [
          await rejection(c.headManifest("bearer/app", "1")),
          await rejection(c.getManifest("basic/app", "1")),
          await rejection(c.sampleBlob("redirect/app", `sha256:${"a".repeat(64)}`, { maxBytes: 10, maxMs: 1000 })),
          await rejection(c.listTags("other/app")),
        ];
        for (const err of errors) {
          for (const text of [err.message, JSON.stringify(err), err.stack ?? "", err.url]) {
            for (const secret of [...secrets, issuedToken, "AKIAEXAMPLE", "abcdef0123"]) {
              assert.ok(!text.includes(secret), `${JSON.stringify(secret)} leaked into: ${text}`);
            }
          }
        }
        const redirected = errors[2];
        assert.match(redirected?.url ?? "", /\/storage\/blob\?part=1$/);
      } finally {
        await c.close();
      }
    });
  }
});
