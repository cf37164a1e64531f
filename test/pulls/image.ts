// A multi-layer image of random (incompressible) bytes, built from the lab's single-layer images:
// each padded image gives one valid gzipped tar layer, and one manifest names them all.

import { type BuiltImage, buildImage, MEDIA_TYPES, sha256 } from "../lab/index.js";

export function multiLayerImage(layerBytes: number[], label: string): BuiltImage {
  const parts = layerBytes.map((n, i) => buildImage({ padBytes: n, label: `${label} ${i}` }));
  const layers = parts.map((p) => p.layers[1] as BuiltImage["layers"][number]);
  const base = parts[0] as BuiltImage;
  const doc = JSON.parse(base.config.toString("utf8")) as { rootfs: { diff_ids: string[] }; config: Record<string, unknown> };
  doc.rootfs.diff_ids = layers.map((l) => l.diffId);
  doc.config["Labels"] = { "dev.pullmedic.lab.label": label };
  const config = Buffer.from(JSON.stringify(doc));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: { mediaType: MEDIA_TYPES.config, digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: MEDIA_TYPES.layer, digest: l.digest, size: l.data.length })),
    }),
  );
  return { kind: "image", manifest, manifestDigest: sha256(manifest), config, configDigest: sha256(config), layers, platform: base.platform };
}

export function imageBytes(image: BuiltImage): number {
  return image.config.length + image.layers.reduce((s, l) => s + l.data.length, 0);
}
