import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { onJsonLines } from "./json-lines.js";

/** A real `pullmedic agent` process, its JSON log lines, and its HTTP address once it listens. */
export interface AgentProcess {
  child: ChildProcess;
  url: string;
  logs: Record<string, unknown>[];
  stderr: () => string;
  get(path: string): Promise<{ status: number; text: string }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const root = new URL("../..", import.meta.url).pathname;

export function startAgentProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "cli/main.ts"), "agent", "--log-format", "json", ...args], {
    cwd: root,
    // No Kubernetes API unless a test gives one: a KUBECONFIG in the developer's shell must not
    // point the agents of unrelated tests at a real cluster.
    env: { ...process.env, CRI_ENDPOINT: "", NODE_NAME: "lab-node", KUBECONFIG: "", KUBERNETES_SERVICE_HOST: "", ...env },
  });
  const logs: Record<string, unknown>[] = [];
  let err = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not start within 30 s; stderr: ${err}; logs: ${JSON.stringify(logs)}`)), 30_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the agent exited with ${code} before listening; stderr: ${err}`));
    });
    child.stderr?.on("data", (d: Buffer) => (err += d));
    onJsonLines(child.stdout, (record) => {
      logs.push(record);
      const m = /state (http:\/\/[^ ]+)\/v1\/state/.exec(String(record["message"] ?? ""));
      if (m?.[1]) {
        clearTimeout(timer);
        const url = m[1];
        const get = async (path: string) => {
          const res = await fetch(`${url}${path}`);
          return { status: res.status, text: await res.text() };
        };
        resolve({
          child,
          url,
          logs,
          stderr: () => err,
          get,
          async stop(signal = "SIGTERM") {
            if (child.exitCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
  });
}
