import { DOCKER_HUB_DOMAIN, DOCKER_HUB_LEGACY_DOMAIN, tryParseReference } from "../../core/image/index.js";
import { formatDuration } from "../../core/text/index.js";
import { refKeys, refParts } from "./names.js";

export interface PrunePolicy {
  /** Prune when the image filesystem is at least this full (kubelet's measure). */
  highWatermarkPercent: number;
  /** …down to this. */
  lowWatermarkPercent: number;
  /** An image unused for less than this is never pruned. */
  minUnusedAgeMs: number;
  /** An image unused for longer than this is pruned whatever the disk says; undefined: off. */
  maxUnusedAgeMs: number | undefined;
  /**
   * Never pruned: "reg.example/app:1.2" (exact), "repo:*" (any tag of the repository),
   * "registry/*" or "registry/org/*" (anything under it), "*" (everything). Short names are
   * normalized as the runtime would ("nginx:*" is docker.io/library/nginx).
   */
  protected: string[];
}

/**
 * Stricter than kubelet (85/80 %, 2 min) on purpose: pullmedic acts before kubelet does, so it
 * frees room earlier, and a day of minimum age keeps images a rollback or a nightly job needs.
 */
export const DEFAULT_PRUNE_POLICY: Readonly<PrunePolicy> = Object.freeze({
  highWatermarkPercent: 80,
  lowWatermarkPercent: 70,
  minUnusedAgeMs: 24 * 3_600_000,
  maxUnusedAgeMs: undefined,
  protected: [],
});

/** A policy that would make pruning unsafe or meaningless; the message names the bad field. */
export class PolicyError extends Error {
  override readonly name = "PolicyError";
}

export interface ImageNames {
  repoTags: readonly string[];
  repoDigests: readonly string[];
}

/** A list of protection patterns (or of plain references) compiled for repeated matching. */
export interface ReferenceMatcher {
  /** The pattern that matches one of the image's tags or digests, if any. */
  match(image: ImageNames): string | undefined;
}

type Compiled = { kind: "all" } | { kind: "prefix"; prefix: string } | { kind: "repo"; repo: string } | { kind: "exact"; keys: string[] };

/** Why a protection pattern is unusable, or undefined when it is fine. */
export function protectionPatternProblem(pattern: string): string | undefined {
  const compiled = compilePattern(pattern);
  return typeof compiled === "string" ? compiled : undefined;
}

/** Throws PolicyError for a bad pattern: a typo in a protection list must not protect nothing. */
export function compileProtection(patterns: readonly string[]): ReferenceMatcher {
  const exact = new Map<string, string>();
  const repos = new Map<string, string>();
  const prefixes: [string, string][] = [];
  let all: string | undefined;
  for (const pattern of patterns) {
    const compiled = compilePattern(pattern);
    if (typeof compiled === "string") throw new PolicyError(`protected pattern ${JSON.stringify(pattern)}: ${compiled}`);
    switch (compiled.kind) {
      case "all":
        all ??= pattern;
        break;
      case "prefix":
        prefixes.push([compiled.prefix, pattern]);
        break;
      case "repo":
        if (!repos.has(compiled.repo)) repos.set(compiled.repo, pattern);
        break;
      case "exact":
        for (const key of compiled.keys) if (!exact.has(key)) exact.set(key, pattern);
        break;
    }
  }
  return matcher(all, exact, repos, prefixes);
}

/**
 * Pre-pull lists hold plain references. One that does not parse cannot name a stored image
 * either, so it is skipped rather than failing the whole plan.
 */
export function compileReferences(refs: readonly string[]): ReferenceMatcher {
  const exact = new Map<string, string>();
  for (const ref of refs) {
    if (tryParseReference(ref) instanceof Error) continue;
    const parts = refParts(ref);
    if (parts) for (const key of refKeys(parts)) if (!exact.has(key)) exact.set(key, ref);
  }
  return matcher(undefined, exact, new Map(), []);
}

/** The protection pattern that matches `image`, if any. Throws PolicyError for a bad pattern. */
export function matchesProtected(image: ImageNames, patterns: readonly string[]): string | undefined {
  return compileProtection(patterns).match(image);
}

/** Every problem with a policy, each naming its field; empty when it is usable. */
export function policyProblems(policy: PrunePolicy): string[] {
  const problems: string[] = [];
  const { highWatermarkPercent: high, lowWatermarkPercent: low, minUnusedAgeMs: min, maxUnusedAgeMs: max } = policy;
  if (!(Number.isFinite(high) && high > 0 && high <= 100)) problems.push(`highWatermarkPercent ${high} must be above 0 and at most 100`);
  if (!(Number.isFinite(low) && low >= 0 && low < 100)) problems.push(`lowWatermarkPercent ${low} must be at least 0 and below 100`);
  else if (Number.isFinite(high) && low >= high) problems.push(`lowWatermarkPercent ${low} must be below highWatermarkPercent ${high}`);
  if (!(Number.isFinite(min) && min >= 0)) problems.push(`minUnusedAgeMs ${min} must be 0 or more`);
  if (max !== undefined && !(Number.isFinite(max) && max > min)) {
    // kubelet rejects the same: a maximum at or under the minimum would prune images too young to prune.
    problems.push(`maxUnusedAgeMs ${max} must be longer than minUnusedAgeMs (${formatDuration(min)})`);
  }
  for (const pattern of policy.protected) {
    const problem = protectionPatternProblem(pattern);
    if (problem !== undefined) problems.push(`protected pattern ${JSON.stringify(pattern)}: ${problem}`);
  }
  return problems;
}

function matcher(all: string | undefined, exact: Map<string, string>, repos: Map<string, string>, prefixes: [string, string][]): ReferenceMatcher {
  const matchRef = (ref: string): string | undefined => {
    const parts = refParts(ref);
    if (!parts) return undefined;
    // Keys built inline rather than through refKeys: this runs for every image every round.
    if (parts.tag !== undefined) {
      const hit = exact.get(`${parts.repo}:${parts.tag}`);
      if (hit !== undefined) return hit;
    }
    if (parts.digest !== undefined) {
      const hit = exact.get(`${parts.repo}@${parts.digest}`);
      if (hit !== undefined) return hit;
    }
    const hit = repos.get(parts.repo);
    if (hit !== undefined) return hit;
    for (const [prefix, pattern] of prefixes) if (parts.repo.startsWith(prefix)) return pattern;
    return undefined;
  };
  const empty = all === undefined && exact.size === 0 && repos.size === 0 && prefixes.length === 0;
  return {
    match(image) {
      if (all !== undefined) return all;
      if (empty) return undefined;
      for (const ref of image.repoTags) {
        const hit = matchRef(ref);
        if (hit !== undefined) return hit;
      }
      for (const ref of image.repoDigests) {
        const hit = matchRef(ref);
        if (hit !== undefined) return hit;
      }
      return undefined;
    },
  };
}

const WILDCARD_HELP = 'a "*" may only end a pattern, as "repo:*" (any tag) or "registry/*" (anything under it)';

function compilePattern(raw: string): Compiled | string {
  const pattern = raw.trim();
  if (pattern === "") return "it is empty";
  if (pattern === "*") return { kind: "all" };
  if (pattern.endsWith("/*")) {
    const base = pattern.slice(0, -2);
    if (base.includes("*")) return WILDCARD_HELP;
    // The registry itself: every repository on Docker Hub, not just its official images.
    if (base === DOCKER_HUB_DOMAIN || base === DOCKER_HUB_LEGACY_DOMAIN) return { kind: "prefix", prefix: `${DOCKER_HUB_DOMAIN}/` };
    // Parsing "<base>/x" normalizes the base exactly as it would be inside a reference.
    const probe = tryParseReference(`${base}/x`);
    if (probe instanceof Error) return probe.reason;
    return { kind: "prefix", prefix: `${probe.domain}/${probe.path.slice(0, -1)}` };
  }
  if (pattern.endsWith(":*")) {
    const base = pattern.slice(0, -2);
    if (base.includes("*")) return WILDCARD_HELP;
    const ref = tryParseReference(base);
    if (ref instanceof Error) return ref.reason;
    if (ref.tag !== undefined || ref.digest !== undefined) return `"${base}" already has a tag or digest; write "repo:*"`;
    return { kind: "repo", repo: `${ref.domain}/${ref.path}` };
  }
  if (pattern.includes("*")) return WILDCARD_HELP;
  const ref = tryParseReference(pattern);
  if (ref instanceof Error) return ref.reason;
  const parts = refParts(pattern);
  return parts ? { kind: "exact", keys: refKeys(parts) } : "it is not an image reference";
}
