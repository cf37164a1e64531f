import { join } from "node:path";
import type { ServiceClientConstructor } from "@grpc/grpc-js";
import type { Options as ProtoLoaderOptions } from "@grpc/proto-loader";
import { findPackageRoot } from "../../../core/process/index.js";

const CONTENT_PROTO = join("proto", "containerd", "services", "content", "v1", "content.proto");

/**
 * As for the CRI (../proto.ts): camelCase fields, 64-bit integers as decimal strings, defaults
 * filled in. types.ts is checked against the proto with these options
 * (test/architecture/containerd-proto.test.ts): change both together.
 */
export const CONTAINERD_LOAD_OPTIONS: ProtoLoaderOptions = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

let cached: Promise<ServiceClientConstructor> | undefined;

/** Loads the content proto once per process; grpc-js and proto-loader are imported lazily. */
export function loadContentService(): Promise<ServiceClientConstructor> {
  cached ??= (async () => {
    const [grpc, protoLoader] = await Promise.all([import("@grpc/grpc-js"), import("@grpc/proto-loader")]);
    const definition = await protoLoader.load(join(findPackageRoot(), CONTENT_PROTO), CONTAINERD_LOAD_OPTIONS);
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      containerd: { services: { content: { v1: { Content: ServiceClientConstructor } } } };
    };
    return pkg.containerd.services.content.v1.Content;
  })();
  return cached;
}
