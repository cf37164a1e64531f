import { readFile, statfs } from "node:fs/promises";
import type { RuntimeClient } from "../runtime/index.js";

/** The host filesystem under a path, as statfs(2) sees it from this process. */
export interface HostFilesystem {
  mount: string | undefined;
  device: string | undefined;
  fsType: string | undefined;
  capacityBytes: number;
  availableBytes: number;
  freeBytes: number;
  /** As kubelet computes image GC usage: 100 - available * 100 / capacity. */
  usedPercent: number;
  inodesTotal: number;
  inodesFree: number;
  inodesUsedPercent: number;
}

export interface ImageFilesystem {
  mountpoint: string;
  /** Bytes of unpacked snapshots the runtime counts; containerd leaves its blob store out. */
  runtimeUsedBytes: number | undefined;
  runtimeInodesUsed: number | undefined;
  host: HostFilesystem | undefined;
  /** Why host figures are missing, e.g. the path is not mounted into this container. */
  hostError: string | undefined;
}

export interface MountInfo {
  mount: string;
  device: string;
  fsType: string;
}

export type MountLister = () => Promise<MountInfo[]>;

/** Octal escapes the kernel uses in mountinfo paths (space, tab, newline, backslash). */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * The mounts this process sees, from /proc/self/mountinfo: mount point, source device and
 * filesystem type. Reading the kernel's table is instant and needs no module; systeminformation
 * would run df for the same answer and keep ~10 MB resident in an agent on every node.
 */
export function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    const mount = fields[4];
    if (dash < 0 || mount === undefined) continue;
    mounts.push({ mount: unescapeMountPath(mount), fsType: fields[dash + 1] ?? "", device: unescapeMountPath(fields[dash + 2] ?? "") });
  }
  return mounts;
}

const listMounts: MountLister = async () => parseMountInfo(await readFile("/proc/self/mountinfo", "utf8"));

/** The mount that holds `path`: the longest mount point that is a prefix of it. */
export function mountFor(path: string, mounts: MountInfo[]): MountInfo | undefined {
  let best: MountInfo | undefined;
  for (const m of mounts) {
    const prefix = m.mount.endsWith("/") ? m.mount : `${m.mount}/`;
    if (path === m.mount || path.startsWith(prefix) || m.mount === "/") {
      if (!best || m.mount.length > best.mount.length) best = m;
    }
  }
  return best;
}

export async function readHostFilesystem(path: string, mounts: MountLister = listMounts): Promise<HostFilesystem> {
  const [st, mountList] = await Promise.all([statfs(path), mounts().catch(() => [] as MountInfo[])]);
  const capacityBytes = st.blocks * st.bsize;
  const availableBytes = st.bavail * st.bsize;
  const freeBytes = st.bfree * st.bsize;
  const mount = mountFor(path, mountList);
  return {
    mount: mount?.mount,
    device: mount?.device,
    fsType: mount?.fsType,
    capacityBytes,
    availableBytes,
    freeBytes,
    usedPercent: capacityBytes > 0 ? round1(100 - (availableBytes * 100) / capacityBytes) : 0,
    inodesTotal: st.files,
    inodesFree: st.ffree,
    inodesUsedPercent: st.files > 0 ? round1(100 - (st.ffree * 100) / st.files) : 0,
  };
}

/** Image filesystems from CRI ImageFsInfo, each with the host's capacity and free space. */
export async function readImageFilesystems(client: RuntimeClient, mounts: MountLister = listMounts): Promise<ImageFilesystem[]> {
  const info = await client.imageFsInfo();
  return Promise.all(
    info.imageFilesystems.map(async (fs) => {
      const mountpoint = fs.fsId?.mountpoint ?? "";
      const base = {
        mountpoint,
        runtimeUsedBytes: fs.usedBytes ? Number(fs.usedBytes.value) : undefined,
        runtimeInodesUsed: fs.inodesUsed ? Number(fs.inodesUsed.value) : undefined,
      };
      if (!mountpoint) return { ...base, host: undefined, hostError: "the runtime did not name the mount point" };
      try {
        return { ...base, host: await readHostFilesystem(mountpoint, mounts), hostError: undefined };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const reason =
          code === "ENOENT"
            ? `${mountpoint} is not visible here; mount the runtime's root into this container at the same path`
            : `cannot statfs ${mountpoint}: ${(err as Error).message}`;
        return { ...base, host: undefined, hostError: reason };
      }
    }),
  );
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
