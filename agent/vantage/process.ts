// What /proc tells about the runtime process: its name, its start time (so a reused pid is not
// taken for the same process), its environment and its command line. environ and root need the
// ptrace access check (PTRACE_MODE_READ_FSCREDS): as root with all capabilities dropped that means
// CAP_SYS_PTRACE (docs/facts/runtime-view.md).

import { FileReadError, readRegularFile, readTextFile } from "../../core/fs/index.js";

/** An environment or command line past this is not a runtime's; the reader refuses it. */
const PROC_FILE_LIMIT = 256 * 1024;

export interface ProcessIdentity {
  pid: number;
  /** /proc/<pid>/comm: "containerd", "crio", "k3s-server". */
  name: string;
  /** Field 22 of /proc/<pid>/stat, in clock ticks since boot: with the pid, names one process for good. */
  startTicks: string;
}

export async function readIdentity(pid: number, procDir = "/proc"): Promise<ProcessIdentity> {
  const stat = await readTextFile(`${procDir}/${pid}/stat`, { maxBytes: 4096 });
  // The name (field 2) is in parentheses and may itself hold spaces and ")": the fields after the last ")" are fixed.
  const close = stat.lastIndexOf(")");
  const name = stat.slice(stat.indexOf("(") + 1, close);
  const rest = stat.slice(close + 2).split(" ");
  // rest[0] is field 3 (state); the start time is field 22.
  const startTicks = rest[19];
  if (close < 0 || startTicks === undefined) throw new FileReadError(`${procDir}/${pid}/stat`, "io", "is not in the /proc/<pid>/stat format");
  return { pid, name, startTicks };
}

/** The process's environment as it was started (later setenv calls inside it do not show here, and containerd makes none). */
export async function readEnviron(pid: number, procDir = "/proc"): Promise<Map<string, string>> {
  return parseEnviron(await readRegularFile(`${procDir}/${pid}/environ`, { maxBytes: PROC_FILE_LIMIT }));
}

export async function readCmdline(pid: number, procDir = "/proc"): Promise<string[]> {
  const raw = await readRegularFile(`${procDir}/${pid}/cmdline`, { maxBytes: PROC_FILE_LIMIT });
  return splitNul(raw);
}

/** NUL-separated NAME=value pairs; the first "=" ends the name. An entry without "=" is kept nowhere, as getenv would. */
function parseEnviron(raw: Buffer): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of splitNul(raw)) {
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    const name = entry.slice(0, eq);
    // Go's os.Getenv sees the first of duplicate names (syscall.copyenv keeps the first).
    if (!env.has(name)) env.set(name, entry.slice(eq + 1));
  }
  return env;
}

function splitNul(raw: Buffer): string[] {
  return raw
    .toString("utf8")
    .split("\0")
    .filter((s) => s !== "");
}

/** The value of `--config`/`-c` (or `--config=…`) on a command line. */
export function configFlag(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--config" || arg === "-c" || arg === "-config") return argv[i + 1];
    const eq = /^--?config=(.*)$/.exec(arg);
    if (eq) return eq[1];
  }
  return undefined;
}
