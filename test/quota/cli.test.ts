import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runPullmedic, runPullmedicJson } from "../support/cli.js";
import { withHub } from "./hub.js";

// `pullmedic quota` as a person runs it: a real process, pointed at the Docker Hub stand-in.

const ACCOUNT = { username: "nodebot", password: "Quota-Pa55-never-shown" };
const HUB = { kind: "rate-limited", limit: 100, remaining: 62, windowSeconds: 21600, source: "192.0.2.1" } as const;

interface QuotaJson {
  source: string | null;
  limit: number | null;
  remaining: number | null;
  windowSeconds: number | null;
  unlimited: boolean;
  authenticated: boolean;
  observedAt: number;
  via: string;
  problems: string[];
  credential: string | null;
  error?: { kind: string; message: string; step?: string; status?: number | null; credentialSent?: boolean };
}

let dir = "";
let goodConfig = "";
let wrongConfig = "";
let otherRegistryConfig = "";

function dockerConfig(name: string, auths: Record<string, { auth: string }>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ auths }));
  return path;
}

const basicAuth = (user: string, password: string): string => Buffer.from(`${user}:${password}`).toString("base64");

before(() => {
  dir = mkdtempSync(join(tmpdir(), "pullmedic-quota-"));
  goodConfig = dockerConfig("good.json", { "https://index.docker.io/v1/": { auth: basicAuth(ACCOUNT.username, ACCOUNT.password) } });
  wrongConfig = dockerConfig("wrong.json", { "https://index.docker.io/v1/": { auth: basicAuth(ACCOUNT.username, "Wrong-Pa55-never-shown") } });
  otherRegistryConfig = dockerConfig("other.json", { "registry.example.com": { auth: basicAuth("someone", "Other-Pa55-never-shown") } });
});

after(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

function assertNoSecret(...texts: string[]): void {
  for (const secret of [ACCOUNT.password, "Wrong-Pa55-never-shown", "Other-Pa55-never-shown", basicAuth(ACCOUNT.username, ACCOUNT.password)]) {
    for (const text of texts) assert.ok(!text.includes(secret), `a secret leaked into:\n${text}`);
  }
}

describe("pullmedic quota", { concurrency: 4 }, () => {
  test("normal: prints limit, remaining, window, source and account, exit 0", () =>
    withHub(HUB, async (server) => {
      const r = await runPullmedic(["quota", "--registry-url", server.url]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^ {2}remaining: +62$/m);
      assert.match(r.stdout, /^ {2}limit: +100$/m);
      assert.match(r.stdout, /^ {2}window: +6 h, sliding: pulls made in the last 6 h count; the oldest frees a slot when it turns 6 h old$/m);
      assert.match(r.stdout, /^ {2}source: +192\.0\.2\.1 /m);
      assert.match(r.stdout, /^ {2}account: +anonymous \(no --docker-config given\)$/m);
      assert.match(r.stdout, /^62 of 100 pulls left in a 6 h window for 192\.0\.2\.1 \(anonymous\)$/m);
    }));

  test("--json prints the reading with every field", () =>
    withHub({ ...HUB, remaining: 3 }, async (server) => {
      const before = Date.now();
      const r = await runPullmedicJson<QuotaJson>(["quota", "--registry-url", server.url]);
      assert.equal(r.code, 0, r.stderr);
      const { observedAt, ...rest } = r.out;
      assert.deepEqual(rest, {
        source: "192.0.2.1",
        limit: 100,
        remaining: 3,
        windowSeconds: 21600,
        unlimited: false,
        authenticated: false,
        via: "check",
        problems: [],
        credential: null,
      });
      assert.ok(observedAt >= before && observedAt <= Date.now(), String(observedAt));
    }));

  test("exhausted: exit 1, and the window is explained rather than a reset time promised", () =>
    withHub({ ...HUB, remaining: 0, headAtZero: 200 }, async (server) => {
      const r = await runPullmedic(["quota", "--registry-url", server.url]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^0 of 100 pulls left .*used up.*the oldest frees a slot when it turns 6 h old$/m);
      assert.doesNotMatch(r.stdout, /reset/i);
      const json = await runPullmedicJson<QuotaJson>(["quota", "--registry-url", server.url]);
      assert.equal(json.code, 1);
      assert.equal(json.out.remaining, 0);
    }));

  test("unlimited: exit 0 with nulls for what was not given", () =>
    withHub({ kind: "hub-headers", headers: {} }, async (server) => {
      const r = await runPullmedic(["quota", "--registry-url", server.url]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^unlimited \(no quota headers: authenticated paid account or unlimited source\)$/m);
      const json = await runPullmedicJson<QuotaJson>(["quota", "--registry-url", server.url]);
      assert.deepEqual([json.out.unlimited, json.out.limit, json.out.remaining, json.out.source], [true, null, null, null]);
    }));

  test("malformed headers: exit 1, the problems listed, no crash", () =>
    withHub(
      { kind: "hub-headers", headers: { "ratelimit-limit": "lots", "ratelimit-remaining": "-2;w=", "docker-ratelimit-source": "192.0.2.9" } },
      async (server) => {
        const r = await runPullmedic(["quota", "--registry-url", server.url]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.equal(r.stderr, "");
        assert.match(r.stdout, /^ {2}problem: +ratelimit-limit "lots": "lots" is not a whole number of pulls$/m);
        assert.match(r.stdout, /^ {2}problem: +ratelimit-remaining "-2;w=": "-2" is not a whole number of pulls$/m);
        assert.match(r.stdout, /cannot say that pulls will work/);
        const json = await runPullmedicJson<QuotaJson>(["quota", "--registry-url", server.url]);
        assert.equal(json.out.problems.length, 3, json.out.problems.join("\n"));
        assert.equal(json.out.source, "192.0.2.9");
      },
    ));

  test("--docker-config: checks with the docker.io entry, says which, never prints the password", () =>
    withHub({ ...HUB, account: ACCOUNT }, async (server) => {
      const r = await runPullmedic(["quota", "--registry-url", server.url, "--docker-config", goodConfig]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /^ {2}account: +authenticated with key "index\.docker\.io" \(written "https:\/\/index\.docker\.io\/v1\/"\) from --docker-config .*good\.json, user "nodebot"$/m,
      );
      const json = await runPullmedicJson<QuotaJson>(["quota", "--registry-url", server.url, "--docker-config", goodConfig]);
      assert.equal(json.out.authenticated, true);
      assert.match(json.out.credential ?? "", /user "nodebot"/);
      const tokenRequests = server.requests.filter((q) => q.path.startsWith("/token?"));
      assert.ok(
        tokenRequests.length >= 2 && tokenRequests.every((q) => q.authorization === `Basic ${basicAuth(ACCOUNT.username, ACCOUNT.password)}`),
        JSON.stringify(tokenRequests),
      );
      assertNoSecret(r.stdout, r.stderr, JSON.stringify(json.out), json.stderr);
    }));

  test("a wrong password: exit 1 with the cause in words, never the password", () =>
    withHub({ ...HUB, account: ACCOUNT }, async (server) => {
      const r = await runPullmedic(["quota", "--registry-url", server.url, "--docker-config", wrongConfig]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /cause: +the token service refused the Docker Hub credentials \(key "index\.docker\.io".*user "nodebot"\): check the username and the password or access token/,
      );
      assert.match(r.stdout, /incorrect username or password/);
      const json = await runPullmedicJson<QuotaJson>(["quota", "--registry-url", server.url, "--docker-config", wrongConfig]);
      assert.equal(json.code, 1);
      assert.deepEqual([json.out.error?.kind, json.out.error?.step, json.out.error?.status, json.out.error?.credentialSent], ["registry", "token", 401, true]);
      assertNoSecret(r.stdout, r.stderr, JSON.stringify(json.out), json.stderr);
    }));

  test("a config without a docker.io entry: the anonymous quota, and it says why", () =>
    withHub(HUB, async (server) => {
      const r = await runPullmedic(["quota", "--registry-url", server.url, "--docker-config", otherRegistryConfig]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /account: +anonymous \(--docker-config .*other\.json has no entry for docker\.io\)/);
      assert.ok(server.requests.every((q) => q.authorization === undefined || q.authorization.startsWith("Bearer ")));
      assertNoSecret(r.stdout, r.stderr);
    }));

  test("token endpoint failure: exit 1 naming the token service", () =>
    withHub({ ...HUB, tokenStatus: 503 }, async (server) => {
      const r = await runPullmedic(["quota", "--registry-url", server.url]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /cause: +the token service failed: GET http:\/\/127\.0\.0\.1:\d+\/token\?.*503 Service Unavailable/);
    }));

  test("bad usage exits 2: an unreadable file, a bad config, a bad URL, a bad timeout", async () => {
    const notJson = join(dir, "not-json.json");
    writeFileSync(notJson, "{ nope");
    const cases: [string[], RegExp][] = [
      [["--docker-config", join(dir, "missing.json")], /cannot read --docker-config .*missing\.json: no such file/],
      [["--docker-config", notJson], /not-json\.json/],
      [["--registry-url", "registry-1.docker.io"], /--registry-url "registry-1\.docker\.io" is not a URL/],
      [["--registry-url", "ftp://hub.example"], /--registry-url must be http:\/\/ or https:\/\//],
      [["--registry-url", "https://user:pw@hub.example"], /must not contain credentials/],
      [["--timeout", "0"], /--timeout "0" must be a number of seconds/],
    ];
    for (const [args, message] of cases) {
      const r = await runPullmedic(["quota", ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /pw@/);
    }
  });
});
