import type { ServiceClientConstructor } from "@grpc/grpc-js";
import type { Options as ProtoLoaderOptions } from "@grpc/proto-loader";
import { loadGrpcPackage } from "../../../core/protocol/index.js";

const CONTENT_PROTO = "proto/containerd/services/content/v1/content.proto";

/**
 * As for the CRI (../proto.ts): camelCase fields, 64-bit integers as decimal strings, defaults
 * filled in. types.ts is checked against the proto with these options
 * (test/architecture/containerd-proto.test.ts): change both together.
 */
export const CONTAINERD_LOAD_OPTIONS: ProtoLoaderOptions = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

let cached: Promise<ServiceClientConstructor> | undefined;

/** Loads the content proto once per process (from the build's descriptor when there is one); gRPC is imported lazily. */
export function loadContentService(): Promise<ServiceClientConstructor> {
  cached ??= (async () => {
    const pkg = (await loadGrpcPackage(CONTENT_PROTO, CONTAINERD_LOAD_OPTIONS)) as unknown as {
      containerd: { services: { content: { v1: { Content: ServiceClientConstructor } } } };
    };
    return pkg.containerd.services.content.v1.Content;
  })();
  return cached;
}
