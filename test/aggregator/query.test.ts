import assert from "node:assert/strict";
import { test } from "node:test";
import { oneOf, parseQuery, pastTime, QueryProblem, text, wholeNumber } from "../../aggregator/query.js";
import { VIEWS } from "../../aggregator/views/index.js";

// Query options as the views declare them, and the list of views the API serves.

const NOW = 1_700_000_000_000;
const spec = { kind: oneOf(["a", "b"] as const), node: text(5), limit: wholeNumber(1, 10, 3), since: pastTime() };
const parse = (q: string) => parseQuery(spec, new URLSearchParams(q), NOW);

test("absent or empty parameters take their defaults; present ones are parsed", () => {
  assert.deepEqual(parse(""), { kind: undefined, node: undefined, limit: 3, since: undefined });
  assert.deepEqual(parse("kind=&node=&limit=&since="), { kind: undefined, node: undefined, limit: 3, since: undefined });
  assert.deepEqual(parse("kind=b&node=n1&limit=10&since=1h"), { kind: "b", node: "n1", limit: 10, since: NOW - 3_600_000 });
  assert.equal(parse("since=1690000000000").since, 1_690_000_000_000);
  assert.equal(parse("since=2023-11-14T00:00:00Z").since, Date.parse("2023-11-14T00:00:00Z"));
});

test("a bad parameter is a QueryProblem naming it; the first one in the declared order is named", () => {
  assert.throws(
    () => parse("kind=c"),
    (e) => e instanceof QueryProblem && e.message === 'kind: expected one of a, b, got "c"',
  );
  assert.throws(() => parse("node=toolong"), { message: "node: longer than 5 characters" });
  assert.throws(() => parse("limit=11"), { message: 'limit: expected a whole number 1..10, got "11"' });
  assert.throws(() => parse("limit=1.5"), { message: 'limit: expected a whole number 1..10, got "1.5"' });
  assert.throws(() => parse("since=soon"), { message: 'since: expected a duration (24h), Unix milliseconds or an ISO time, got "soon"' });
  assert.throws(() => parse("since=soon&limit=0&kind=c"), { message: 'kind: expected one of a, b, got "c"' });
});

test("the views of the API: unique names and paths under /api/v1/, findings with its query options", () => {
  assert.deepEqual(
    VIEWS.map((v) => v.path),
    ["/api/v1/nodes", "/api/v1/failures", "/api/v1/pulls", "/api/v1/registries", "/api/v1/quota", "/api/v1/disks", "/api/v1/coverage", "/api/v1/findings"],
  );
  assert.equal(new Set(VIEWS.map((v) => v.name)).size, VIEWS.length);
  assert.deepEqual(VIEWS.find((v) => v.name === "findings")?.query, ["kind", "node", "limit", "since", "continue"]);
});
