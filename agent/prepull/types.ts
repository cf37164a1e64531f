// The pre-puller's contract with the daemon, the CLI and the report: what to pull, how, and what
// each image's state is after a round.

import type { RateLimit } from "../registry/index.js";
import type { RuntimeClient } from "../runtime/index.js";
import type { RegistryVantage } from "../vantage/index.js";

export interface PrepullTarget {
  image: string;
  /** Path to a .dockerconfigjson whose matching entry is used for the HEAD and the pull. */
  dockerConfig?: string;
  /** Informational for now: containerd pulls the node's platform. */
  platform?: string;
}

export type PrepullAction = "pulled" | "unchanged" | "deferred" | "failed";

export type PrepullState = "present" | "pulling" | "failed" | "deferred";

export interface PrepullImageStatus {
  image: string;
  state: PrepullState;
  action: PrepullAction | undefined;
  /** The registry's digest for the tag (from HEAD), or the pinned digest. */
  digest: string | undefined;
  /** ISO times. */
  lastCheck: string | undefined;
  lastPull: string | undefined;
  /** CRI size of the image after the pull. */
  bytes: number | undefined;
  /** Of the last pull. */
  durationMs: number | undefined;
  /** PullImage calls in the last round. */
  attempts: number;
  /** Of this round's failure or deferral; cleared by a round that went well. */
  cause: string | undefined;
  summary: string | undefined;
  fix: string[] | undefined;
}

/** What the pre-puller needs from a quota tracker. QuotaTracker.latest() fits. */
export interface QuotaSnapshot {
  remaining: number | undefined;
  source: string | undefined;
  windowSeconds: number | undefined;
  /** ms epoch; lets a reading seen on this round's HEADs win over an older one. */
  observedAt?: number;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface PrepullOptions {
  client: RuntimeClient;
  /** containerd's config_path (certs.d), several roots separated by ":"; what fixes name, and read when there is no vantage. */
  hostsDir: string;
  /** The runtime's view (agent/vantage): the HEADs go where, and as, the runtime's pulls go. */
  vantage?: RegistryVantage | undefined;
  /** When absent, asked of the runtime once per round: hosts.toml defaults changed across releases. */
  containerdVersion?: string;
  /** Each registry step (the HEAD). */
  timeoutMs: number;
  /** Per PullImage. */
  pullDeadlineMs: number;
  /** PullImage calls in flight at once; never exceeded. Checks (HEADs) run a little ahead of the pulls. */
  concurrency: number;
  /** Exponential back-off with full jitter between pull attempts. */
  retries: RetryPolicy;
  quota: { latest: () => QuotaSnapshot | undefined; reserve: number };
  /** Registry domains (as references name them) whose pulls spend Docker Hub quota. Default ["docker.io"]. */
  dockerHubDomains?: string[];
  /** Docker Hub headers seen on HEADs, for the agent's QuotaTracker. */
  onRateLimit?: (r: RateLimit) => void;
  /** Every state change, for progress lines and NodeState. */
  onProgress?: (s: PrepullImageStatus) => void;
  /** Last round's statuses by image, for lastPull and friends. */
  previous?: Map<string, PrepullImageStatus>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const PREPULL_DEFAULTS = {
  concurrency: 2,
  pullDeadlineMs: 600_000,
  reserve: 10,
  retries: { attempts: 3, baseDelayMs: 2_000, maxDelayMs: 60_000 },
} as const satisfies { concurrency: number; pullDeadlineMs: number; reserve: number; retries: RetryPolicy };
