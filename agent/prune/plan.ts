import { formatDuration } from "../../core/text/index.js";
import type { ImageUser, ImageView } from "../runtime/index.js";
import { imageName } from "./names.js";
import { compileProtection, compileReferences, PolicyError, type PrunePolicy, policyProblems, type ReferenceMatcher } from "./policy.js";

/** What the planner needs to know about one image; an ImageView fits. */
export type PruneImage = Pick<ImageView, "id" | "repoTags" | "repoDigests" | "sizeBytes" | "pinned" | "sandbox" | "usedBy">;

/** When pullmedic first saw an image and when a container last used it, in ms since the epoch. */
export interface ImageUsage {
  firstSeen: number;
  lastUsed: number | undefined;
}

/**
 * "watermark": act as if the high watermark were crossed (a person at the node). When the disk
 * is already under the low watermark, or its usage is unknown, there is no byte target, so every
 * image the rules allow is planned.
 * "max-age-only": only the maximum-age rule, whatever the disk says.
 */
export type PruneForce = "watermark" | "max-age-only";

export interface PruneInput {
  images: readonly PruneImage[];
  /** By image ID. An image missing here counts as first seen now. */
  usage: Readonly<Record<string, ImageUsage>>;
  /** References the pre-pull schedule keeps on the node. */
  prepull: readonly string[];
  /** The image filesystem; undefined when it could not be measured. */
  disk: { capacityBytes: number; availableBytes: number } | undefined;
  policy: PrunePolicy;
  now: number;
  force?: PruneForce;
}

export type PruneTrigger = "high-watermark" | "max-age" | "forced" | "none";
export type CandidateRule = "watermark" | "max-age" | "forced";
export type KeepRule = "pinned" | "sandbox" | "in-use" | "protected" | "pre-pull" | "too-young" | "not-needed";

export interface PruneCandidate {
  id: string;
  name: string;
  sizeBytes: number;
  lastUsed: number | undefined;
  firstSeen: number;
  /** now - (lastUsed ?? firstSeen). */
  unusedMs: number;
  rule: CandidateRule;
  reason: string;
}

export interface KeptImage {
  id: string;
  name: string;
  sizeBytes: number;
  rule: KeepRule;
  reason: string;
  /** undefined: pullmedic has no record of this image yet. */
  firstSeen: number | undefined;
  lastUsed: number | undefined;
}

export interface PrunePlan {
  trigger: PruneTrigger;
  /** kubelet's measure, 100 - available * 100 / capacity; undefined when the disk is unknown. */
  usedPercentBefore: number | undefined;
  /** The same after the plan, estimated from the runtime's (compressed) image sizes. */
  usedPercentAfter: number | undefined;
  /** capacity * (100 - low) / 100 - available, as kubelet computes it; 0 when already under. */
  targetBytes: number;
  /** In removal order: least recently used first. */
  candidates: PruneCandidate[];
  /** Every other image, with the rule that kept it. */
  kept: KeptImage[];
  bytesPlanned: number;
  reachesLowWatermark: boolean;
}

interface Eligible {
  image: PruneImage;
  usage: ImageUsage | undefined;
  since: number;
  unusedMs: number;
}

/**
 * Decides which images to remove, the way kubelet's image GC does (least recently used first,
 * stop at the low watermark) but with the protections kubelet lacks: an explicit protected list,
 * the pre-pull list, the sandbox image even when the runtime does not pin it, and ages that
 * survive restarts. Pure: same input, same plan.
 */
export function planPrune(input: PruneInput): PrunePlan {
  const { policy, now, disk } = input;
  const problems = policyProblems(policy);
  if (problems.length > 0) throw new PolicyError(problems.join("; "));
  const protection = compileProtection(policy.protected);
  const prepull = compileReferences(input.prepull);

  const usedPercent = disk && disk.capacityBytes > 0 ? 100 - (disk.availableBytes * 100) / disk.capacityBytes : undefined;
  const crossed = usedPercent !== undefined && usedPercent >= policy.highWatermarkPercent;
  const watermarkPass = input.force === "watermark" || (crossed && input.force !== "max-age-only");
  // kubelet's integer arithmetic: capacity * (100 - low) / 100 rounded down, minus available.
  const targetBytes =
    disk && disk.capacityBytes > 0 ? Math.max(0, Math.floor((disk.capacityBytes * (100 - policy.lowWatermarkPercent)) / 100) - disk.availableBytes) : 0;
  const takeAll = input.force === "watermark" && targetBytes === 0;

  const kept: KeptImage[] = [];
  const eligible: Eligible[] = [];
  for (const image of input.images) {
    const usage = Object.hasOwn(input.usage, image.id) ? input.usage[image.id] : undefined;
    const protectedBy = protectionOf(image, protection, prepull);
    if (protectedBy !== undefined) {
      kept.push(keptImage(image, usage, protectedBy.rule, protectedBy.reason));
      continue;
    }
    const since = usage ? (usage.lastUsed ?? usage.firstSeen) : now;
    const unusedMs = Math.max(0, now - since);
    if (unusedMs < policy.minUnusedAgeMs) kept.push(keptImage(image, usage, "too-young", youngReason(usage, unusedMs, policy.minUnusedAgeMs)));
    else eligible.push({ image, usage, since, unusedMs });
  }

  eligible.sort((a, b) => a.since - b.since || b.image.sizeBytes - a.image.sizeBytes || (a.image.id < b.image.id ? -1 : a.image.id > b.image.id ? 1 : 0));

  const candidates: PruneCandidate[] = [];
  let bytesPlanned = 0;
  const maxAge = policy.maxUnusedAgeMs;
  const notNeeded = notNeededReason(watermarkPass, usedPercent, policy);
  for (const e of eligible) {
    // Sorted by age, so every image past the maximum age comes before any that is not.
    const overMaxAge = maxAge !== undefined && e.unusedMs > maxAge;
    let rule: CandidateRule | undefined;
    if (overMaxAge) rule = "max-age";
    else if (watermarkPass && (takeAll || bytesPlanned < targetBytes)) rule = crossed ? "watermark" : "forced";
    if (rule === undefined) {
      kept.push(keptImage(e.image, e.usage, "not-needed", notNeeded));
      continue;
    }
    bytesPlanned += e.image.sizeBytes;
    candidates.push({
      id: e.image.id,
      name: imageName(e.image),
      sizeBytes: e.image.sizeBytes,
      lastUsed: e.usage?.lastUsed,
      firstSeen: e.usage?.firstSeen ?? now,
      unusedMs: e.unusedMs,
      rule,
      reason:
        rule === "max-age"
          ? `unused for ${formatDuration(e.unusedMs)}, over the ${formatDuration(maxAge ?? 0)} maximum age`
          : `unused for ${formatDuration(e.unusedMs)}`,
    });
  }

  const trigger: PruneTrigger = watermarkPass ? (crossed ? "high-watermark" : "forced") : candidates.length > 0 ? "max-age" : "none";
  const usedPercentAfter =
    disk && disk.capacityBytes > 0 ? 100 - (Math.min(disk.capacityBytes, disk.availableBytes + bytesPlanned) * 100) / disk.capacityBytes : undefined;
  return {
    trigger,
    usedPercentBefore: usedPercent,
    usedPercentAfter,
    targetBytes,
    candidates,
    kept,
    bytesPlanned,
    reachesLowWatermark: disk !== undefined && disk.capacityBytes > 0 && bytesPlanned >= targetBytes,
  };
}

/** The first rule that keeps the image whatever its age, strongest first. */
function protectionOf(image: PruneImage, protection: ReferenceMatcher, prepull: ReferenceMatcher): { rule: KeepRule; reason: string } | undefined {
  if (image.pinned) return { rule: "pinned", reason: "pinned" };
  if (image.sandbox) return { rule: "sandbox", reason: "sandbox image" };
  if (image.usedBy.length > 0) return { rule: "in-use", reason: inUseReason(image.usedBy) };
  const pattern = protection.match(image);
  if (pattern !== undefined) return { rule: "protected", reason: `protected by ${pattern}` };
  if (prepull.match(image) !== undefined) return { rule: "pre-pull", reason: "pre-pull list" };
  return undefined;
}

function keptImage(image: PruneImage, usage: ImageUsage | undefined, rule: KeepRule, reason: string): KeptImage {
  return { id: image.id, name: imageName(image), sizeBytes: image.sizeBytes, rule, reason, firstSeen: usage?.firstSeen, lastUsed: usage?.lastUsed };
}

const STATE_RANK: Record<string, number> = { CONTAINER_RUNNING: 0, CONTAINER_CREATED: 1, CONTAINER_EXITED: 2 };

/** Names the most telling user (a running one first) the way kubectl users write it. */
function inUseReason(users: readonly ImageUser[]): string {
  let first: ImageUser | undefined;
  for (const u of users) if (first === undefined || (STATE_RANK[u.state] ?? 3) < (STATE_RANK[first.state] ?? 3)) first = u;
  if (first === undefined) return "in use";
  const who = [first.namespace, first.pod, first.container].filter((p): p is string => !!p).join("/");
  const state = first.state.replace(/^CONTAINER_/, "").toLowerCase();
  const more = users.length > 1 ? ` and ${users.length - 1} more` : "";
  return `in use by ${who} (${state})${more}`;
}

function youngReason(usage: ImageUsage | undefined, unusedMs: number, minMs: number): string {
  const min = `under the ${formatDuration(minMs)} minimum age`;
  return usage ? `unused for ${formatDuration(unusedMs)}, ${min}` : `no usage record yet (counted as first seen now), ${min}`;
}

function notNeededReason(watermarkPass: boolean, usedPercent: number | undefined, policy: PrunePolicy): string {
  if (watermarkPass) return "not needed: low watermark reached";
  if (usedPercent === undefined) return "not needed: image filesystem usage unknown";
  return `not needed: disk ${usedPercent.toFixed(1)} % used, under the ${policy.highWatermarkPercent} % high watermark`;
}
