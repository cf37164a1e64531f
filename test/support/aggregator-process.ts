import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { onJsonLines } from "./json-lines.js";

/** A real `pullmedic aggregator` process and the addresses it printed once it listened. */
export interface AggregatorProcess {
  child: ChildProcess;
  grpcAddress: string;
  httpUrl: string;
  logs: Record<string, unknown>[];
  stderr: () => string;
  getJson<T>(path: string): Promise<T>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const root = new URL("../..", import.meta.url).pathname;

export function startAggregatorProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<AggregatorProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "cli/main.ts"), "aggregator", "--log-format", "json", ...args], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  const logs: Record<string, unknown>[] = [];
  let err = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the aggregator did not start within 30 s; stderr: ${err}`)), 30_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the aggregator exited with ${code} before listening; stderr: ${err}; logs: ${JSON.stringify(logs)}`));
    });
    child.stderr?.on("data", (d: Buffer) => (err += d));
    onJsonLines(child.stdout, (record) => {
      logs.push(record);
      const m = /gRPC (\S+), dashboard (http:\/\/\S+?)\/?$/.exec(String(record["message"] ?? ""));
      if (m?.[1] && m[2]) {
        clearTimeout(timer);
        const httpUrl = m[2];
        resolve({
          child,
          grpcAddress: m[1],
          httpUrl,
          logs,
          stderr: () => err,
          async getJson<T>(path: string): Promise<T> {
            const res = await fetch(`${httpUrl}${path}`);
            if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
            return (await res.json()) as T;
          },
          async stop(signal = "SIGTERM") {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
  });
}
