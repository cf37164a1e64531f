import { type ImageView, type NodeImages, readNodeImages } from "../agent/runtime/index.js";
import { humanBytes, shortId, table } from "../core/text/index.js";
import { EXIT_OK } from "./errors.js";
import type { VerbResult } from "./result.js";
import { type RuntimeFlags, withRuntime } from "./runtime-options.js";

export async function imagesVerb(flags: RuntimeFlags, env: NodeJS.ProcessEnv): Promise<VerbResult> {
  const node = await withRuntime(flags, env, readNodeImages);
  return { exitCode: EXIT_OK, json: imagesJson(node), text: imagesText(node) };
}

export function imagesJson(node: NodeImages): Record<string, unknown> {
  return {
    runtime: { name: node.runtime.runtimeName, version: node.runtime.runtimeVersion, apiVersion: node.runtime.runtimeApiVersion },
    sandboxImage: node.sandboxImage ?? null,
    totalBytes: node.images.reduce((sum, i) => sum + i.sizeBytes, 0),
    images: node.images.map((i) => ({
      id: i.id,
      repoTags: i.repoTags,
      repoDigests: i.repoDigests,
      sizeBytes: i.sizeBytes,
      pinned: i.pinned,
      sandbox: i.sandbox,
      inUse: i.usedBy.length > 0,
      usedBy: i.usedBy,
    })),
  };
}

export function imageName(i: ImageView): string {
  return i.repoTags[0] ?? i.repoDigests[0] ?? `<none>@${i.id}`;
}

function protection(i: ImageView): string {
  const marks = [i.pinned ? "pinned" : "", i.sandbox ? "sandbox" : ""].filter(Boolean);
  return marks.length ? marks.join(",") : "-";
}

function users(i: ImageView): string {
  if (i.usedBy.length === 0) return "-";
  return i.usedBy
    .map((u) => {
      const where = u.pod ? `${u.namespace ? `${u.namespace}/` : ""}${u.pod}/` : "";
      return `${where}${u.container} (${u.state.replace("CONTAINER_", "").toLowerCase()})`;
    })
    .join(", ");
}

export function imagesText(node: NodeImages): string {
  const sorted = [...node.images].sort((a, b) => imageName(a).localeCompare(imageName(b)));
  const rows = sorted.flatMap((i) => {
    const extraTags = i.repoTags.slice(1).map((t) => [`  ${t}`, "", "", "", ""]);
    return [[imageName(i), shortId(i.id), humanBytes(i.sizeBytes), protection(i), users(i)], ...extraTags];
  });
  const total = node.images.reduce((sum, i) => sum + i.sizeBytes, 0);
  const inUse = node.images.filter((i) => i.usedBy.length > 0).length;
  const header = `${node.runtime.runtimeName} ${node.runtime.runtimeVersion} (CRI ${node.runtime.runtimeApiVersion})`;
  const summary =
    `${node.images.length} image${node.images.length === 1 ? "" : "s"}, ${humanBytes(total)} (compressed, as the runtime counts)` +
    `, ${inUse} in use; sandbox image: ${node.sandboxImage ?? "not reported by the runtime"}`;
  if (node.images.length === 0) return `${header}\nno images on this node\n`;
  return `${header}\n${table(["IMAGE", "ID", "SIZE", "PROTECTED", "USED BY"], rows, new Set([2]))}\n${summary}\n`;
}
