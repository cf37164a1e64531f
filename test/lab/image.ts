// Builds OCI images from bytes in memory, so tests need no image tooling and no
// network. Output is deterministic for the same spec, except the random padding.

import { createHash, randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { entriesFromFiles, tar } from "./tar.js";

export const MEDIA_TYPES = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface BuiltLayer {
  data: Buffer; // gzipped tar, as stored in the registry
  digest: string; // of data
  diffId: string; // of the uncompressed tar
}

export interface BuiltImage {
  kind: "image";
  manifest: Buffer;
  manifestDigest: string;
  config: Buffer;
  configDigest: string;
  layers: BuiltLayer[];
  platform: Platform;
}

export interface BuiltIndex {
  kind: "index";
  index: Buffer;
  digest: string;
  images: BuiltImage[];
}

export type FileSpec = string | Buffer | { data: Buffer; mode: number };

export interface ImageSpec {
  files?: Record<string, FileSpec>;
  platform?: Platform;
  entrypoint?: string[];
  /** Adds a layer holding this many random (incompressible) bytes, to make big images. */
  padBytes?: number;
  /** Stored as a config label; distinct labels give distinct image digests. */
  label?: string;
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

// Node reports CPU names its own way; registries and containerd match on the
// OCI/Go names, so tests must use the same ones to hit or miss the node platform.
export function nodePlatform(): Platform {
  const os = process.platform === "win32" ? "windows" : process.platform;
  switch (process.arch) {
    case "x64":
      return { os, architecture: "amd64" };
    case "arm64":
      return { os, architecture: "arm64", variant: "v8" };
    case "arm": {
      const version = (process.config.variables as Record<string, unknown>)["arm_version"];
      return { os, architecture: "arm", variant: `v${typeof version === "string" || typeof version === "number" ? version : 7}` };
    }
    case "ia32":
      return { os, architecture: "386" };
    case "ppc64":
      return { os, architecture: "ppc64le" }; // Node on Linux ppc64 is little-endian
    case "mipsel":
      return { os, architecture: "mipsle" };
    default:
      return { os, architecture: process.arch }; // s390x, riscv64, loong64 are already OCI names
  }
}

function layer(tarBytes: Buffer): BuiltLayer {
  const data = gzipSync(tarBytes);
  return { data, digest: sha256(data), diffId: sha256(tarBytes) };
}

function normalizeFile(spec: FileSpec): { data: Buffer; mode: number } {
  if (typeof spec === "string") return { data: Buffer.from(spec, "utf8"), mode: 0o644 };
  if (Buffer.isBuffer(spec)) return { data: spec, mode: 0o644 };
  return spec;
}

function descriptor(mediaType: string, data: Buffer): { mediaType: string; digest: string; size: number } {
  return { mediaType, digest: sha256(data), size: data.length };
}

export function buildImage(spec: ImageSpec = {}): BuiltImage {
  const platform = spec.platform ?? nodePlatform();
  const files = new Map(Object.entries(spec.files ?? {}).map(([path, file]) => [path, normalizeFile(file)] as const));
  // Even an image without files gets one (empty) layer: layerless images are rare in the
  // wild and would exercise paths that real pulls never take.
  const layers = [layer(tar(entriesFromFiles(files)))];
  if (spec.padBytes !== undefined && spec.padBytes > 0) {
    const pad = new Map([["pad.bin", { data: randomBytes(spec.padBytes), mode: 0o644 }]]);
    layers.push(layer(tar(entriesFromFiles(pad))));
  }

  const imageConfig: Record<string, unknown> = {
    Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
  };
  if (spec.entrypoint) imageConfig["Entrypoint"] = spec.entrypoint;
  if (spec.label !== undefined) imageConfig["Labels"] = { "dev.pullmedic.lab.label": spec.label };
  const config = Buffer.from(
    JSON.stringify({
      created: "1970-01-01T00:00:00Z",
      architecture: platform.architecture,
      ...(platform.variant ? { variant: platform.variant } : {}),
      os: platform.os,
      config: imageConfig,
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    }),
  );

  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: descriptor(MEDIA_TYPES.config, config),
      layers: layers.map((l) => descriptor(MEDIA_TYPES.layer, l.data)),
    }),
  );

  return {
    kind: "image",
    manifest,
    manifestDigest: sha256(manifest),
    config,
    configDigest: sha256(config),
    layers,
    platform,
  };
}

export function buildIndex(images: BuiltImage[]): BuiltIndex {
  if (images.length === 0) throw new Error("buildIndex: an index needs at least one image");
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.index,
      manifests: images.map((image) => ({
        ...descriptor(MEDIA_TYPES.manifest, image.manifest),
        platform: {
          architecture: image.platform.architecture,
          os: image.platform.os,
          ...(image.platform.variant ? { variant: image.platform.variant } : {}),
        },
      })),
    }),
  );
  return { kind: "index", index, digest: sha256(index), images };
}
