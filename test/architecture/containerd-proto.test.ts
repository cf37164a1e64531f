// Our subset of containerd's content API against the TypeScript that mirrors it, as
// test/architecture/proto.test.ts does for the CRI: field names, types and presence as
// proto-loader decodes them with the options the client loads the proto with.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { CONTAINERD_LOAD_OPTIONS } from "../../agent/runtime/containerd/proto.js";
import { protoDrift } from "./proto-drift.js";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

/**
 * protobufjs' parser does not load imports: google.protobuf.Timestamp is declared in the package
 * under its own field numbers (seconds 1, nanos 2), which is how it travels.
 */
function withTimestamp(protoText: string): string {
  return `${protoText.replaceAll("google.protobuf.Timestamp", "Timestamp")}\nmessage Timestamp {\n    int64 seconds = 1;\n    int32 nanos = 2;\n}\n`;
}

test("containerd.services.content.v1: agent/runtime/containerd/types.ts agrees with our content proto on every field it declares", () => {
  const drift = protoDrift({
    protoText: withTimestamp(read("proto/containerd/services/content/v1/content.proto")),
    package: "containerd.services.content.v1",
    tsText: read("agent/runtime/containerd/types.ts"),
    options: CONTAINERD_LOAD_OPTIONS,
    complete: false,
  });
  assert.deepEqual(drift, []);
});

test("the content proto keeps containerd's field numbers", () => {
  const text = read("proto/containerd/services/content/v1/content.proto");
  const numbers = (message: string) =>
    Object.fromEntries(
      [...(new RegExp(`message ${message} \\{([^}]*)\\}`).exec(text)?.[1] ?? "").matchAll(/(\w+) = (\d+);/g)].map((m) => [m[1], Number(m[2])]),
    );
  assert.deepEqual(numbers("Status"), { started_at: 1, updated_at: 2, ref: 3, offset: 4, total: 5, expected: 6 });
  assert.deepEqual(numbers("Info"), { digest: 1, size: 2, created_at: 3, updated_at: 4, labels: 5 });
  assert.deepEqual(numbers("ReadContentRequest"), { digest: 1, offset: 2, size: 3 });
  assert.deepEqual(numbers("ReadContentResponse"), { offset: 1, data: 2 });
  assert.deepEqual(numbers("ListStatusesRequest"), { filters: 1 });
  assert.deepEqual(numbers("ListStatusesResponse"), { statuses: 1 });
  assert.deepEqual(numbers("ListContentRequest"), { filters: 1 });
  assert.deepEqual(numbers("ListContentResponse"), { info: 1 });
  assert.deepEqual(numbers("InfoRequest"), { digest: 1 });
  assert.deepEqual(numbers("InfoResponse"), { info: 1 });
});
