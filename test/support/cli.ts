import { spawn } from "node:child_process";
import { join } from "node:path";

/** pullmedic as a person runs it: a real process from the source tree. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const root = new URL("../..", import.meta.url).pathname;

export function runPullmedic(args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "cli/main.ts"), ...args], {
      cwd: root,
      env: { ...process.env, CRI_ENDPOINT: "", ...opts.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? "");
  });
}

/** Runs with --json and parses stdout, failing with everything the process printed. */
export async function runPullmedicJson<T>(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; stdin?: string } = {},
): Promise<{ code: number | null; out: T; stderr: string }> {
  const r = await runPullmedic([...args, "--json"], opts);
  try {
    return { code: r.code, out: JSON.parse(r.stdout) as T, stderr: r.stderr };
  } catch {
    throw new Error(`pullmedic ${args.join(" ")} --json did not print JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}
