import type { ServiceClientConstructor } from "@grpc/grpc-js";
import type { Options as ProtoLoaderOptions } from "@grpc/proto-loader";
import { loadGrpcPackage } from "../../core/protocol/index.js";

const CRI_PROTO = "proto/cri/runtime/v1/api.proto";

/**
 * How proto-loader turns CRI messages into objects (64-bit integers as strings: nanosecond
 * timestamps outgrow a double). types.ts is checked against the proto with these options
 * (test/architecture/proto.test.ts): change both together.
 */
export const CRI_LOAD_OPTIONS: ProtoLoaderOptions = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

export interface CriServices {
  RuntimeService: ServiceClientConstructor;
  ImageService: ServiceClientConstructor;
}

let cached: Promise<CriServices> | undefined;

/** Loads the CRI proto once per process (from the build's descriptor when there is one); gRPC is imported lazily. */
export function loadCriServices(): Promise<CriServices> {
  cached ??= (async () => {
    const pkg = (await loadGrpcPackage(CRI_PROTO, CRI_LOAD_OPTIONS)) as unknown as {
      runtime: { v1: { RuntimeService: ServiceClientConstructor; ImageService: ServiceClientConstructor } };
    };
    return { RuntimeService: pkg.runtime.v1.RuntimeService, ImageService: pkg.runtime.v1.ImageService };
  })();
  return cached;
}
