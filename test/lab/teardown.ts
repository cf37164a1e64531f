// Ending a lab without leaving anything behind: daemons, shims, containers,
// mounts, files. There is a careful async path for stop() and a blunt sync path
// for process exit, where nothing asynchronous can run any more.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Daemon, isAlive, listProcesses, type ProcessInfo, signal, terminate, waitUntil } from "./process.js";

export interface LabRuntime {
  dir: string;
  daemons: Daemon[]; // containerd and registry, in the order they should stop
  keep: boolean;
}

// Shims are not our children and outlive containerd; they (and the lab's own
// daemons) are recognised by the lab directory on their command line.
function labProcesses(lab: LabRuntime): ProcessInfo[] {
  return listProcesses().filter((p) => p.pid !== process.pid && p.cmdline.includes(`${lab.dir}/`));
}

// Container processes do not mention the lab dir; they are found as the shims' children.
function containerProcesses(lab: LabRuntime, all: ProcessInfo[]): ProcessInfo[] {
  const shims = new Set(
    labProcesses(lab)
      .filter((p) => p.cmdline.includes("containerd-shim"))
      .map((p) => p.pid),
  );
  return all.filter((p) => shims.has(p.ppid));
}

// A shim killed by signal leaves its socket in /run/containerd/s, named by a hash
// of containerd's address, namespace and task id (containerd 1.6 shim.SocketAddress).
function removeShimSockets(shims: ProcessInfo[]): void {
  for (const shim of shims) {
    const args = shim.cmdline.split(" ");
    const arg = (name: string): string | undefined => {
      const i = args.indexOf(name);
      return i >= 0 ? args[i + 1] : undefined;
    };
    const [address, namespace, id] = [arg("-address"), arg("-namespace"), arg("-id")];
    if (!address || !namespace || !id) continue;
    const hash = createHash("sha256")
      .update(join(address, namespace, id))
      .digest("hex");
    try {
      unlinkSync(`/run/containerd/s/${hash}`);
    } catch {
      // Already gone: the shim exited cleanly.
    }
  }
}

function mountsUnder(dir: string): string[] {
  let mountinfo: string;
  try {
    mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const points = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => p !== undefined)
    // mountinfo escapes spaces and the like as \ooo
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  // Deepest first, so nested mounts come off before their parents.
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function unmountAll(dir: string, lazy: boolean): string[] {
  const failures: string[] = [];
  for (const point of mountsUnder(dir)) {
    if (!lazy && spawnSync("umount", [point], { stdio: "ignore" }).status === 0) continue;
    const result = spawnSync("umount", ["-l", point], { encoding: "utf8" });
    if (result.status !== 0) failures.push(`${point}: ${result.stderr.trim() || result.error?.message || "umount failed"}`);
  }
  return failures;
}

export async function stopLab(lab: LabRuntime): Promise<void> {
  const problems: string[] = [];
  for (const daemon of lab.daemons) {
    // An exited child's PID may already belong to someone else.
    if (daemon.exit === undefined) await terminate(daemon.pid, 5000).catch((e: unknown) => problems.push(String(e)));
    // Dead is not yet reaped: waiting for Node to collect the exit status keeps a
    // zombie from outliving this process when it exits right after stop().
    await waitUntil(() => daemon.exit !== undefined, 2000, 10);
  }
  const all = listProcesses();
  const leftovers = [...containerProcesses(lab, all), ...labProcesses(lab)];
  for (const p of leftovers) signal(p.pid, "SIGKILL");
  if (!(await waitUntil(() => leftovers.every((p) => !isAlive(p.pid)), 5000, 50))) {
    problems.push(
      `processes survived SIGKILL: ${leftovers
        .filter((p) => isAlive(p.pid))
        .map((p) => `${p.pid} ${p.cmdline}`)
        .join("; ")}`,
    );
  }
  removeShimSockets(leftovers.filter((p) => p.cmdline.includes("containerd-shim")));
  problems.push(...unmountAll(lab.dir, false));
  if (!lab.keep) {
    try {
      rmSync(lab.dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      problems.push(`could not remove ${lab.dir}: ${String(e)}`);
    }
  }
  if (problems.length > 0) throw new Error(`lab ${lab.dir} did not stop cleanly:\n${problems.join("\n")}`);
}

/** Best effort, synchronous: for process exit, when stop() was never awaited. */
function killLabNow(lab: LabRuntime): void {
  const all = listProcesses();
  // The daemons are among labProcesses: their config paths are on their command lines.
  const victims = [...containerProcesses(lab, all), ...labProcesses(lab)];
  for (const p of victims) signal(p.pid, "SIGKILL");
  removeShimSockets(victims.filter((p) => p.cmdline.includes("containerd-shim")));
  unmountAll(lab.dir, true);
  if (lab.keep) return;
  try {
    rmSync(lab.dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // Best effort: a daemon killed a moment ago may still be writing.
  }
}

export const OWNER_FILE = "owner.pid";

// A test runner killed with SIGKILL runs no exit hooks and leaves its lab behind.
// The next lab clears such leftovers, recognised by an owner PID that is gone.
export function reapStaleLabs(dirPrefix: string): void {
  const parent = dirname(dirPrefix);
  const base = dirPrefix.slice(parent.length + 1);
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(base)) continue;
    const dir = join(parent, name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), "utf8"));
    } catch {
      continue; // not a lab, or one still being set up
    }
    if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) continue;
    killLabNow({ dir, daemons: [], keep: false });
  }
}

const live = new Set<LabRuntime>();
let hooksInstalled = false;

export function trackLab(lab: LabRuntime): void {
  live.add(lab);
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", () => {
    for (const l of live) killLabNow(l);
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      // Someone else (the lab CLI, a test runner) handles this signal and will stop
      // the lab itself; only when we are alone would the signal kill the process
      // without running 'exit' listeners.
      if (process.listenerCount(sig) > 1) return;
      for (const l of live) killLabNow(l);
      live.clear();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

export function untrackLab(lab: LabRuntime): void {
  live.delete(lab);
}
