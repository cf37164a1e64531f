// A docker config that is not JSON: the error says where and why, in words, and never quotes the
// text (V8's own SyntaxError would, and the text is full of credentials).
import assert from "node:assert/strict";
import { test } from "node:test";

import { CredentialError, parseDockerConfigJson } from "../../agent/registry/index.js";

const SECRET = "c2VjcmV0LXBhc3N3b3Jk";

function reason(text: string): string {
  try {
    parseDockerConfigJson(text, "config.json");
  } catch (err) {
    assert.ok(err instanceof CredentialError, String(err));
    assert.ok(!err.message.includes(SECRET), `the error quotes the credential: ${err.message}`);
    return err.message.replace(/^config\.json:? ?/, "");
  }
  return "parsed";
}

const cases: [string, string][] = [
  [`{"auths":{"r":{"auth":"${SECRET}"}}`, "the text ends inside 1 unclosed object at line 1, column 47"],
  [`{"auths":[[[`, "the text ends inside 4 unclosed arrays at line 1, column 13"],
  [`{"auths":{},}`, 'expected a property name in double quotes, found "}" (a trailing comma?) at line 1, column 13'],
  [`{"auths":[1,]}`, 'expected a value, found "]" (a trailing comma?) at line 1, column 13'],
  [`{'auths':{}}`, `expected a property name in double quotes, found "'" at line 1, column 2`],
  [`{"auths" {}}`, 'expected ":" after the property name, found "{" at line 1, column 10'],
  [`{"auths"`, 'the text ends where ":" was expected at line 1, column 9'],
  [`{"auths":{}} ${SECRET}`, "found a letter after the end of the JSON value at line 1, column 14"],
  [`{"auths":{} "x":1}`, 'expected "," or "}", found "\\"" at line 1, column 13'],
  [`{"auths":tru}`, "expected a value, found a letter at line 1, column 10"],
  [`{"auths":'${SECRET}'}`, `expected a value, found "'" (JSON strings use double quotes) at line 1, column 10`],
  [`{"auths":-x}`, "invalid number at line 1, column 10"],
  [`{"a\\q":1}`, "invalid escape in a string at line 1, column 4"],
  [`{"a\\u12g4":1}`, "invalid \\u escape in a string at line 1, column 4"],
  [`{"auths":{"r":{"auth":"${SECRET}\n"}}}`, "a newline inside a string (control characters must be escaped) at line 1, column 44"],
  [`{"auths":{"r":{"auth":"${SECRET}`, "a string is not closed at line 1, column 23"],
  [`{\n  "auths": {\n    "r": {"auth": "${SECRET}",}\n  }\n}`, 'expected a property name in double quotes, found "}" (a trailing comma?) at line 3, column 42'],
];

for (const [text, expected] of cases) {
  test(`not JSON: ${expected}`, () => {
    assert.equal(reason(text), `is not valid JSON: ${expected}`);
  });
}

test("deep nesting is scanned without overflowing the stack", () => {
  assert.equal(reason("[".repeat(200_000)), "is not valid JSON: the text ends inside 200000 unclosed arrays at line 1, column 200001");
});
