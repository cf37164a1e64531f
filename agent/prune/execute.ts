import { performance } from "node:perf_hooks";
import { sameImageName } from "../../core/image/index.js";
import { type CriContainer, CriError, type CriImage, type RuntimeClient } from "../runtime/index.js";
import { imageName } from "./names.js";
import type { PruneCandidate, PrunePlan } from "./plan.js";
import type { ImageNames } from "./policy.js";

export interface ExecuteOptions {
  /** Checks every candidate again but removes nothing; `removed` then lists what would go. */
  dryRun: boolean;
  /** As the runtime configures it (NodeImages.sandboxImage), for runtimes that do not pin it. */
  sandboxImage?: string | undefined;
  /** Protection patterns and pre-pull list, re-applied to the image's tags as they are now. */
  protectedBy?: (image: ImageNames) => string | undefined;
  log?: (message: string) => void;
}

export interface PruneResult {
  dryRun: boolean;
  removed: { id: string; name: string; sizeBytes: number }[];
  skipped: { id: string; name: string; reason: string }[];
  failed: { id: string; name: string; error: string }[];
  /** By the runtime's image sizes (compressed on containerd); the disk gains about that or more. */
  freedBytes: number;
  durationMs: number;
}

const IN_USE_REFUSAL = /image is in use by a container/i;

/** Errors after which no further call can succeed: stop instead of failing every candidate. */
const FATAL_KINDS: ReadonlySet<string> = new Set(["unavailable", "deadline", "socket-missing", "permission-denied", "not-cri"]);

/**
 * Carries out a plan. Time passes between planning and removal — a pod may start on a candidate,
 * someone may retag it under a protected name, kubelet may remove it first — so each image is
 * looked up again right before it goes, and skipped if it is now needed or already gone.
 */
export async function executePrune(client: RuntimeClient, plan: PrunePlan, opts: ExecuteOptions): Promise<PruneResult> {
  const started = performance.now();
  const result: PruneResult = { dryRun: opts.dryRun, removed: [], skipped: [], failed: [], freedBytes: 0, durationMs: 0 };
  const log = opts.log ?? (() => undefined);
  let abort: string | undefined;
  for (const candidate of plan.candidates) {
    const { id, name } = candidate;
    if (abort !== undefined) {
      result.skipped.push({ id, name, reason: `not attempted: ${abort}` });
      continue;
    }
    // Max-age images go whatever the disk needs; the rest only while the target is not met.
    if (candidate.rule !== "max-age" && plan.targetBytes > 0 && result.freedBytes >= plan.targetBytes) {
      result.skipped.push({ id, name, reason: "not needed: target reached" });
      continue;
    }
    let verdict: Recheck;
    try {
      verdict = await recheck(client, candidate, opts);
    } catch (err) {
      const message = errorMessage(err);
      result.failed.push({ id, name, error: message });
      if (err instanceof CriError && FATAL_KINDS.has(err.kind)) abort = `the runtime failed (${message})`;
      continue;
    }
    if (verdict.kind !== "remove") {
      result.skipped.push({ id, name, reason: verdict.reason });
      log(`prune: skipped ${name}: ${verdict.reason}`);
      continue;
    }
    const sizeBytes = Number(verdict.image.size) || candidate.sizeBytes;
    if (!opts.dryRun) {
      try {
        await client.removeImage(id);
      } catch (err) {
        if (err instanceof CriError && err.kind === "not-found") {
          result.skipped.push({ id, name, reason: "already gone" });
          continue;
        }
        // CRI-O checks use itself and refuses (cri-o#3302): the image is needed, which is no failure.
        if (err instanceof CriError && IN_USE_REFUSAL.test(err.message)) {
          result.skipped.push({ id, name, reason: "in use now (the runtime refused to remove it)" });
          continue;
        }
        const message = errorMessage(err);
        result.failed.push({ id, name, error: message });
        log(`prune: failed to remove ${name}: ${message}`);
        if (err instanceof CriError && FATAL_KINDS.has(err.kind)) abort = `the runtime failed (${message})`;
        continue;
      }
    }
    result.removed.push({ id, name: imageName(verdict.image), sizeBytes });
    result.freedBytes += sizeBytes;
    log(`prune: ${opts.dryRun ? "would remove" : "removed"} ${name} (${sizeBytes} bytes, ${candidate.reason})`);
  }
  result.durationMs = performance.now() - started;
  return result;
}

type Recheck = { kind: "remove"; image: CriImage } | { kind: "skip"; reason: string };

async function recheck(client: RuntimeClient, candidate: PruneCandidate, opts: ExecuteOptions): Promise<Recheck> {
  const [status, containers] = await Promise.all([client.imageStatus(candidate.id), client.listContainers()]);
  const image = status.image;
  if (image === null) return { kind: "skip", reason: "already gone" };
  if (image.pinned) return { kind: "skip", reason: "pinned now" };
  const user = userOf(image, containers);
  if (user !== undefined) return { kind: "skip", reason: `in use now by ${user}` };
  const sandbox = opts.sandboxImage;
  if (sandbox !== undefined && image.repoTags.some((t) => t === sandbox || sameImageName(t, sandbox))) {
    return { kind: "skip", reason: "sandbox image" };
  }
  // RemoveImage removes every tag of the image, so a tag added since planning is protected too.
  const pattern = opts.protectedBy?.(image);
  if (pattern !== undefined) return { kind: "skip", reason: `protected now by ${pattern}` };
  return { kind: "remove", image };
}

/** A container names its image by ID on containerd, by tag or digest on other runtimes. */
function userOf(image: CriImage, containers: readonly CriContainer[]): string | undefined {
  const keys = new Set([image.id, ...image.repoTags, ...image.repoDigests]);
  const c = containers.find((ct) => [ct.imageId, ct.imageRef, ct.image?.image, ct.image?.userSpecifiedImage].some((k) => !!k && keys.has(k)));
  if (c === undefined) return undefined;
  const who = [c.labels["io.kubernetes.pod.namespace"], c.labels["io.kubernetes.pod.name"], c.metadata?.name ?? c.id.slice(0, 13)]
    .filter((p): p is string => !!p)
    .join("/");
  return `${who} (${c.state.replace(/^CONTAINER_/, "").toLowerCase()})`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
