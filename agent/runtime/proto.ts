import { join } from "node:path";
import type { ServiceClientConstructor } from "@grpc/grpc-js";
import type { Options as ProtoLoaderOptions } from "@grpc/proto-loader";
import { findPackageRoot } from "../../core/process/index.js";

const CRI_PROTO = join("proto", "cri", "runtime", "v1", "api.proto");

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

/** Loads the CRI proto once per process; grpc-js and proto-loader are imported lazily. */
export function loadCriServices(): Promise<CriServices> {
  cached ??= (async () => {
    const [grpc, protoLoader] = await Promise.all([import("@grpc/grpc-js"), import("@grpc/proto-loader")]);
    const definition = await protoLoader.load(join(findPackageRoot(), CRI_PROTO), CRI_LOAD_OPTIONS);
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      runtime: { v1: { RuntimeService: ServiceClientConstructor; ImageService: ServiceClientConstructor } };
    };
    return { RuntimeService: pkg.runtime.v1.RuntimeService, ImageService: pkg.runtime.v1.ImageService };
  })();
  return cached;
}
