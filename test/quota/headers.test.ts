import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type HeaderLists, readQuotaHeaders } from "../../agent/quota/index.js";
import { parseRateLimitHeaders } from "../../agent/registry/index.js";

function lists(headers: Record<string, string | string[]>): HeaderLists {
  return new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), [v].flat()]));
}

describe("readQuotaHeaders", () => {
  test("reads Hub's headers as the registry client does", () => {
    const headers = { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "62;w=21600", "docker-ratelimit-source": "192.0.2.1" };
    const read = readQuotaHeaders(lists(headers));
    assert.deepEqual(read, { limit: 100, remaining: 62, windowSeconds: 21600, source: "192.0.2.1", unlimited: false, problems: [] });
    const client = parseRateLimitHeaders(headers, 0);
    assert.deepEqual([client?.limit, client?.remaining, client?.windowSeconds, client?.source], [read.limit, read.remaining, read.windowSeconds, read.source]);
  });

  test("no headers, or headers with empty values, mean unlimited", () => {
    const forms: Record<string, string>[] = [{}, { "ratelimit-limit": "", "ratelimit-remaining": "  " }, { "docker-ratelimit-source": "192.0.2.1" }];
    for (const headers of forms) {
      const read = readQuotaHeaders(lists(headers));
      assert.equal(read.unlimited, true, JSON.stringify(headers));
      assert.deepEqual([read.limit, read.remaining, read.windowSeconds, read.problems], [undefined, undefined, undefined, []]);
    }
  });

  test("an IPv6 /64 source and parameters other than w= are read", () => {
    const read = readQuotaHeaders(
      lists({ "ratelimit-limit": '100;w=21600;comment="anon"', "ratelimit-remaining": "3;w=21600", "docker-ratelimit-source": "2001:41d0:801:2000::" }),
    );
    assert.deepEqual([read.limit, read.remaining, read.windowSeconds, read.source, read.problems], [100, 3, 21600, "2001:41d0:801:2000::", []]);
  });

  // Each malformed form: the unreadable part is undefined, the rest still read, and a problem names it.
  const garbage: {
    name: string;
    headers: Record<string, string | string[]>;
    expect: Partial<Record<"limit" | "remaining" | "windowSeconds" | "source", number | string | undefined>>;
    problem: RegExp;
  }[] = [
    {
      name: "a word for a count",
      headers: { "ratelimit-limit": "lots", "ratelimit-remaining": "62;w=21600" },
      expect: { limit: undefined, remaining: 62, windowSeconds: 21600 },
      problem: /ratelimit-limit "lots": "lots" is not a whole number of pulls/,
    },
    {
      name: "an empty window",
      headers: { "ratelimit-limit": "100;w=", "ratelimit-remaining": "62;w=" },
      expect: { limit: 100, remaining: 62, windowSeconds: undefined },
      problem: /ratelimit-limit "100;w=": window w="" is not a whole number of seconds/,
    },
    {
      name: "a zero window",
      headers: { "ratelimit-limit": "100;w=0", "ratelimit-remaining": "62;w=0" },
      expect: { limit: 100, windowSeconds: undefined },
      problem: /window w="0"/,
    },
    {
      name: "a negative count",
      headers: { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "-4;w=21600" },
      expect: { limit: 100, remaining: undefined },
      problem: /ratelimit-remaining "-4;w=21600": "-4" is not a whole number/,
    },
    {
      name: "a negative window",
      headers: { "ratelimit-limit": "100;w=-21600", "ratelimit-remaining": "5" },
      expect: { limit: 100, remaining: 5, windowSeconds: undefined },
      problem: /w="-21600"/,
    },
    {
      name: "a fractional count",
      headers: { "ratelimit-limit": "100.5;w=21600", "ratelimit-remaining": "5;w=21600" },
      expect: { limit: undefined, remaining: 5 },
      problem: /"100.5" is not a whole number/,
    },
    {
      name: "a count too large to be one",
      headers: { "ratelimit-limit": "1".repeat(20), "ratelimit-remaining": "5" },
      expect: { limit: undefined, remaining: 5 },
      problem: /is not a whole number/,
    },
    {
      name: "two values in one header",
      headers: { "ratelimit-limit": "100;w=21600, 200;w=21600", "ratelimit-remaining": "62;w=21600" },
      expect: { limit: 100 },
      problem: /ratelimit-limit has 2 different values \("100;w=21600", "200;w=21600"\); the first is read/,
    },
    {
      name: "the header twice",
      headers: { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": ["7;w=21600", "9;w=21600"] },
      expect: { remaining: 7 },
      problem: /ratelimit-remaining has 2 different values/,
    },
    {
      name: "a count without a limit",
      headers: { "ratelimit-remaining": "62;w=21600" },
      expect: { limit: undefined, remaining: 62 },
      problem: /ratelimit-remaining is present but ratelimit-limit is missing/,
    },
    {
      name: "more left than the limit",
      headers: { "ratelimit-limit": "10;w=60", "ratelimit-remaining": "11;w=60" },
      expect: { limit: 10, remaining: 11 },
      problem: /ratelimit-remaining \(11\) is more than ratelimit-limit \(10\)/,
    },
    {
      name: "disagreeing windows",
      headers: { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "5;w=3600" },
      expect: { windowSeconds: 21600 },
      problem: /a 21600 s window and ratelimit-remaining a 3600 s one; the limit's is used/,
    },
    {
      name: "a source that is no name",
      headers: { "ratelimit-limit": "100", "ratelimit-remaining": "5", "docker-ratelimit-source": "a b" },
      expect: { source: undefined, remaining: 5 },
      problem: /docker-ratelimit-source "a b" is not an address/,
    },
  ];
  for (const c of garbage) {
    test(`malformed: ${c.name}`, () => {
      const read = readQuotaHeaders(lists(c.headers));
      assert.equal(read.unlimited, false);
      for (const [field, value] of Object.entries(c.expect)) assert.equal(read[field as keyof typeof c.expect], value, field);
      assert.ok(
        read.problems.some((p) => c.problem.test(p)),
        read.problems.join("\n"),
      );
    });
  }

  test("the same value repeated by a proxy is not a problem", () => {
    const read = readQuotaHeaders(lists({ "ratelimit-limit": ["100;w=21600", "100;w=21600"], "ratelimit-remaining": "62;w=21600" }));
    assert.deepEqual(read.problems, []);
    assert.equal(read.limit, 100);
  });
});
