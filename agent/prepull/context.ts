// What the images of one round share.

import type { RuntimeClient } from "../runtime/index.js";
import type { CredentialFiles } from "./credentials.js";
import type { Slots } from "./pool.js";
import type { QuotaGate } from "./quota-gate.js";
import type { Resolver } from "./resolve.js";
import type { PrepullImageStatus, RetryPolicy } from "./types.js";

export interface RoundContext {
  client: RuntimeClient;
  hostsDir: string;
  pullDeadlineMs: number;
  retries: RetryPolicy;
  reserve: number;
  hubDomains: readonly string[];
  resolver: Resolver;
  credentials: CredentialFiles;
  /** PullImage calls in flight; never more than the round's concurrency. */
  pullSlots: Slots;
  gate: QuotaGate;
  previous: Map<string, PrepullImageStatus> | undefined;
  emit: (s: PrepullImageStatus) => void;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}
