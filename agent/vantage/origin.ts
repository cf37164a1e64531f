// Where the view is read from, in order of truth: the process serving the CRI socket (its root
// and environment through /proc), else a mounted node root (--host-root, the environment from
// systemd's unit files), else this process's own root, and always saying which and why.

import { readdir } from "node:fs/promises";
import { FileReadError } from "../../core/fs/index.js";
import { configFlag, type ProcessIdentity, readCmdline, readEnviron } from "./process.js";
import { RootFs } from "./root-fs.js";
import { findSocketOwner } from "./socket-owner.js";
import { readUnitEnvironment } from "./unit-env.js";

export type ViewOrigin =
  | { kind: "process"; pid: number; name: string; startTicks: string; root: string; socket: string; boundPath: string }
  | { kind: "host-root"; dir: string; why: string }
  | { kind: "own-root"; why: string };

export interface OriginRequest {
  /** The CRI socket as this process reaches it. */
  socketPath?: string | undefined;
  /** A mounted node root, used when the process cannot be read. */
  hostRoot?: string | undefined;
  /** "containerd", "cri-o"…: which systemd unit holds the environment under --host-root. */
  runtimeName?: string | undefined;
  procDir?: string;
}

export interface FoundOrigin {
  origin: ViewOrigin;
  fs: RootFs;
  env: Map<string, string>;
  /** Where the environment was read, in words. */
  envSource: string;
  /** `--config` of the runtime's command line, when it has one. */
  configFlag: string | undefined;
  problems: string[];
}

export async function findOrigin(req: OriginRequest): Promise<FoundOrigin> {
  const procDir = req.procDir ?? "/proc";
  const problems: string[] = [];
  if (req.socketPath !== undefined) {
    try {
      const owner = await findSocketOwner(req.socketPath, procDir);
      if (typeof owner === "string") problems.push(`the process behind the CRI socket cannot be found: ${owner}`);
      else {
        const opened = await openProcess(owner.process, owner.boundPath, req.socketPath, procDir, problems);
        if (opened !== undefined) return opened;
      }
    } catch (err) {
      // Whatever /proc did, the diagnosis goes on from a stated fallback.
      problems.push(`the runtime process could not be read: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else problems.push("no CRI socket to find the runtime process by");
  return fallback(req, problems);
}

async function openProcess(proc: ProcessIdentity, boundPath: string, socket: string, procDir: string, problems: string[]): Promise<FoundOrigin | undefined> {
  const root = `${procDir}/${proc.pid}/root`;
  try {
    await readdir(root);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push(
      code === "ENOENT"
        ? `${proc.name} (pid ${proc.pid}) exited while it was being read`
        : `${root} of ${proc.name} (pid ${proc.pid}) cannot be read (${code ?? String(err)}): reading another root process's root needs CAP_SYS_PTRACE`,
    );
    return undefined;
  }
  const fs = new RootFs(root, `${proc.name}'s root (pid ${proc.pid})`);
  const origin: ViewOrigin = { kind: "process", pid: proc.pid, name: proc.name, startTicks: proc.startTicks, root, socket, boundPath };
  let env = new Map<string, string>();
  let envSource = `${procDir}/${proc.pid}/environ`;
  try {
    env = await readEnviron(proc.pid, procDir);
  } catch (err) {
    if (!(err instanceof FileReadError)) throw err;
    envSource = `none: ${err.message}`;
    problems.push(
      `${err.message}: ${proc.name}'s environment is unknown, so no proxy and no SSL_CERT_FILE/SSL_CERT_DIR are assumed (reading it needs CAP_SYS_PTRACE)`,
    );
  }
  const argv = await readCmdline(proc.pid, procDir).catch((err: unknown) => {
    problems.push(`${procDir}/${proc.pid}/cmdline: ${(err as Error).message}; the runtime's --config is unknown`);
    return [] as string[];
  });
  return { origin, fs, env, envSource, configFlag: configFlag(argv), problems };
}

async function fallback(req: OriginRequest, problems: string[]): Promise<FoundOrigin> {
  const why = problems.join("; ");
  if (req.hostRoot !== undefined) {
    const fs = new RootFs(req.hostRoot, `--host-root ${req.hostRoot}`);
    const unit = unitOf(req.runtimeName);
    const found = await readUnitEnvironment(fs, unit);
    problems.push(...found.notes);
    const envSource = found.files.length > 0 ? `Environment= of ${found.files.join(", ")}` : `none: no ${unit} unit file under --host-root`;
    return { origin: { kind: "host-root", dir: req.hostRoot, why }, fs, env: found.env, envSource, configFlag: undefined, problems };
  }
  const fs = new RootFs("/", "this process's root");
  const envSource = "none: the runtime's environment cannot be read from here, so no proxy is assumed";
  return { origin: { kind: "own-root", why }, fs, env: new Map(), envSource, configFlag: undefined, problems };
}

function unitOf(runtime: string | undefined): string {
  if (runtime !== undefined && /cri-?o/i.test(runtime)) return "crio.service";
  return "containerd.service";
}
