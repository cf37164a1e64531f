// The services made from the build's descriptors (core/protocol/grpc-package.ts) are the ones
// proto-loader makes from the .proto: same paths, names and streaming, and messages decoded to the
// same objects with each contract's options.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import { load, type Options } from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { CONTAINERD_LOAD_OPTIONS } from "../../agent/runtime/containerd/proto.js";
import { CRI_LOAD_OPTIONS } from "../../agent/runtime/proto.js";
import { servicesOf } from "../../core/protocol/grpc-package.js";
import { PROTOCOL_LOAD_OPTIONS } from "../../core/protocol/protocol.js";
import { PROTO_FILES, protoDescriptor } from "../../scripts/proto-descriptors.js";

const root = new URL("../..", import.meta.url).pathname;
const OPTIONS: Record<string, Options> = {
  "proto/cri/runtime/v1/api.proto": CRI_LOAD_OPTIONS,
  "proto/containerd/services/content/v1/content.proto": CONTAINERD_LOAD_OPTIONS,
  "proto/pullmedic/v1/pullmedic.proto": PROTOCOL_LOAD_OPTIONS,
};

test("the build writes a descriptor for every contract loaded at run time", () => {
  assert.deepEqual([...PROTO_FILES].sort(), Object.keys(OPTIONS).sort());
});

for (const [file, options] of Object.entries(OPTIONS)) {
  test(`${file}: services from the descriptor match proto-loader's`, async () => {
    const fromProto = await load(join(root, file), options);
    const descriptor = protoDescriptor(root, file, options.keepCase ?? false);
    const parsed = protobuf.Root.fromJSON(JSON.parse(JSON.stringify(descriptor.root)));
    parsed.resolveAll();
    const fromDescriptor = servicesOf(parsed, options);
    const services = Object.entries(fromProto).filter(([, d]) => !("format" in d));
    assert.deepEqual(Object.keys(fromDescriptor).sort(), services.map(([name]) => name).sort());
    for (const [name, definition] of services) {
      const expected = definition as ServiceDefinition;
      const actual = fromDescriptor[name] as ServiceDefinition;
      assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), name);
      for (const [method, want] of Object.entries(expected) as [string, MethodDefinition<object, object>][]) {
        const got = actual[method] as MethodDefinition<object, object>;
        const { path, requestStream, responseStream, originalName } = want;
        assert.deepEqual(
          { path: got.path, requestStream: got.requestStream, responseStream: got.responseStream, originalName: got.originalName },
          { path, requestStream, responseStream, originalName },
        );
        // An empty message decodes to every field's default: the shape (names, longs, enums, oneofs) in full.
        assert.deepEqual(got.requestDeserialize(Buffer.alloc(0)), want.requestDeserialize(Buffer.alloc(0)), `${path} request`);
        const response = want.responseDeserialize(Buffer.alloc(0));
        assert.deepEqual(got.responseDeserialize(Buffer.alloc(0)), response, `${path} response`);
        assert.deepEqual(got.responseSerialize(response), want.responseSerialize(response), `${path} response encoded`);
      }
    }
  });
}
