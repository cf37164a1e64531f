// The .proto contracts as protobufjs's JSON form, written into dist/ for core/protocol/grpc-package.ts,
// which builds the gRPC services from them without parsing .proto text or loading proto-loader at
// run time. Parsed as proto-loader parses them: names camel-cased (keepCase false, what every
// loader of ours asks for; the file says so, and a loader asking otherwise reads the .proto).
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The contracts loaded at run time (agent/runtime/proto.ts, agent/runtime/containerd/proto.ts, core/protocol/protocol.ts). */
export const PROTO_FILES = ["proto/cri/runtime/v1/api.proto", "proto/containerd/services/content/v1/content.proto", "proto/pullmedic/v1/pullmedic.proto"];

/** protobufjs as proto-loader requires it, so the parse is the one proto-loader would make. */
function protobufjs(root) {
  const requireFromLoader = createRequire(createRequire(join(root, "package.json")).resolve("@grpc/proto-loader"));
  return requireFromLoader("protobufjs");
}

/** The descriptor of one .proto (path relative to root), as the loader reads it. */
export function protoDescriptor(root, protoFile, keepCase = false) {
  const { Root } = protobufjs(root);
  const parsed = new Root().loadSync(join(root, protoFile), { keepCase });
  parsed.resolveAll();
  return { keepCase, root: parsed.toJSON() };
}

/** Writes dist/<each .proto's path>.json; returns their number. */
export function writeProtoDescriptors(root, dist) {
  for (const file of PROTO_FILES) {
    const out = join(dist, file.replace(/\.proto$/, ".json"));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(protoDescriptor(root, file)));
  }
  return PROTO_FILES.length;
}
