import { type ImageFilesystem, readImageFilesystems } from "../agent/probe/index.js";
import { humanBytes, humanCount } from "../core/text/index.js";
import { EXIT_OK, EXIT_PROBLEM } from "./errors.js";
import type { VerbResult } from "./result.js";
import { type RuntimeFlags, withRuntime } from "./runtime-options.js";

/** kubelet's default imageGCHighThresholdPercent: past it, kubelet deletes images itself. */
export const KUBELET_GC_HIGH_PERCENT = 85;
/** Past this the node runs out of files before bytes; no image can be unpacked. */
export const INODES_PROBLEM_PERCENT = 95;

export function diskProblems(fs: ImageFilesystem): string[] {
  const problems: string[] = [];
  if (fs.host && fs.host.usedPercent >= KUBELET_GC_HIGH_PERCENT) {
    problems.push(`${fs.mountpoint} is ${fs.host.usedPercent} % full: kubelet image GC starts at ${KUBELET_GC_HIGH_PERCENT} %`);
  }
  if (fs.host && fs.host.inodesUsedPercent >= INODES_PROBLEM_PERCENT) {
    problems.push(`${fs.mountpoint} has used ${fs.host.inodesUsedPercent} % of its inodes`);
  }
  return problems;
}

export async function diskVerb(flags: RuntimeFlags, env: NodeJS.ProcessEnv): Promise<VerbResult> {
  const filesystems = await withRuntime(flags, env, (client) => readImageFilesystems(client));
  const problems = filesystems.flatMap(diskProblems);
  return {
    exitCode: problems.length ? EXIT_PROBLEM : EXIT_OK,
    json: { imageFilesystems: filesystems, problems },
    text: diskText(filesystems, problems),
  };
}

export function diskText(filesystems: ImageFilesystem[], problems: string[]): string {
  if (filesystems.length === 0) return "the runtime reported no image filesystem\n";
  const blocks = filesystems.map((fs) => {
    const lines: [string, string][] = [["image filesystem", fs.mountpoint || "(unnamed)"]];
    const h = fs.host;
    if (h) {
      if (h.device) lines.push(["device", `${h.device}${h.fsType ? ` (${h.fsType})` : ""} mounted on ${h.mount}`]);
      lines.push(["capacity", humanBytes(h.capacityBytes)]);
      lines.push(["used", `${h.usedPercent} % of capacity is not available (kubelet's measure; its image GC starts at ${KUBELET_GC_HIGH_PERCENT} %)`]);
      lines.push(["available", humanBytes(h.availableBytes)]);
      lines.push(["inodes", `${humanCount(h.inodesTotal - h.inodesFree)} of ${humanCount(h.inodesTotal)} used (${h.inodesUsedPercent} %)`]);
    } else {
      lines.push(["host figures", `unavailable: ${fs.hostError ?? "unknown reason"}`]);
    }
    if (fs.runtimeUsedBytes !== undefined) {
      const inodes = fs.runtimeInodesUsed !== undefined ? ` in ${humanCount(fs.runtimeInodesUsed)} inodes` : "";
      lines.push(["runtime counts", `${humanBytes(fs.runtimeUsedBytes)}${inodes} (unpacked snapshots)`]);
    }
    const width = Math.max(...lines.map(([k]) => k.length));
    return lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
  });
  const verdict = problems.length ? problems.map((p) => `problem: ${p}`).join("\n") : "ok: below kubelet's image GC threshold";
  return `${blocks.join("\n\n")}\n${verdict}\n`;
}
