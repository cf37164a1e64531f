/**
 * Manifest media types, decoding and digest checks. Only what a pull diagnosis reads is kept:
 * platforms of an index, config and layers of an image.
 */

import { createHash } from "node:crypto";
import { MalformedResponse, parseJsonBody } from "./http-body.js";
import { type Infer, shape } from "./json-shape.js";

export interface ManifestDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
}

export type Manifest =
  | { kind: "index"; mediaType: string; digest: string; manifests: ManifestDescriptor[] }
  | { kind: "image"; mediaType: string; digest: string; config: ManifestDescriptor; layers: ManifestDescriptor[] };

const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const INDEX_TYPES = new Set([OCI_INDEX, DOCKER_LIST]);
const IMAGE_TYPES = new Set([OCI_MANIFEST, DOCKER_MANIFEST]);
const SCHEMA1_TYPES = new Set(["application/vnd.docker.distribution.manifest.v1+json", "application/vnd.docker.distribution.manifest.v1+prettyjws"]);

/**
 * All four modern types and nothing else: with `*` or no Accept, some registries serve schema 1,
 * whose digest differs from the one the runtime resolves (distribution-spec content negotiation).
 */
export const MANIFEST_ACCEPT = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(", ");

/** OCI says registries should accept 4 MiB manifests; twice that leaves room without inviting abuse. */
export const MANIFEST_BODY_LIMIT = 8 * 1024 * 1024;

const descriptor = shape.object({
  mediaType: shape.string(),
  digest: shape.string().regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, "not a digest"),
  size: shape.number().nonNegativeInteger(),
  platform: shape.object({ os: shape.string(), architecture: shape.string(), variant: shape.string().optional() }).optional(),
});
const manifestShape = shape.object({
  mediaType: shape.string().optional(),
  manifests: shape.array(descriptor).optional(),
  config: descriptor.optional(),
  layers: shape.array(descriptor).optional(),
  schemaVersion: shape.number().optional(),
});

/** Media type from a Content-Type header: parameters and case dropped. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  return type === undefined || type === "" ? undefined : type;
}

export function decodeManifest(raw: Buffer, contentType: string | undefined, digest: string): Manifest {
  const body = parseJsonBody(manifestShape, raw, "manifest");
  const headerType = mediaTypeOf(contentType);
  if (body.schemaVersion === 1 || SCHEMA1_TYPES.has(body.mediaType ?? "") || SCHEMA1_TYPES.has(headerType ?? "")) {
    throw new MalformedResponse("the registry served a schema 1 manifest, which runtimes no longer pull");
  }
  // The body's mediaType is covered by the digest; Content-Type is what a proxy may have rewritten.
  const declared = body.mediaType ?? (INDEX_TYPES.has(headerType ?? "") || IMAGE_TYPES.has(headerType ?? "") ? headerType : undefined);
  // Unknown or missing types (artifacts, old registries) are read by their shape.
  const byShape = body.manifests !== undefined ? "index" : body.config !== undefined ? "image" : undefined;
  const kind = declared !== undefined && INDEX_TYPES.has(declared) ? "index" : declared !== undefined && IMAGE_TYPES.has(declared) ? "image" : byShape;

  if (kind === "index") {
    if (body.manifests === undefined) throw new MalformedResponse(`manifest of type ${declared ?? "index"} has no "manifests" list`);
    return { kind, mediaType: declared ?? OCI_INDEX, digest, manifests: body.manifests.map(cleanDescriptor) };
  }
  if (kind === "image") {
    if (body.config === undefined) throw new MalformedResponse(`manifest of type ${declared ?? "image"} has no "config"`);
    if (body.layers === undefined) throw new MalformedResponse(`manifest of type ${declared ?? "image"} has no "layers"`);
    return { kind, mediaType: declared ?? OCI_MANIFEST, digest, config: cleanDescriptor(body.config), layers: body.layers.map(cleanDescriptor) };
  }
  throw new MalformedResponse(`manifest has unknown media type ${JSON.stringify(declared ?? headerType ?? "(none)")}`);
}

// The checked shape has `variant: string | undefined`; the public type leaves it out when absent.
function cleanDescriptor(d: Infer<typeof descriptor>): ManifestDescriptor {
  const out: ManifestDescriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.platform !== undefined) {
    out.platform = { os: d.platform.os, architecture: d.platform.architecture };
    if (d.platform.variant !== undefined) out.platform.variant = d.platform.variant;
  }
  return out;
}

const HASHES: Readonly<Record<string, string>> = { sha256: "sha256", sha384: "sha384", sha512: "sha512" };

/** "algorithm:hex" of `data`, or undefined for an algorithm Node cannot compute (e.g. blake3). */
export function digestOf(data: Buffer, algorithm: string): string | undefined {
  const hash = HASHES[algorithm];
  return hash === undefined ? undefined : `${algorithm}:${createHash(hash).update(data).digest("hex")}`;
}

export function canVerifyDigest(digest: string): boolean {
  return HASHES[digest.slice(0, digest.indexOf(":"))] !== undefined;
}

/** Throws MalformedResponse unless `data` hashes to `expected`. */
export function verifyDigest(data: Buffer, expected: string, what: string): void {
  const algorithm = expected.slice(0, expected.indexOf(":"));
  const actual = digestOf(data, algorithm);
  if (actual === undefined) throw new MalformedResponse(`cannot verify ${what}: digest algorithm ${JSON.stringify(algorithm)} is not supported`);
  if (actual !== expected) throw new MalformedResponse(`${what} does not match its digest: expected ${expected}, got ${actual}`);
}

/** Incremental hashing for streamed blobs; undefined when the algorithm is not one Node computes. */
export function digestHasher(expected: string): { update(chunk: Buffer): void; matches(): boolean; actual(): string } | undefined {
  const algorithm = expected.slice(0, expected.indexOf(":"));
  const name = HASHES[algorithm];
  if (name === undefined) return undefined;
  const hash = createHash(name);
  let result: string | undefined;
  const actual = (): string => (result ??= `${algorithm}:${hash.digest("hex")}`);
  return { update: (chunk) => hash.update(chunk), matches: () => actual() === expected, actual };
}
