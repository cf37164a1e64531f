import { access, constants } from "node:fs/promises";
import { PREPULL_DEFAULTS, type PrepullImageStatus, prepullRound, type QuotaSnapshot } from "../agent/prepull/index.js";
import type { RateLimit } from "../agent/registry/index.js";
import { viewHostsDir } from "../agent/vantage/index.js";
import { humanBytes } from "../core/text/index.js";
import { DEFAULT_TIMEOUT_SECONDS } from "./defaults.js";
import { EXIT_OK, EXIT_PROBLEM, UsageError } from "./errors.js";
import { withPullBars } from "./pull-bars.js";
import type { VerbResult } from "./result.js";
import { parseTimeoutSeconds, withRuntime } from "./runtime-options.js";
import { viewFor } from "./vantage.js";

export interface PrepullFlags {
  dockerConfig?: string;
  criEndpoint?: string;
  hostsDir?: string;
  concurrency?: string;
  timeout?: string;
  pullDeadline?: string;
  json?: boolean;
}

const MAX_CONCURRENCY = 16;

/**
 * One pre-pull round by hand. A deferred image is not a failure (exit 0): holding back while the
 * Docker Hub quota is under the reserve is the policy working, and its line says why.
 */
export async function prepullVerb(images: string[], flags: PrepullFlags, env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<VerbResult> {
  if (images.length === 0) throw new UsageError("name at least one image to pre-pull, e.g. pullmedic prepull nginx:1.27");
  const concurrency = parseConcurrency(flags.concurrency);
  const timeoutMs = parseTimeoutSeconds(flags.timeout) ?? DEFAULT_TIMEOUT_SECONDS * 1000;
  const pullDeadlineMs = parseTimeoutSeconds(flags.pullDeadline, "--pull-deadline") ?? PREPULL_DEFAULTS.pullDeadlineMs;
  if (flags.dockerConfig !== undefined) await checkReadable(flags.dockerConfig);
  const quota = new RunQuota();
  const started = performance.now();
  const bars = !flags.json && process.stdout.isTTY === true;
  const statuses = await withRuntime({ criEndpoint: flags.criEndpoint, timeout: flags.timeout }, env, async (client) => {
    const vantage = await viewFor(client, flags);
    return withPullBars(client, images, bars, progress, (say) =>
      prepullRound(
        images.map((image) => ({ image, ...(flags.dockerConfig !== undefined ? { dockerConfig: flags.dockerConfig } : {}) })),
        {
          client,
          hostsDir: flags.hostsDir ?? viewHostsDir(vantage),
          vantage,
          timeoutMs,
          pullDeadlineMs,
          concurrency,
          retries: { ...PREPULL_DEFAULTS.retries },
          quota: { latest: () => quota.latest(), reserve: PREPULL_DEFAULTS.reserve },
          onRateLimit: (r) => quota.record(r),
          ...(flags.json ? {} : { onProgress: (s: PrepullImageStatus) => s.state !== "pulling" && say(`${progressLine(s)}\n`) }),
        },
      ),
    );
  });
  const ms = performance.now() - started;
  return {
    exitCode: statuses.some((s) => s.action === "failed") ? EXIT_PROBLEM : EXIT_OK,
    json: { images: statuses.map(statusJson), ms: Math.round(ms) },
    text: `${summaryLine(statuses, ms)}\n`,
  };
}

/** The CLI has no tracker: the quota it knows is what this run's HEADs were told. */
class RunQuota {
  private last: RateLimit | undefined;

  record(r: RateLimit): void {
    if (this.last === undefined || r.observedAt >= this.last.observedAt) this.last = r;
  }

  latest(): QuotaSnapshot | undefined {
    const r = this.last;
    return r === undefined ? undefined : { remaining: r.remaining, source: r.source, windowSeconds: r.windowSeconds, observedAt: r.observedAt };
  }
}

function parseConcurrency(value: string | undefined): number {
  if (value === undefined) return PREPULL_DEFAULTS.concurrency;
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_CONCURRENCY)) {
    throw new UsageError(`--concurrency "${value}" must be a whole number from 1 to ${MAX_CONCURRENCY}`);
  }
  return n;
}

async function checkReadable(path: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read --docker-config ${path}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
}

/** Every field present, null when unknown, so a script can tell "no digest" from an older pullmedic. */
function statusJson(s: PrepullImageStatus): Record<string, unknown> {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v === undefined ? null : v]));
}

export function progressLine(s: PrepullImageStatus): string {
  const action = (s.action ?? s.state).padEnd(9);
  const digest = s.digest === undefined ? "" : `  ${shortDigest(s.digest)}`;
  switch (s.action) {
    case "pulled": {
      const size = s.bytes === undefined ? "" : ` ${humanBytes(s.bytes)}`;
      const took = s.durationMs === undefined ? "" : ` in ${(s.durationMs / 1000).toFixed(1)} s`;
      const tries = s.attempts > 1 ? ` (attempt ${s.attempts})` : "";
      return `${action}  ${s.image}${digest}${size}${took}${tries}`;
    }
    case "unchanged":
      return `${action}  ${s.image}${digest}`;
    default: {
      const kept = s.state === "present" ? "; the node keeps its copy" : "";
      const why = `  (${s.cause ?? "unknown"}: ${s.summary ?? "no details"}${kept})`;
      const fix = (s.fix ?? []).flatMap((f) => f.split("\n").map((l, i) => `\n    ${i === 0 ? "$ " : "  "}${l}`)).join("");
      return `${action}  ${s.image}${why}${fix}`;
    }
  }
}

function shortDigest(digest: string): string {
  const colon = digest.indexOf(":");
  return colon < 0 ? digest : `${digest.slice(0, colon + 13)}`;
}

function summaryLine(statuses: PrepullImageStatus[], ms: number): string {
  const count = (a: string): number => statuses.filter((s) => s.action === a).length;
  const n = statuses.length;
  return `${n} image${n === 1 ? "" : "s"} in ${(ms / 1000).toFixed(1)} s: ${count("pulled")} pulled, ${count("unchanged")} unchanged, ${count("deferred")} deferred, ${count("failed")} failed`;
}
