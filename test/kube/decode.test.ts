import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeSecret } from "../../agent/kube/decode.js";
import { DecodeError } from "../../agent/kube/index.js";

// A Secret the API answers in a wrong shape is an error that says what is wrong, and never repeats
// what the Secret holds.

test("a Secret whose data is a string is refused without quoting it", () => {
  const password = "hunter2-short-secret";
  let caught: unknown;
  try {
    decodeSecret({ apiVersion: "v1", kind: "Secret", metadata: { name: "regcred", namespace: "shop" }, data: password });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DecodeError, String(caught));
  assert.match(caught.message, /data: expected an object, got a string/);
  assert.ok(!caught.message.includes(password));
});
