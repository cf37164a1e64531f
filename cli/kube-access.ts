// The Kubernetes API as the person at the terminal: their kubeconfig (KUBECONFIG or --kubeconfig,
// --context), their identity, our own client (core/kube). For `pullmedic cleanup` and the
// kubectl plugin, which also reaches the agents and the aggregator through the API server's proxy.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { type KubeConnection, KubeHttp, type KubeRequest, loadKubeConnection } from "../core/kube/index.js";
import { VERSION } from "../core/process/index.js";
import { UsageError } from "./errors.js";

export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
}

const RESPONSE_LIMIT = 32 * 1024 * 1024;

export interface KubeAccess {
  conn: KubeConnection;
  /** GET, parsed JSON; a non-2xx answer throws the API's error, worded. */
  get(path: string): Promise<unknown>;
  /** Any verb; the status and the body as text (proxied answers are the backend's own). */
  send(req: KubeRequest): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

export async function kubeAccess(flags: KubeFlags, env: NodeJS.ProcessEnv): Promise<KubeAccess> {
  // kubectl's default file when nothing names one; in a pod without it, the pod's service account.
  const home = env["HOME"];
  const fallback = home && existsSync(join(home, ".kube", "config")) ? join(home, ".kube", "config") : undefined;
  const kubeconfig = flags.kubeconfig ?? (env["KUBECONFIG"] ? undefined : fallback);
  const conn = await loadKubeConnection({ env, ...(kubeconfig ? { kubeconfig } : {}), ...(flags.context ? { context: flags.context } : {}) });
  if (conn === undefined) throw new UsageError("no cluster to talk to: set KUBECONFIG or pass --kubeconfig");
  const http = new KubeHttp(conn, 30_000, `pullmedic/${VERSION}`, () => undefined);
  return {
    conn,
    get: (path) => http.json({ verb: "GET", path }, RESPONSE_LIMIT),
    async send(req) {
      const res = await http.send(req);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > RESPONSE_LIMIT) break;
        chunks.push(chunk as Buffer);
      }
      return { status: res.status, text: Buffer.concat(chunks).toString("utf8") };
    },
    close: () => http.close(),
  };
}
