import { readImageFilesystems } from "../probe/index.js";
import { type RuntimeClient, readNodeImages } from "../runtime/index.js";
import { executePrune, type PruneResult } from "./execute.js";
import { type PruneForce, type PrunePlan, planPrune } from "./plan.js";
import { compileProtection, compileReferences, type PrunePolicy } from "./policy.js";
import type { UsageTracker } from "./usage.js";

export interface PrunePassOptions {
  policy: PrunePolicy;
  tracker: UsageTracker;
  prepull?: readonly string[];
  now?: number;
  /** Plan and re-check only; nothing is removed. */
  dryRun: boolean;
  force?: PruneForce;
  /** Write the tracker after observing (default: when not a dry run). */
  save?: boolean;
  log?: (message: string) => void;
}

export interface ImageFsReading {
  mountpoint: string;
  capacityBytes: number;
  availableBytes: number;
  usedPercent: number;
}

export interface PrunePass {
  now: number;
  sandboxImage: string | undefined;
  imageCount: number;
  /** The first image filesystem the runtime reports (the one kubelet's GC watches). */
  imageFs: ImageFsReading | undefined;
  /** Why imageFs is missing. */
  imageFsProblem: string | undefined;
  plan: PrunePlan;
  /** Undefined when nothing was planned, or on a dry run. */
  result: PruneResult | undefined;
  /** Set when the usage state could not be written; pruning went on with the ages in memory. */
  saveError: string | undefined;
}

/**
 * One round, as the agent runs it on a timer and `pullmedic prune` runs it once: read the
 * runtime and the disk, record image usage, plan, and (unless a dry run) remove.
 */
export async function prunePass(client: RuntimeClient, opts: PrunePassOptions): Promise<PrunePass> {
  const now = opts.now ?? Date.now();
  const [node, filesystems] = await Promise.all([readNodeImages(client), readImageFilesystems(client)]);
  opts.tracker.observe(node.images, now);
  let saveError: string | undefined;
  if (opts.save ?? !opts.dryRun) {
    try {
      await opts.tracker.save();
    } catch (err) {
      saveError = `cannot write image usage state ${opts.tracker.path}: ${(err as Error).message}`;
      opts.log?.(saveError);
    }
  }
  const fs = filesystems[0];
  const imageFs = fs?.host
    ? { mountpoint: fs.mountpoint, capacityBytes: fs.host.capacityBytes, availableBytes: fs.host.availableBytes, usedPercent: fs.host.usedPercent }
    : undefined;
  const imageFsProblem = fs === undefined ? "the runtime reported no image filesystem" : fs.host ? undefined : fs.hostError;
  const prepull = opts.prepull ?? [];
  const plan = planPrune({
    images: node.images,
    usage: opts.tracker.snapshot(),
    prepull,
    disk: imageFs,
    policy: opts.policy,
    now,
    ...(opts.force ? { force: opts.force } : {}),
  });
  let result: PruneResult | undefined;
  if (!opts.dryRun && plan.candidates.length > 0) {
    const protection = compileProtection(opts.policy.protected);
    const prepulled = compileReferences(prepull);
    result = await executePrune(client, plan, {
      dryRun: false,
      sandboxImage: node.sandboxImage,
      protectedBy: (image) => protection.match(image) ?? (prepulled.match(image) !== undefined ? "the pre-pull list" : undefined),
      ...(opts.log ? { log: opts.log } : {}),
    });
  }
  return { now, sandboxImage: node.sandboxImage, imageCount: node.images.length, imageFs, imageFsProblem, plan, result, saveError };
}
