// One pre-pull round: every target checked and, where needed, pulled, a bounded number at a time.
// A round never rejects for one image's sake: each image's trouble is in its status.

import { setTimeout as delay } from "node:timers/promises";
import { DEFAULT_DOCKER_HUB_DOMAINS } from "../../core/image/index.js";
import type { RuntimeClient } from "../runtime/index.js";
import type { RoundContext } from "./context.js";
import { CredentialFiles } from "./credentials.js";
import { prepullImage } from "./image.js";
import { mapBounded, Slots } from "./pool.js";
import { QuotaGate } from "./quota-gate.js";
import { Resolver } from "./resolve.js";
import { iso } from "./status.js";
import type { PrepullImageStatus, PrepullOptions, PrepullTarget } from "./types.js";

/**
 * Images checked at once (HEAD and ImageStatus). Higher than the pull limit so the next image's
 * check is done by the time a pull slot frees: the checks cost the round no time of their own.
 */
const CHECK_CONCURRENCY = 8;

/**
 * Runs one round and resolves with one status per distinct image, in the order given. The same
 * image listed twice is worked on once: two concurrent pulls of it would only race.
 */
export async function prepullRound(targets: PrepullTarget[], opts: PrepullOptions): Promise<PrepullImageStatus[]> {
  checkOptions(opts);
  const now = opts.now ?? Date.now;
  const gate = new QuotaGate(opts.quota.latest, opts.quota.reserve, now);
  let version: Promise<string | undefined> | undefined;
  const resolver = new Resolver({
    hostsDir: opts.hostsDir,
    vantage: opts.vantage,
    containerdVersion: () => (version ??= opts.containerdVersion !== undefined ? Promise.resolve(opts.containerdVersion) : containerdVersionOf(opts.client)),
    timeoutMs: opts.timeoutMs,
    now,
    onRateLimit: (r) => {
      gate.observe(r);
      opts.onRateLimit?.(r);
    },
  });
  const ctx: RoundContext = {
    client: opts.client,
    hostsDir: opts.hostsDir,
    pullDeadlineMs: opts.pullDeadlineMs,
    retries: opts.retries,
    reserve: opts.quota.reserve,
    hubDomains: opts.dockerHubDomains ?? DEFAULT_DOCKER_HUB_DOMAINS,
    resolver,
    credentials: new CredentialFiles(),
    pullSlots: new Slots(opts.concurrency),
    gate,
    previous: opts.previous,
    emit: (s) => {
      // A progress consumer that throws must not turn into a failed pull.
      try {
        opts.onProgress?.(s);
      } catch {
        /* ignored on purpose */
      }
    },
    now,
    sleep: opts.sleep ?? ((ms) => delay(ms)),
    random: opts.random ?? Math.random,
  };
  try {
    const checks = Math.max(opts.concurrency, CHECK_CONCURRENCY);
    return await mapBounded(distinct(targets), checks, (t) => prepullImage(t, ctx).catch((err: unknown) => unexpected(t, err, now)));
  } finally {
    await resolver.close();
  }
}

function distinct(targets: PrepullTarget[]): PrepullTarget[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    if (seen.has(t.image)) return false;
    seen.add(t.image);
    return true;
  });
}

async function containerdVersionOf(client: RuntimeClient): Promise<string | undefined> {
  try {
    const v = await client.version();
    return v.runtimeName === "containerd" ? v.runtimeVersion : undefined;
  } catch {
    // Unknown means containerd's current rules, which is what readHostsConfig assumes.
    return undefined;
  }
}

function unexpected(target: PrepullTarget, err: unknown, now: () => number): PrepullImageStatus {
  return {
    image: target.image,
    state: "failed",
    action: "failed",
    digest: undefined,
    lastCheck: iso(now()),
    lastPull: undefined,
    bytes: undefined,
    durationMs: undefined,
    attempts: 0,
    cause: "unknown",
    summary: `the pre-pull of ${target.image} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`,
    fix: undefined,
  };
}

function checkOptions(opts: PrepullOptions): void {
  const whole = (name: string, v: number, min: number): void => {
    if (!(Number.isInteger(v) && v >= min)) throw new RangeError(`prepullRound: ${name} must be a whole number ≥ ${min}, got ${String(v)}`);
  };
  const positive = (name: string, v: number): void => {
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`prepullRound: ${name} must be a positive number of milliseconds, got ${String(v)}`);
  };
  const atLeastZero = (name: string, v: number): void => {
    if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`prepullRound: ${name} must be a number ≥ 0, got ${String(v)}`);
  };
  whole("concurrency", opts.concurrency, 1);
  positive("timeoutMs", opts.timeoutMs);
  positive("pullDeadlineMs", opts.pullDeadlineMs);
  whole("retries.attempts", opts.retries.attempts, 1);
  atLeastZero("retries.baseDelayMs", opts.retries.baseDelayMs);
  atLeastZero("retries.maxDelayMs", opts.retries.maxDelayMs);
  atLeastZero("quota.reserve", opts.quota.reserve);
}
