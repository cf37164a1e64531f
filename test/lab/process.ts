// Running and ending the lab's external programs. Everything here works by PID
// and /proc, never by process name, so a lab never touches processes it does
// not own (another lab, or a real containerd on the machine).

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync } from "node:fs";
import { WaitTimeoutError, waitFor } from "../support/wait.js";

// containerd looks up runc and its shims through PATH; test runners often start
// with a trimmed PATH that lacks the sbin directories where Debian puts runc.
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function requireBinary(path: string, installHint: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${path} not found or not executable: ${installHint}`);
  }
}

/** A failed command; the message carries stderr, the fields keep both streams for assertions. */
class CommandError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = "CommandError";
  }
}

export function run(file: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const detail = stderr.trim() || stdout.trim() || error.message;
        reject(new CommandError(`${file} ${args.join(" ")} failed: ${detail}`, stdout, stderr));
      },
    );
  });
}

export interface Daemon {
  pid: number;
  child: ChildProcess;
  /** Set once the process has exited; lets readiness loops fail fast instead of timing out. */
  exit: { code: number | null; signal: NodeJS.Signals | null; error?: Error } | undefined;
}

export function startDaemon(file: string, args: readonly string[], opts: { logFile: string; env: NodeJS.ProcessEnv }): Daemon {
  const log = openSync(opts.logFile, "a");
  // A process group of its own keeps Ctrl-C in a terminal from reaching the daemon
  // directly, so the lab decides the order in which things stop.
  const child = spawn(file, args, { detached: true, stdio: ["ignore", log, log], env: opts.env });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${file}`);
  // Not holding the event loop open means a test that forgets stop() still ends;
  // the exit hook then kills the daemon.
  child.unref();
  const daemon: Daemon = { pid: child.pid, child, exit: undefined };
  child.once("exit", (code, signal) => (daemon.exit = { code, signal }));
  child.once("error", (error) => (daemon.exit = { code: null, signal: null, error }));
  return daemon;
}

// kill(pid, 0) succeeds for zombies, and shims orphaned to a PID 1 that does not
// reap would look alive forever; /proc tells the truth.
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/** True once `check` holds, false when it still does not after timeoutMs: the caller says what that means. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  return waitFor("a lab condition", check, { timeoutMs, intervalMs }).then(
    () => true,
    (error: unknown) => {
      if (error instanceof WaitTimeoutError) return false;
      throw error;
    },
  );
}

/** SIGTERM, then SIGKILL if the process is still there after graceMs. */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  if (!isAlive(pid)) return;
  signal(pid, "SIGTERM");
  if (await waitUntil(() => !isAlive(pid), graceMs, 50)) return;
  signal(pid, "SIGKILL");
  if (!(await waitUntil(() => !isAlive(pid), 5000, 50))) throw new Error(`process ${pid} survived SIGKILL`);
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  cmdline: string;
}

export function listProcesses(): ProcessInfo[] {
  const result: ProcessInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ").trim();
      result.push({ pid: Number(name), ppid, cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return result;
}

export function tailFile(path: string, lines = 40): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
