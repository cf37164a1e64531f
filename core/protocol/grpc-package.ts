// A .proto's services as grpc-js wants them. From the bundle, they are made from the descriptor
// that `npm run build` wrote next to it (scripts/proto-descriptors.js): protobufjs's JSON form of
// the parsed .proto, read with protobufjs/light. A one-shot diagnose spent about 40 ms of its start
// in proto-loader: loading it, parsing the CRI and content .proto files, and building a descriptor
// of every message (for gRPC reflection, which we do not serve). From the sources (tsx, tests), and
// when the descriptor is missing, proto-loader reads the .proto as it always did. Either way a
// method's codec is the one proto-loader makes: fromObject + encode out, decode + toObject(options)
// in, so decoded messages have the same shape (test/unit/grpc-package.test.ts compares both).
import { existsSync, readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { GrpcObject, MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import type { Options as ProtoLoaderOptions } from "@grpc/proto-loader";
import type { IConversionOptions, INamespace, Method, NamespaceBase, Root, Type } from "protobufjs";
import { findPackageRoot } from "../process/index.js";

/** What scripts/proto-descriptors.js writes: the parsed .proto, and whether field names kept their case. */
interface Descriptor {
  keepCase: boolean;
  root: INamespace;
}

/** Loads a .proto's package (path relative to the package root) for grpc-js.loadPackageDefinition's callers. */
export async function loadGrpcPackage(protoFile: string, options: ProtoLoaderOptions): Promise<GrpcObject> {
  const grpc = await import("@grpc/grpc-js");
  const descriptor = readDescriptor(protoFile, options.keepCase ?? false);
  if (descriptor) {
    const { Root: RootClass } = (await import("protobufjs/light.js")).default;
    const root = RootClass.fromJSON(descriptor.root);
    root.resolveAll();
    return grpc.loadPackageDefinition(servicesOf(root, options));
  }
  const protoLoader = await import("@grpc/proto-loader");
  return grpc.loadPackageDefinition(await protoLoader.load(join(findPackageRoot(), protoFile), options));
}

/** dist/<protoFile as .json>, when this module runs from dist/ and the descriptor was made with the same keepCase. */
function readDescriptor(protoFile: string, keepCase: boolean): Descriptor | undefined {
  const dist = join(findPackageRoot(), "dist");
  // From the sources, a dist/ left by an older build must not stand in for the .proto.
  if (!fileURLToPath(import.meta.url).startsWith(dist + sep)) return undefined;
  const path = join(dist, protoFile.replace(/\.proto$/, ".json"));
  if (!existsSync(path)) return undefined;
  const descriptor = JSON.parse(readFileSync(path, "utf8")) as Descriptor;
  return descriptor.keepCase === keepCase ? descriptor : undefined;
}

/** Every service of the root, by full name, as proto-loader's package definition holds them (messages left out: only services are called). */
export function servicesOf(root: Root, options: IConversionOptions): Record<string, ServiceDefinition> {
  const services: Record<string, ServiceDefinition> = {};
  const visit = (ns: NamespaceBase, prefix: string) => {
    for (const child of ns.nestedArray) {
      const name = prefix ? `${prefix}.${child.name}` : child.name;
      if ("methodsArray" in child) services[name] = serviceOf(child.methodsArray as Method[], name, options);
      else if ("nestedArray" in child && !("fieldsArray" in child)) visit(child as NamespaceBase, name);
    }
  };
  visit(root, "");
  return services;
}

function serviceOf(methods: Method[], serviceName: string, options: IConversionOptions): ServiceDefinition {
  const service: Record<string, MethodDefinition<object, object>> = {};
  for (const method of methods) {
    const request = method.resolvedRequestType as Type;
    const response = method.resolvedResponseType as Type;
    service[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request, options),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response, options),
      // proto-loader camel-cases the name; our method names are PascalCase words, so that is lowering the first letter.
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return service;
}

function serializer(type: Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    // In Node, protobufjs writes into a Buffer (its BufferWriter).
    return type.encode(type.fromObject(value)).finish() as Buffer;
  };
}

function deserializer(type: Type, options: IConversionOptions): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), options);
}
