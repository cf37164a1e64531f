import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { describeQuota, describeQuotaFailure, describeWindow, QuotaError, type QuotaReading } from "../../agent/quota/index.js";
import { RegistryError } from "../../agent/registry/index.js";

const NOW = 1_750_000_000_000;

function reading(over: Partial<QuotaReading>): QuotaReading {
  return {
    source: "192.0.2.1",
    limit: 100,
    remaining: 62,
    windowSeconds: 21600,
    unlimited: false,
    authenticated: false,
    observedAt: NOW,
    via: "check",
    problems: [],
    ...over,
  };
}

describe("describeQuota", () => {
  const table: [string, Partial<QuotaReading>, string][] = [
    ["normal", {}, "62 of 100 pulls left in a 6 h window for 192.0.2.1 (anonymous)"],
    [
      "authenticated, another account's numbers",
      { limit: 200, remaining: 180, source: "account-7", authenticated: true },
      "180 of 200 pulls left in a 6 h window for account-7 (authenticated)",
    ],
    // Only the numbers read are used: an unusual limit and window come out as given.
    ["other numbers", { limit: 37, remaining: 30, windowSeconds: 5400 }, "30 of 37 pulls left in a 1 h 30 min window for 192.0.2.1 (anonymous)"],
    [
      "low",
      { remaining: 3 },
      "3 of 100 pulls left in a 6 h window for 192.0.2.1 (anonymous); nearly used up: pulls made in the last 6 h count; the oldest frees a slot when it turns 6 h old",
    ],
    [
      "exhausted",
      { remaining: 0 },
      "0 of 100 pulls left in a 6 h window for 192.0.2.1 (anonymous); used up, pulls fail with 429 until a slot frees: pulls made in the last 6 h count; the oldest frees a slot when it turns 6 h old",
    ],
    [
      "unlimited",
      { unlimited: true, limit: undefined, remaining: undefined, windowSeconds: undefined, source: undefined },
      "unlimited (no quota headers: authenticated paid account or unlimited source)",
    ],
    ["seen on a pull", { via: "pull" }, "62 of 100 pulls left in a 6 h window for 192.0.2.1 (seen on a pull)"],
    ["no source", { source: undefined }, "62 of 100 pulls left in a 6 h window for a source the registry did not name (anonymous)"],
    ["no window", { windowSeconds: undefined }, "62 of 100 pulls left (window length not given) for 192.0.2.1 (anonymous)"],
    [
      "unreadable limit",
      { limit: undefined, problems: ['ratelimit-limit "lots": "lots" is not a whole number of pulls'] },
      '62 pulls left (limit not readable) in a 6 h window for 192.0.2.1 (anonymous); header problems: ratelimit-limit "lots": "lots" is not a whole number of pulls',
    ],
    [
      "unreadable count",
      { remaining: undefined, problems: ["p"] },
      "pulls left not readable (limit 100) in a 6 h window for 192.0.2.1 (anonymous); header problems: p",
    ],
    ["read a while ago", { observedAt: NOW - 5 * 60_000 }, "62 of 100 pulls left in a 6 h window for 192.0.2.1 (anonymous) [read 5 min ago]"],
  ];
  for (const [name, over, expected] of table) {
    test(name, () => assert.equal(describeQuota(reading(over), NOW), expected));
  }

  test("never promises a reset time", () => {
    for (const [, over] of table) assert.doesNotMatch(describeQuota(reading(over), NOW), /reset|resets|at \d\d:\d\d/i);
  });
});

describe("describeWindow", () => {
  test("say what a sliding window means with the window given", () => {
    assert.equal(describeWindow(3600), "pulls made in the last 1 h count; the oldest frees a slot when it turns 1 h old");
    assert.match(describeWindow(undefined), /pulls made within the window count/);
  });
});

describe("describeQuotaFailure", () => {
  const tokenUrl = "https://auth.example/token?service=registry.docker.io";
  test("a refused credential names the entry, not the secret", () => {
    const err = new RegistryError({
      kind: "http",
      step: "token",
      method: "GET",
      url: tokenUrl,
      status: 401,
      errors: [{ code: "", message: "incorrect username or password" }],
      credentialSent: true,
    });
    const text = describeQuotaFailure(err, { credential: 'key "index.docker.io" from --docker-config c.json, user "bob"' });
    assert.match(
      text,
      /the token service refused the Docker Hub credentials \(key "index.docker.io" from --docker-config c.json, user "bob"\): check the username/,
    );
    assert.match(text, /incorrect username or password/);
  });
  test("an unreachable token service, a failing one, and a missing check image", () => {
    assert.match(
      describeQuotaFailure(
        new RegistryError({ kind: "refused", step: "token", method: "GET", url: tokenUrl, credentialSent: false, reason: "connection refused" }),
      ),
      /^cannot reach the token service: .*connection refused/,
    );
    assert.match(
      describeQuotaFailure(new RegistryError({ kind: "http", step: "token", method: "GET", url: tokenUrl, status: 503, credentialSent: false })),
      /^the token service failed: .*503 Service Unavailable/,
    );
    assert.match(
      describeQuotaFailure(
        new RegistryError({
          kind: "http",
          step: "manifest",
          method: "HEAD",
          url: "https://r.example/v2/ratelimitpreview/test/manifests/latest",
          status: 404,
          credentialSent: false,
        }),
      ),
      /ratelimitpreview\/test is not there; is the registry URL Docker Hub\?/,
    );
    assert.equal(describeQuotaFailure(new QuotaError("refused", "why")), "why");
  });
});
