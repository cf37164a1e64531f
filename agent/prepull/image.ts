// One image of a round: check the registry's digest against the node's copy, and pull only when
// the node lacks it or the tag moved.

import { type ImageReference, ImageReferenceError, isDockerHub, tryParseReference } from "../../core/image/index.js";
import type { RoundContext } from "./context.js";
import type { CredentialAnswer } from "./credentials.js";
import { credentialProblem, headFailure, invalidReference, nodeProblem } from "./failure.js";
import { type LocalImage, localImage } from "./local.js";
import { pullWithRetries } from "./pull.js";
import type { HeadAnswer } from "./resolve.js";
import { iso, type Outcome, settle, startStatus } from "./status.js";
import type { PrepullImageStatus, PrepullState, PrepullTarget } from "./types.js";

export async function prepullImage(target: PrepullTarget, ctx: RoundContext): Promise<PrepullImageStatus> {
  const s = startStatus(target.image, ctx.previous?.get(target.image));
  s.lastCheck = iso(ctx.now());
  const ref = tryParseReference(target.image);
  if (ref instanceof ImageReferenceError)
    return settle(s, ctx, { state: "failed", action: "failed", failure: invalidReference(target.image, ref, ctx.hostsDir) });
  if (ref.digest !== undefined) s.digest = ref.digest;

  const credential = await ctx.credentials.pick(target.dockerConfig, ref);
  // The node's copy and the registry's answer do not depend on each other.
  const [local, head] = await Promise.all([
    localImage(ctx.client, target.image, ref).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))),
    credential.kind === "problem" ? undefined : ctx.resolver.head(ref, credential.kind === "chosen" ? credential.credential : undefined),
  ]);
  if (local instanceof Error) {
    return settle(s, ctx, {
      state: "failed",
      action: "failed",
      failure: nodeProblem(target.image, ref, ctx.hostsDir, "the runtime could not say whether the image is on the node", local),
    });
  }
  s.bytes = local.bytes;
  // A copy on the node still starts pods, whatever went wrong with refreshing it.
  const kept: PrepullState | undefined = local.present ? "present" : undefined;
  if (credential.kind === "problem" || head === undefined) {
    const message = credential.kind === "problem" ? credential.message : "no credential";
    return settle(s, ctx, { state: kept ?? "failed", action: "failed", failure: credentialProblem(target.image, ref, ctx.hostsDir, message) });
  }
  if (!head.ok) return settle(s, ctx, checkFailed(target.image, ref, head, credential, kept, ctx));

  const wanted = head.digest ?? ref.digest;
  if (head.digest !== undefined) s.digest = head.digest;
  if (wanted !== undefined && local.digests.includes(wanted)) return settle(s, ctx, { state: "present", action: "unchanged" });
  // Without a digest from the registry nothing can be compared; a pull is the only way to be sure.
  return pull(s, target, ref, credential, local, head, ctx);
}

function checkFailed(
  image: string,
  ref: ImageReference,
  head: HeadAnswer & { ok: false },
  credential: CredentialAnswer,
  kept: PrepullState | undefined,
  ctx: RoundContext,
): Outcome {
  let failure = headFailure(image, ref, ctx.hostsDir, head.endpoint, head.error);
  // Credentials were configured but none fit this registry: that, not the registry, is what to fix.
  if (failure.cause === "auth-required" && credential.kind === "unmatched") {
    failure = credentialProblem(image, ref, ctx.hostsDir, `${credential.note}; ${failure.summary}`);
  }
  if (failure.cause === "rate-limited" && isDockerHub(ref, ctx.hubDomains)) return { state: kept ?? "deferred", action: "deferred", failure };
  return { state: kept ?? "failed", action: "failed", failure };
}

function pull(
  s: PrepullImageStatus,
  target: PrepullTarget,
  ref: ImageReference,
  credential: CredentialAnswer,
  local: LocalImage,
  head: HeadAnswer & { ok: true },
  ctx: RoundContext,
): Promise<PrepullImageStatus> {
  return pullWithRetries(
    {
      s,
      image: target.image,
      ref,
      auth: credential.kind === "chosen" ? credential.credential.cri : undefined,
      kept: local.present ? "present" : undefined,
      hub: isDockerHub(ref, ctx.hubDomains),
      head,
    },
    ctx,
  );
}
