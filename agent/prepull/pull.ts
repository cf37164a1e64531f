// Pulling one image: CRI PullImage under the round's pull limit and the Docker Hub quota gate,
// retried with back-off while the failure is one that time can fix.

import type { ImageReference } from "../../core/image/index.js";
import type { AuthConfig } from "../runtime/index.js";
import { backoffDelayMs } from "./backoff.js";
import type { RoundContext } from "./context.js";
import { type Failure, isRetryable, pullFailure, quotaDeferral } from "./failure.js";
import { localImage } from "./local.js";
import type { HeadAnswer } from "./resolve.js";
import { iso, settle } from "./status.js";
import type { PrepullImageStatus, PrepullState } from "./types.js";

export interface PullJob {
  s: PrepullImageStatus;
  image: string;
  ref: ImageReference;
  auth: AuthConfig | undefined;
  /** "present" when the node has an older copy, which still serves pods if the pull fails. */
  kept: PrepullState | undefined;
  hub: boolean;
  head: HeadAnswer & { ok: true };
}

export async function pullWithRetries(job: PullJob, ctx: RoundContext): Promise<PrepullImageStatus> {
  const { s } = job;
  for (let attempt = 1; ; attempt++) {
    // Checks run ahead; only the pulls themselves are limited, and a back-off holds no slot.
    const release = await ctx.pullSlots.acquire();
    let result: PrepullImageStatus | Failure;
    try {
      result = await attemptPull(job, attempt, ctx);
    } finally {
      release();
    }
    if (!isFailure(result)) return result;
    if (!isRetryable(result) || attempt >= ctx.retries.attempts) return settle(s, ctx, { state: job.kept ?? "failed", action: "failed", failure: result });
    await ctx.sleep(backoffDelayMs(attempt, ctx.retries, ctx.random));
  }
}

/** One PullImage, holding a pull slot: the settled status when this attempt decided, else the failure to retry or report. */
async function attemptPull(job: PullJob, attempt: number, ctx: RoundContext): Promise<PrepullImageStatus | Failure> {
  const { s } = job;
  let finished: (() => void) | undefined;
  if (job.hub) {
    // The HEAD's own reading is the freshest only before this image's first pull.
    const gate = ctx.gate.claim(attempt === 1 ? job.head.rateLimit : undefined);
    if (!gate.go) {
      return settle(s, ctx, {
        state: job.kept ?? "deferred",
        action: "deferred",
        failure: quotaDeferral(job.image, job.ref, ctx.hostsDir, gate.reading, ctx.reserve),
      });
    }
    finished = gate.finished;
  }
  s.attempts = attempt;
  s.state = "pulling";
  ctx.emit({ ...s });
  const started = ctx.now();
  try {
    await ctx.client.pullImage(job.image, { timeoutMs: ctx.pullDeadlineMs, ...(job.auth ? { auth: job.auth } : {}) });
  } catch (err) {
    finished?.();
    const failure = pullFailure(job.image, job.ref, ctx.hostsDir, ctx.pullDeadlineMs, err);
    if (failure.cause === "rate-limited" && job.hub) return settle(s, ctx, { state: job.kept ?? "deferred", action: "deferred", failure });
    return failure;
  }
  finished?.();
  s.durationMs = ctx.now() - started;
  s.lastPull = iso(ctx.now());
  const after = await localImage(ctx.client, job.image, job.ref).catch(() => undefined);
  if (after !== undefined) {
    s.bytes = after.bytes;
    // The tag may have moved again between the HEAD and the pull; say what the node now has.
    const digest = job.head.digest;
    const pulled = digest !== undefined && after.digests.includes(digest) ? digest : after.digests[0];
    if (pulled !== undefined) s.digest = pulled;
  }
  return settle(s, ctx, { state: "present", action: "pulled" });
}

function isFailure(r: PrepullImageStatus | Failure): r is Failure {
  return !("image" in r);
}
