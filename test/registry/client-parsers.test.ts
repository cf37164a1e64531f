import assert from "node:assert/strict";
import { test } from "node:test";
import { type AuthChallenge, parseRateLimitHeaders, parseRetryAfter, parseWwwAuthenticate } from "../../agent/registry/index.js";

// Header parsers get what real registries send, and what broken proxies send.

const challengeCases: { name: string; input: string | string[]; want: AuthChallenge[] }[] = [
  {
    name: "Docker Hub bearer with a comma inside the quoted scope",
    input: 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"',
    want: [
      { scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:samalba/my-app:pull,push" } },
    ],
  },
  {
    name: "Quay: Basic and Bearer in one header, Bearer without scope",
    input: 'Basic realm="quay.io", Bearer realm="https://quay.io/v2/auth",service="quay.io"',
    want: [
      { scheme: "basic", params: { realm: "quay.io" } },
      { scheme: "bearer", params: { realm: "https://quay.io/v2/auth", service: "quay.io" } },
    ],
  },
  {
    name: "ECR basic, scheme case folded, spaces around = and commas",
    input: 'BASIC realm = "https://1.dkr.ecr.us-east-1.amazonaws.com/" ,  service="ecr.amazonaws.com"',
    want: [{ scheme: "basic", params: { realm: "https://1.dkr.ecr.us-east-1.amazonaws.com/", service: "ecr.amazonaws.com" } }],
  },
  {
    name: "several header lines",
    input: ['Bearer realm="https://a/token"', 'Basic realm="b"'],
    want: [
      { scheme: "bearer", params: { realm: "https://a/token" } },
      { scheme: "basic", params: { realm: "b" } },
    ],
  },
  {
    name: "escaped quote and backslash in a quoted value; unquoted token values",
    input: 'Newauth realm="apps", type=1, title="Login to \\"apps\\" \\\\ here", Basic realm="simple"',
    want: [
      { scheme: "newauth", params: { realm: "apps", type: "1", title: 'Login to "apps" \\ here' } },
      { scheme: "basic", params: { realm: "simple" } },
    ],
  },
  {
    name: "error param on a rejected token; parameter names folded to lower case",
    input: 'Bearer Realm="https://r/token",Service="svc",Error="insufficient_scope"',
    want: [{ scheme: "bearer", params: { realm: "https://r/token", service: "svc", error: "insufficient_scope" } }],
  },
  {
    name: "token68 credential",
    input: "Negotiate YIIC1gYGKwYBBQUCoIICyjCCAsag==",
    want: [{ scheme: "negotiate", params: {}, token68: "YIIC1gYGKwYBBQUCoIICyjCCAsag==" }],
  },
  {
    name: "bare schemes",
    input: "Basic, Bearer",
    want: [
      { scheme: "basic", params: {} },
      { scheme: "bearer", params: {} },
    ],
  },
  {
    name: "a repeated parameter keeps the first value",
    input: 'Bearer realm="first", realm="second"',
    want: [{ scheme: "bearer", params: { realm: "first" } }],
  },
  { name: "empty header", input: "", want: [] },
  { name: "only commas and spaces", input: " , ,, ", want: [] },
  {
    name: "unterminated quote: what came before is kept, nothing after",
    input: 'Bearer realm="https://r/token",service="unfinished',
    want: [{ scheme: "bearer", params: { realm: "https://r/token" } }],
  },
  {
    name: "a parameter without a scheme is skipped",
    input: 'realm="orphan", Basic realm="x"',
    want: [{ scheme: "basic", params: { realm: "x" } }],
  },
  {
    name: "junk after a value is dropped up to the next comma",
    input: 'Bearer realm="r" garbage here, service="s"',
    want: [{ scheme: "bearer", params: { realm: "r", service: "s" } }],
  },
  { name: "non-ASCII junk", input: '\u00ff\u00fe, Basic realm="x"', want: [{ scheme: "basic", params: { realm: "x" } }] },
];

for (const c of challengeCases) {
  test(`parseWwwAuthenticate: ${c.name}`, () => {
    assert.deepEqual(parseWwwAuthenticate(c.input), c.want);
  });
}

test("parseWwwAuthenticate never throws on arbitrary input", () => {
  const alphabet = ['"', "\\", ",", "=", " ", "a", "B", ";", "\t", "\u0000", "é"];
  for (let seed = 1; seed < 3000; seed++) {
    let s = "";
    let x = seed;
    for (let i = 0; i < 24; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      s += alphabet[x % alphabet.length];
    }
    assert.ok(Array.isArray(parseWwwAuthenticate(s)), s);
  }
});

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

const rateCases: { name: string; headers: Record<string, string | string[] | undefined>; want: ReturnType<typeof parseRateLimitHeaders> }[] = [
  {
    name: "Docker Hub anonymous",
    headers: { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "20;w=21600", "docker-ratelimit-source": "192.0.2.1" },
    want: { limit: 100, remaining: 20, windowSeconds: 21600, source: "192.0.2.1", observedAt: NOW },
  },
  {
    name: "old capitalised names, spaces, upper-case W",
    headers: { "RateLimit-Limit": " 200 ; W = 21600 ", "RateLimit-Remaining": "0 ;w=21600", "Docker-RateLimit-Source": "2001:db8:1:2::" },
    want: { limit: 200, remaining: 0, windowSeconds: 21600, source: "2001:db8:1:2::", observedAt: NOW },
  },
  {
    name: "no window, no source",
    headers: { "ratelimit-limit": "100", "ratelimit-remaining": "99" },
    want: { limit: 100, remaining: 99, windowSeconds: undefined, source: undefined, observedAt: NOW },
  },
  {
    name: "repeated headers: first value",
    headers: { "ratelimit-limit": ["100;w=60", "5;w=1"], "ratelimit-remaining": ["7;w=60"] },
    want: { limit: 100, remaining: 7, windowSeconds: 60, source: undefined, observedAt: NOW },
  },
  {
    name: "several policies: the first",
    headers: { "ratelimit-limit": "100;w=21600, 1000;w=86400", "ratelimit-remaining": "50;w=21600" },
    want: { limit: 100, remaining: 50, windowSeconds: 21600, source: undefined, observedAt: NOW },
  },
  {
    name: "unreadable window keeps the counts",
    headers: { "ratelimit-limit": "100;w=soon", "ratelimit-remaining": "1;w=" },
    want: { limit: 100, remaining: 1, windowSeconds: undefined, source: undefined, observedAt: NOW },
  },
  { name: "no headers", headers: {}, want: undefined },
  { name: "only the limit", headers: { "ratelimit-limit": "100;w=21600" }, want: undefined },
  { name: "non-numeric count", headers: { "ratelimit-limit": "lots;w=21600", "ratelimit-remaining": "1" }, want: undefined },
  { name: "negative count", headers: { "ratelimit-limit": "100", "ratelimit-remaining": "-1" }, want: undefined },
  { name: "fraction", headers: { "ratelimit-limit": "1.5", "ratelimit-remaining": "1" }, want: undefined },
  { name: "empty values", headers: { "ratelimit-limit": "", "ratelimit-remaining": "" }, want: undefined },
  { name: "absurdly large", headers: { "ratelimit-limit": "9".repeat(40), "ratelimit-remaining": "1" }, want: undefined },
  { name: "undefined values", headers: { "ratelimit-limit": undefined, "ratelimit-remaining": undefined }, want: undefined },
];

for (const c of rateCases) {
  test(`parseRateLimitHeaders: ${c.name}`, () => {
    assert.deepEqual(parseRateLimitHeaders(c.headers, NOW), c.want);
  });
}

const retryCases: { input: string | undefined; want: number | undefined }[] = [
  { input: "120", want: 120 },
  { input: " 0 ", want: 0 },
  { input: "Thu, 01 Jan 2026 12:01:30 GMT", want: 90 },
  { input: "Thu, 01 Jan 2026 11:00:00 GMT", want: 0 },
  { input: "-5", want: undefined },
  { input: "soon", want: undefined },
  { input: "1.5", want: undefined },
  { input: "2026-01-01T12:01:30Z", want: undefined },
  { input: "", want: undefined },
  { input: undefined, want: undefined },
];

for (const c of retryCases) {
  test(`parseRetryAfter(${JSON.stringify(c.input)})`, () => {
    assert.equal(parseRetryAfter(c.input, NOW), c.want);
  });
}
