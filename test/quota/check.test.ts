import assert from "node:assert/strict";
import { createServer } from "node:http";
import { describe, test } from "node:test";
import { checkDockerHubQuota, describeQuota, describeQuotaFailure, QuotaError, type QuotaReading, QuotaTracker } from "../../agent/quota/index.js";
import { RegistryClient, type RegistryCredential, RegistryError } from "../../agent/registry/index.js";
import { type FaultServer, QUOTA_CHECK_REPO, startFaultServer } from "../lab/faults.js";
import { buildImage } from "../lab/image.js";
import { withHub } from "./hub.js";

// The documented check against the Docker Hub stand-in (no real Hub here): what it reads, what
// it sends, and that it never spends a pull.

const TIMEOUT_MS = 5000;
const NOW = 1_750_000_000_000;
const ACCOUNT = { username: "nodebot", password: "hunter2-Sup3r-s3cret" };
const HUB = { kind: "rate-limited", limit: 100, remaining: 62, windowSeconds: 21600, source: "192.0.2.1" } as const;

function check(server: FaultServer, extra: { credential?: RegistryCredential } = {}): Promise<QuotaReading> {
  return checkDockerHubQuota({ registryUrl: server.url, timeoutMs: TIMEOUT_MS, now: () => NOW, ...extra });
}

function manifestRequests(server: FaultServer): string[] {
  return server.requests.filter((r) => r.path.includes("/manifests/")).map((r) => `${r.method} ${r.path}`);
}

describe("checkDockerHubQuota against the Docker Hub stand-in", () => {
  test("normal: reads limit, remaining, window and source with one HEAD, anonymously", () =>
    withHub(HUB, async (server) => {
      const reading = await check(server);
      assert.deepEqual(reading, {
        source: "192.0.2.1",
        limit: 100,
        remaining: 62,
        windowSeconds: 21600,
        unlimited: false,
        authenticated: false,
        observedAt: NOW,
        via: "check",
        problems: [],
      });
      assert.deepEqual(manifestRequests(server), [`HEAD /v2/${QUOTA_CHECK_REPO}/manifests/latest`]);
      const token = server.requests.find((r) => r.path.startsWith("/token?"));
      assert.ok(token, "asked the token endpoint");
      assert.equal(new URL(token.path, server.url).searchParams.get("scope"), `repository:${QUOTA_CHECK_REPO}:pull`);
      assert.equal(token.authorization, undefined, "no credential, no Basic header");
    }));

  test("the check spends no pull: checking again reads the same count", () =>
    withHub(HUB, async (server) => {
      const first = await check(server);
      const second = await check(server);
      assert.equal(second.remaining, first.remaining);
      assert.ok(
        manifestRequests(server).every((r) => r.startsWith("HEAD ")),
        manifestRequests(server).join("\n"),
      );
    }));

  test("low: 3 left is still a reading, and says so", () =>
    withHub({ ...HUB, remaining: 3 }, async (server) => {
      const reading = await check(server);
      assert.equal(reading.remaining, 3);
      assert.match(describeQuota(reading, NOW), /^3 of 100 pulls left .*nearly used up/);
    }));

  test("exhausted, as Hub answers its check: HEAD 200 with remaining 0", () =>
    withHub({ ...HUB, remaining: 0, headAtZero: 200 }, async (server) => {
      const reading = await check(server);
      assert.deepEqual([reading.remaining, reading.limit, reading.unlimited, reading.problems], [0, 100, false, []]);
      assert.deepEqual(manifestRequests(server), [`HEAD /v2/${QUOTA_CHECK_REPO}/manifests/latest`], "no GET, which would 429");
    }));

  test("exhausted, where the HEAD itself gets 429 with the quota headers: still a reading, not a failure", () =>
    withHub({ ...HUB, remaining: 0 }, async (server) => {
      const reading = await check(server);
      assert.deepEqual([reading.remaining, reading.limit, reading.source], [0, 100, "192.0.2.1"]);
      assert.deepEqual(manifestRequests(server), [`HEAD /v2/${QUOTA_CHECK_REPO}/manifests/latest`]);
    }));

  test("a 429 without quota headers is not read as a quota: the check fails naming the abuse limit", async () => {
    // Hub's abuse limit answers a bare 429; the stand-in modes always send headers, so a tiny server plays it.
    const server = createServer((req, res) => {
      if (req.url === "/v2/") return void res.writeHead(200, { "Content-Length": "2" }).end("{}");
      res.writeHead(429, { "Content-Length": "0" }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address === "object");
    try {
      const err = await checkDockerHubQuota({ registryUrl: `http://127.0.0.1:${address.port}`, timeoutMs: TIMEOUT_MS }).then(
        () => assert.fail("a bare 429 must not read as a quota"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof QuotaError, String(err));
      assert.equal(err.kind, "refused");
      assert.match(err.message, /429 Too Many Requests without quota headers.*abuse limit/);
      assert.ok(err.cause instanceof RegistryError);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("unlimited: no quota headers at all", () =>
    withHub({ kind: "hub-headers", headers: {} }, async (server) => {
      const reading = await check(server);
      assert.deepEqual(reading, {
        source: undefined,
        limit: undefined,
        remaining: undefined,
        windowSeconds: undefined,
        unlimited: true,
        authenticated: false,
        observedAt: NOW,
        via: "check",
        problems: [],
      });
      assert.equal(describeQuota(reading, NOW), "unlimited (no quota headers: authenticated paid account or unlimited source)");
    }));

  test("unlimited: quota headers sent with empty values", () =>
    withHub({ kind: "hub-headers", headers: { "RateLimit-Limit": "", "RateLimit-Remaining": "", "Docker-RateLimit-Source": "192.0.2.1" } }, async (server) => {
      const reading = await check(server);
      assert.equal(reading.unlimited, true);
      assert.deepEqual(reading.problems, []);
      assert.equal(reading.source, "192.0.2.1");
    }));

  // Every malformed form over the wire: a reading, the bad parts undefined, the problem named.
  const garbage: [string, Record<string, string | string[]>, Partial<QuotaReading>, RegExp][] = [
    [
      "a word for the limit",
      { "ratelimit-limit": "lots", "ratelimit-remaining": "62;w=21600" },
      { limit: undefined, remaining: 62, windowSeconds: 21600 },
      /"lots" is not a whole number of pulls/,
    ],
    [
      "an empty window",
      { "ratelimit-limit": "100;w=", "ratelimit-remaining": "62;w=" },
      { limit: 100, remaining: 62, windowSeconds: undefined },
      /window w="" is not/,
    ],
    [
      "a negative remaining count",
      { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "-1;w=21600" },
      { limit: 100, remaining: undefined },
      /"-1" is not a whole number/,
    ],
    [
      "two values in one header",
      { "ratelimit-limit": "100;w=21600, 300;w=3600", "ratelimit-remaining": "62;w=21600" },
      { limit: 100, remaining: 62 },
      /2 different values/,
    ],
    [
      "the header twice",
      { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": ["5;w=21600", "50;w=21600"] },
      { remaining: 5 },
      /ratelimit-remaining has 2 different values/,
    ],
    ["remaining without a limit", { "ratelimit-remaining": "62;w=21600" }, { limit: undefined, remaining: 62 }, /ratelimit-limit is missing/],
    [
      "nothing readable",
      { "ratelimit-limit": ";w=", "ratelimit-remaining": "many;w=six hours" },
      { limit: undefined, remaining: undefined, windowSeconds: undefined },
      /is not a whole number/,
    ],
  ];
  for (const [name, headers, expected, problem] of garbage) {
    test(`malformed headers do not crash the check: ${name}`, () =>
      withHub({ kind: "hub-headers", headers }, async (server) => {
        const reading = await check(server);
        assert.equal(reading.unlimited, false);
        for (const [field, value] of Object.entries(expected)) assert.deepEqual(reading[field as keyof QuotaReading], value, field);
        assert.ok(
          reading.problems.some((p) => problem.test(p)),
          reading.problems.join("\n"),
        );
        assert.match(describeQuota(reading, NOW), /header problems: /);
      }));
  }

  test("authenticated: the credential goes to the token endpoint as Basic, and nowhere else", () =>
    withHub({ ...HUB, account: ACCOUNT }, async (server) => {
      const credential: RegistryCredential = { ...ACCOUNT, source: 'key "index.docker.io" from test, user "nodebot"' };
      const reading = await check(server, { credential });
      assert.equal(reading.authenticated, true);
      assert.equal(reading.remaining, 62);
      const basic = `Basic ${Buffer.from(`${ACCOUNT.username}:${ACCOUNT.password}`).toString("base64")}`;
      const withBasic = server.requests.filter((r) => r.authorization === basic);
      assert.equal(withBasic.length, 1, JSON.stringify(server.requests));
      assert.match(withBasic[0]?.path ?? "", /^\/token\?/);
      const head = server.requests.find((r) => r.method === "HEAD");
      assert.match(head?.authorization ?? "", /^Bearer lab-/, "the HEAD carries the token, not the password");
      assert.doesNotMatch(JSON.stringify(reading), new RegExp(ACCOUNT.password));
    }));

  test("a wrong password: the token endpoint's 401 is a RegistryError whose words name the entry, never the password", () =>
    withHub({ ...HUB, account: ACCOUNT }, async (server) => {
      const credential: RegistryCredential = { username: ACCOUNT.username, password: "wrong-Pa55word-xyz", source: "test entry" };
      const err = await check(server, { credential }).then(
        () => assert.fail("a wrong password must fail the check"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof RegistryError, String(err));
      assert.deepEqual([err.step, err.status, err.credentialSent], ["token", 401, true]);
      const words = describeQuotaFailure(err, { credential: 'user "nodebot"' });
      assert.match(words, /token service refused the Docker Hub credentials \(user "nodebot"\).*incorrect username or password/);
      for (const text of [err.message, words, JSON.stringify(err)]) {
        assert.doesNotMatch(text, /wrong-Pa55word-xyz/);
        assert.doesNotMatch(text, new RegExp(Buffer.from(`${ACCOUNT.username}:wrong-Pa55word-xyz`).toString("base64").slice(0, 12)));
      }
      assert.equal(manifestRequests(server).length, 0, "no HEAD without a token");
    }));

  test("token endpoint failure: a clear error at the token step", () =>
    withHub({ ...HUB, tokenStatus: 503 }, async (server) => {
      const err = await check(server).then(
        () => assert.fail("a failing token endpoint must fail the check"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof RegistryError, String(err));
      assert.deepEqual([err.step, err.status], ["token", 503]);
      assert.match(describeQuotaFailure(err), /^the token service failed: GET .*\/token\?.*503 Service Unavailable/);
    }));

  test("an unreachable registry is a RegistryError naming the failure", async () => {
    const server = await startFaultServer(HUB);
    await server.stop();
    const err = await check(server).then(
      () => assert.fail("a stopped server must fail the check"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RegistryError, String(err));
    assert.equal(err.kind, "refused");
    assert.match(describeQuotaFailure(err), /^cannot reach the registry: .*connection refused/);
  });

  test("options that cannot make a check are a QuotaError, before any request", async () => {
    for (const opts of [
      { registryUrl: "not a url", timeoutMs: TIMEOUT_MS },
      { registryUrl: "ftp://hub.example", timeoutMs: TIMEOUT_MS },
      { registryUrl: "https://hub.example", timeoutMs: 0 },
      { registryUrl: "https://hub.example", timeoutMs: TIMEOUT_MS, repository: "Not/Valid" },
      { registryUrl: "https://hub.example", timeoutMs: TIMEOUT_MS, reference: "bad ref" },
    ]) {
      await assert.rejects(checkDockerHubQuota(opts), (e: unknown) => e instanceof QuotaError && e.kind === "bad-options", JSON.stringify(opts));
    }
  });

  test("checks in parallel each get their own answer", () =>
    withHub(HUB, async (hub) =>
      withHub({ kind: "hub-headers", headers: { "ratelimit-limit": "7;w=60", "ratelimit-remaining": "1;w=60" } }, async (other) => {
        const [a, b, c] = await Promise.all([check(hub), check(other), check(hub)]);
        assert.deepEqual([a?.remaining, b?.remaining, c?.remaining], [62, 1, 62]);
        assert.equal(b?.windowSeconds, 60);
      }),
    ));
});

describe("QuotaTracker fed by the registry client", () => {
  test("every Docker Hub response with quota headers becomes a pull reading; a manifest GET spends one", async () => {
    const image = buildImage({ files: { "a.txt": "a" }, label: "quota-tracker" });
    const server = await startFaultServer(HUB, [{ repo: "library/app", tag: "1.0", image }]);
    const tracker = new QuotaTracker();
    const client = new RegistryClient({ url: server.url }, { timeoutMs: TIMEOUT_MS, onRateLimit: tracker.recordRateLimit, now: () => NOW });
    try {
      await client.headManifest("library/app", "1.0");
      assert.deepEqual(tracker.latest(), {
        source: "192.0.2.1",
        limit: 100,
        remaining: 62,
        windowSeconds: 21600,
        unlimited: false,
        authenticated: false,
        observedAt: NOW,
        via: "pull",
        problems: [],
      });
      await client.getManifest("library/app", "1.0");
      assert.equal(tracker.latest()?.remaining, 61);
      assert.equal(tracker.bySource().length, 1);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});
