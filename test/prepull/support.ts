// What the pre-pull tests share: a round's options against the lab, and the registry's own access
// log as the evidence of which requests a round made.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PREPULL_DEFAULTS, type PrepullImageStatus, type PrepullOptions } from "../../agent/prepull/index.js";
import type { RuntimeClient } from "../../agent/runtime/index.js";
import type { Lab } from "../lab/index.js";
import { WaitTimeoutError, waitFor } from "../support/wait.js";

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  userAgent: string;
}

const ACCESS_LINE = /^\S+ - \S+ \[[^\]]+\] "(\w+) (\S+) HTTP\/[\d.]+" (\d+) \S+ "[^"]*" "([^"]*)"/;

function logLines(lab: Lab): string[] {
  return readFileSync(join(lab.dir, "registry", "registry.log"), "utf8").split("\n");
}

/** Where the log ends now: requests after this mark are the ones the next step makes. */
export function logMark(lab: Lab): number {
  return logLines(lab).length - 1;
}

/** The distribution registry writes one combined-log line per request it served. */
export function requestsSince(lab: Lab, mark: number): LoggedRequest[] {
  const out: LoggedRequest[] = [];
  for (const line of logLines(lab).slice(mark)) {
    const m = ACCESS_LINE.exec(line);
    if (m) out.push({ method: m[1] ?? "", path: m[2] ?? "", status: Number(m[3]), userAgent: m[4] ?? "" });
  }
  return out;
}

/**
 * The registry logs a request just after answering it, so the last line can trail the client by
 * a moment: wait for the expected number of lines, never longer than 5 s.
 */
export async function settledRequestsSince(lab: Lab, mark: number, atLeast: number): Promise<LoggedRequest[]> {
  const read = () => requestsSince(lab, mark);
  return waitFor(`${atLeast} logged requests`, read, (seen) => seen.length >= atLeast, { timeoutMs: 5000, intervalMs: 1 }).catch((error: unknown) => {
    if (error instanceof WaitTimeoutError) return read();
    throw error;
  });
}

export const isPull = (r: LoggedRequest): boolean => r.method === "GET" && /\/(manifests|blobs)\//.test(r.path);
export const isManifestHead = (r: LoggedRequest): boolean => r.method === "HEAD" && /\/manifests\//.test(r.path);

export function roundOptions(lab: Lab, client: RuntimeClient, extra: Partial<PrepullOptions> = {}): PrepullOptions {
  return {
    client,
    hostsDir: lab.hostsDir,
    timeoutMs: 10_000,
    pullDeadlineMs: PREPULL_DEFAULTS.pullDeadlineMs,
    concurrency: PREPULL_DEFAULTS.concurrency,
    retries: { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
    quota: { latest: () => undefined, reserve: PREPULL_DEFAULTS.reserve },
    ...extra,
  };
}

export function byImage(statuses: PrepullImageStatus[]): Map<string, PrepullImageStatus> {
  return new Map(statuses.map((s) => [s.image, s]));
}

export function status(statuses: PrepullImageStatus[], image: string): PrepullImageStatus {
  const found = statuses.find((s) => s.image === image);
  if (!found) throw new Error(`no status for ${image} in ${JSON.stringify(statuses, null, 2)}`);
  return found;
}

export function writeDockerConfig(dir: string, name: string, host: string, username: string, password: string): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } } }));
  return path;
}
