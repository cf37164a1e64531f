// Which process serves the CRI socket. The agent and the runtime name the socket differently
// (a hostPath mount, another mount namespace), so the path string decides nothing: a listening
// socket's kernel inode comes from /proc/net/unix, the process holding it from its
// /proc/<pid>/fd links ("socket:[inode]"), and the match is proven by the device and inode of
// the socket file as that process names it, read through its root (docs/facts/runtime-view.md).

import { readdir, readlink, stat } from "node:fs/promises";
import { readTextFile } from "../../core/fs/index.js";
import { type ProcessIdentity, readIdentity } from "./process.js";
import { RootFs } from "./root-fs.js";

/** /proc/net/unix of a busy node is a few hundred KiB. */
const NET_UNIX_LIMIT = 16 * 1024 * 1024;
/** __SO_ACCEPTCON in the Flags column: the socket listens. */
const LISTENING = 0x10000;
/** Process names of CRI runtimes, looked at before every other process. */
const RUNTIME_NAMES = /^(containerd|crio|k3s|k3s-server|k3s-agent|rke2|k0s|dockerd|cri-dockerd)$/;

export interface ListeningSocket {
  /** The socket's inode in the kernel's socket filesystem (not the socket file's inode). */
  inode: string;
  /** The path it was bound to, as its process named it. */
  path: string;
}

export interface SocketOwner {
  process: ProcessIdentity;
  /** The socket's path as the runtime bound it. */
  boundPath: string;
}

/** Listening unix sockets bound to a path (abstract and unnamed ones are left out). */
export function parseNetUnix(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split("\n").slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path — the path is the rest of the line.
    const m = /^\s*[0-9a-f]+:\s+[0-9A-F]+\s+[0-9A-F]+\s+([0-9A-F]+)\s+[0-9A-F]+\s+[0-9A-F]+\s+(\d+)\s(\/.*)$/i.exec(line);
    if (!m) continue;
    if ((Number.parseInt(m[1] as string, 16) & LISTENING) === 0) continue;
    out.push({ inode: m[2] as string, path: m[3] as string });
  }
  return out;
}

/**
 * The process that serves `socketPath` (as this process reaches it), or a sentence saying why it
 * cannot be found. Needs this process to see the node's processes (hostPID) and may read their
 * fd links (root with CAP_SYS_PTRACE).
 */
export async function findSocketOwner(socketPath: string, procDir = "/proc"): Promise<SocketOwner | string> {
  let wanted: { dev: number; ino: number };
  try {
    const st = await stat(socketPath);
    if (!st.isSocket()) return `${socketPath} is not a unix socket`;
    wanted = { dev: st.dev, ino: st.ino };
  } catch (err) {
    return `${socketPath} cannot be examined (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  const listening = await listeningSockets(procDir);
  if (listening.size === 0) return `no listening unix socket in ${procDir}/net/unix`;
  // Root without CAP_SYS_PTRACE cannot read the open files of a runtime that has capabilities;
  // reading every process of a busy node to find that out costs a second.
  if (await rootWithoutPtrace()) return `the open files of the node's processes cannot be read here: as root that needs CAP_SYS_PTRACE`;
  const pids = await processIds(procDir);
  if (pids.length <= 1) return `only ${pids.length} process visible in ${procDir}: the node's processes are not visible here (hostPID)`;
  // Runtimes by name first: a full scan reads every fd of every process.
  const names = await Promise.all(pids.map((pid) => readIdentity(pid, procDir).catch(() => undefined)));
  const likely = names.filter((p): p is ProcessIdentity => p !== undefined && RUNTIME_NAMES.test(p.name));
  const others = names.filter((p): p is ProcessIdentity => p !== undefined && !RUNTIME_NAMES.test(p.name) && p.pid !== 1);
  const denied: string[] = [];
  for (const group of [likely, others]) {
    for (const proc of group) {
      const owner = await holds(proc, listening, wanted, procDir, denied);
      if (owner !== undefined) return owner;
    }
  }
  const why =
    denied.length > 0
      ? `; the open files of ${denied.length} process${denied.length === 1 ? "" : "es"} (${denied.slice(0, 3).join(", ")}${denied.length > 3 ? ", …" : ""}) could not be read: that needs CAP_SYS_PTRACE`
      : "";
  return `no visible process holds the listening socket behind ${socketPath} (device ${wanted.dev}, inode ${wanted.ino})${why}`;
}

/** CAP_SYS_PTRACE's bit in the capability sets of /proc/<pid>/status. */
const CAP_SYS_PTRACE = 19n;

async function rootWithoutPtrace(): Promise<boolean> {
  if (process.geteuid?.() !== 0) return false;
  const status = await readTextFile("/proc/self/status", { maxBytes: 64 * 1024 }).catch(() => "");
  const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return eff !== undefined && ((BigInt(`0x${eff}`) >> CAP_SYS_PTRACE) & 1n) === 0n;
}

async function listeningSockets(procDir: string): Promise<Map<string, string>> {
  const byInode = new Map<string, string>();
  // This process's network namespace first; pid 1's is the node's when this one is not (no hostNetwork).
  for (const file of [`${procDir}/net/unix`, `${procDir}/1/net/unix`]) {
    const text = await readTextFile(file, { maxBytes: NET_UNIX_LIMIT }).catch(() => "");
    for (const s of parseNetUnix(text)) byInode.set(s.inode, s.path);
  }
  return byInode;
}

async function processIds(procDir: string): Promise<number[]> {
  const names = await readdir(procDir).catch(() => [] as string[]);
  return names
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/** Whether `proc` holds a listening socket whose file, through its root, is the one wanted. */
async function holds(
  proc: ProcessIdentity,
  listening: Map<string, string>,
  wanted: { dev: number; ino: number },
  procDir: string,
  denied: string[],
): Promise<SocketOwner | undefined> {
  const fdDir = `${procDir}/${proc.pid}/fd`;
  let refused = false;
  const fds = await readdir(fdDir).catch((err: NodeJS.ErrnoException) => {
    refused = err.code === "EACCES" || err.code === "EPERM";
    return [] as string[];
  });
  for (const fd of fds) {
    const link = await readlink(`${fdDir}/${fd}`).catch((err: NodeJS.ErrnoException) => {
      refused ||= err.code === "EACCES" || err.code === "EPERM";
      return "";
    });
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    const boundPath = inode === undefined ? undefined : listening.get(inode);
    if (boundPath === undefined) continue;
    const rootFs = new RootFs(`${procDir}/${proc.pid}/root`, `pid ${proc.pid}'s root`);
    const file = await rootFs.resolve(boundPath).catch(() => undefined);
    const st = file && (await stat(file.outside).catch(() => undefined));
    if (st !== undefined && st.dev === wanted.dev && st.ino === wanted.ino) return { process: proc, boundPath };
  }
  if (refused) denied.push(`${proc.name} ${proc.pid}`);
  return undefined;
}
