import {
  DEFAULT_PRUNE_POLICY,
  DEFAULT_STATE_FILE,
  type KeepRule,
  type PrunePass,
  type PrunePolicy,
  policyProblems,
  protectionPatternProblem,
  prunePass,
  UsageTracker,
} from "../agent/prune/index.js";
import { formatDuration, humanBytes, parseDuration, table } from "../core/text/index.js";
import { EXIT_OK, EXIT_PROBLEM, UsageError } from "./errors.js";
import type { VerbResult } from "./result.js";
import { type RuntimeFlags, withRuntime } from "./runtime-options.js";

export interface PruneFlags extends RuntimeFlags {
  json?: boolean;
  dryRun?: boolean;
  force?: boolean;
  stateFile?: string;
  high?: string;
  low?: string;
  minAge?: string;
  maxAge?: string;
  protect?: string[];
}

export async function pruneVerb(flags: PruneFlags, env: NodeJS.ProcessEnv): Promise<VerbResult> {
  const policy = policyFromFlags(flags);
  const dryRun = flags.dryRun ?? false;
  const statePath = flags.stateFile ?? DEFAULT_STATE_FILE;
  const now = Date.now();
  const { tracker, warning } = await UsageTracker.load(statePath, { now });
  const pass = await withRuntime(flags, env, (client) =>
    prunePass(client, { policy, tracker, now, dryRun, save: !dryRun, ...(flags.force ? { force: "watermark" as const } : {}) }),
  );
  const warnings = [warning, pass.saveError].filter((w): w is string => w !== undefined);
  const failed = pass.result?.failed.length ?? 0;
  return {
    exitCode: failed > 0 ? EXIT_PROBLEM : EXIT_OK,
    json: pruneJson(pass, policy, { dryRun, force: flags.force ?? false, statePath, warnings }),
    text: pruneText(pass, policy, dryRun, warnings),
  };
}

/** Flags over the defaults; every rejection names the flag and the value. */
export function policyFromFlags(flags: PruneFlags): PrunePolicy {
  const high = percent("--high", flags.high) ?? DEFAULT_PRUNE_POLICY.highWatermarkPercent;
  const low = percent("--low", flags.low) ?? DEFAULT_PRUNE_POLICY.lowWatermarkPercent;
  if (low >= high) throw new UsageError(`--low ${low} must be below --high ${high}: pruning starts at the high watermark and stops at the low one`);
  const minAge = flags.minAge === undefined ? DEFAULT_PRUNE_POLICY.minUnusedAgeMs : duration("--min-age", flags.minAge);
  const maxAge = flags.maxAge === undefined || flags.maxAge === "off" ? DEFAULT_PRUNE_POLICY.maxUnusedAgeMs : duration("--max-age", flags.maxAge);
  if (maxAge !== undefined && maxAge > 0 && maxAge <= minAge) {
    throw new UsageError(`--max-age ${flags.maxAge} must be longer than --min-age (${formatDuration(minAge)})`);
  }
  const patterns = flags.protect ?? [];
  for (const p of patterns) {
    const problem = protectionPatternProblem(p);
    if (problem !== undefined) throw new UsageError(`--protect ${JSON.stringify(p)}: ${problem}`);
  }
  const policy: PrunePolicy = {
    highWatermarkPercent: high,
    lowWatermarkPercent: low,
    minUnusedAgeMs: minAge,
    // kubelet's convention: a maximum age of 0 is off.
    maxUnusedAgeMs: maxAge === 0 ? undefined : maxAge,
    protected: [...DEFAULT_PRUNE_POLICY.protected, ...patterns],
  };
  const problems = policyProblems(policy);
  if (problems.length > 0) throw new UsageError(problems.join("; "));
  return policy;
}

function percent(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // Whole percentages, as the agent's configuration takes them: the same policy either way.
  if (/^\s*\d+\.\d*\s*$/.test(value)) throw new UsageError(`${flag} "${value}" must be a whole percentage from 1 to 99`);
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= 99)) throw new UsageError(`${flag} "${value}" must be a percentage from 1 to 99`);
  return n;
}

function duration(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new UsageError(`${flag} "${value}" is not a duration; write it like 30m, 24h, 7d or 1h30m`);
  return ms;
}

interface RunInfo {
  dryRun: boolean;
  force: boolean;
  statePath: string;
  warnings: string[];
}

function pruneJson(pass: PrunePass, policy: PrunePolicy, info: RunInfo): Record<string, unknown> {
  const { plan } = pass;
  return {
    dryRun: info.dryRun,
    force: info.force,
    policy: { ...policy, maxUnusedAgeMs: policy.maxUnusedAgeMs ?? null },
    stateFile: { path: info.statePath, saved: !info.dryRun && pass.saveError === undefined },
    warnings: info.warnings,
    sandboxImage: pass.sandboxImage ?? null,
    imageFilesystem: pass.imageFs ?? null,
    imageFilesystemProblem: pass.imageFsProblem ?? null,
    plan: {
      ...plan,
      usedPercentBefore: plan.usedPercentBefore ?? null,
      usedPercentAfter: plan.usedPercentAfter ?? null,
      candidates: plan.candidates.map((c) => ({ ...c, lastUsed: c.lastUsed ?? null })),
      kept: plan.kept.map((k) => ({ ...k, firstSeen: k.firstSeen ?? null, lastUsed: k.lastUsed ?? null })),
    },
    result: pass.result ?? null,
  };
}

const KEEP_WORDS: Record<KeepRule, string> = {
  pinned: "pinned",
  sandbox: "sandbox image",
  "in-use": "in use",
  protected: "protected",
  "pre-pull": "on the pre-pull list",
  "too-young": "too young",
  "not-needed": "not needed",
};

function pruneText(pass: PrunePass, policy: PrunePolicy, dryRun: boolean, warnings: string[]): string {
  const { plan, now } = pass;
  const out: string[] = warnings.map((w) => `warning: ${w}`);
  const marks = `high watermark ${policy.highWatermarkPercent} %, low ${policy.lowWatermarkPercent} %`;
  if (pass.imageFs) {
    out.push(`image filesystem ${pass.imageFs.mountpoint}: ${pct(plan.usedPercentBefore)} used of ${humanBytes(pass.imageFs.capacityBytes)} (${marks})`);
  } else {
    out.push(`image filesystem usage unknown: ${pass.imageFsProblem ?? "no reason given"} (${marks})`);
  }
  out.push(triggerLine(pass, policy));

  if (plan.candidates.length > 0) {
    out.push("", dryRun ? "WOULD REMOVE (dry run: nothing is removed)" : "PLANNED");
    const rows = plan.candidates.map((c) => [c.name, humanBytes(c.sizeBytes), lastUsedText(c.lastUsed, c.firstSeen, now), c.reason]);
    out.push(table(["IMAGE", "SIZE", "LAST USED", "REASON"], rows, new Set([1])));
    const count = `${plan.candidates.length} image${plan.candidates.length === 1 ? "" : "s"}`;
    let totals = `planned: ${count}, ${humanBytes(plan.bytesPlanned)}`;
    if (plan.usedPercentBefore !== undefined) {
      totals += `; usage ${pct(plan.usedPercentBefore)} → ${pct(plan.usedPercentAfter)} (estimated from the runtime's compressed sizes)`;
    }
    if (plan.trigger === "high-watermark" && !plan.reachesLowWatermark) {
      totals += `\nnot enough: every prunable image together does not reach the ${policy.lowWatermarkPercent} % low watermark`;
    }
    out.push(totals);
  }
  out.push(keptLine(pass));

  const r = pass.result;
  if (r) {
    out.push(
      `removed ${r.removed.length} image${r.removed.length === 1 ? "" : "s"}, freed ${humanBytes(r.freedBytes)} in ${(r.durationMs / 1000).toFixed(1)} s`,
    );
    for (const s of r.skipped) out.push(`skipped ${s.name}: ${s.reason}`);
    for (const f of r.failed) out.push(`failed ${f.name}: ${f.error}`);
  }
  return `${out.join("\n")}\n`;
}

function triggerLine(pass: PrunePass, policy: PrunePolicy): string {
  const { plan } = pass;
  const toLow = `free ${humanBytes(plan.targetBytes)} to get under ${policy.lowWatermarkPercent} %`;
  switch (plan.trigger) {
    case "high-watermark":
      return `high watermark crossed: ${toLow}`;
    case "forced":
      return plan.targetBytes > 0 ? `forced (--force): ${toLow}` : "forced (--force): already under the low watermark, so every image the rules allow";
    case "max-age":
      return `below the high watermark; images unused for over ${formatDuration(policy.maxUnusedAgeMs ?? 0)} go anyway`;
    case "none":
      return plan.usedPercentBefore === undefined
        ? "nothing to prune: disk usage unknown (use --force to prune anyway)"
        : `nothing to prune: below the ${policy.highWatermarkPercent} % high watermark (use --force to prune anyway)`;
  }
}

function keptLine(pass: PrunePass): string {
  const counts = new Map<KeepRule, number>();
  for (const k of pass.plan.kept) counts.set(k.rule, (counts.get(k.rule) ?? 0) + 1);
  // Strongest protection first, whatever order the images came in.
  const rules = Object.keys(KEEP_WORDS) as KeepRule[];
  const parts = rules.filter((r) => counts.has(r)).map((r) => `${counts.get(r)} ${KEEP_WORDS[r]}`);
  const n = pass.plan.kept.length;
  return `kept ${n} image${n === 1 ? "" : "s"}${parts.length ? `: ${parts.join(", ")}` : ""}${n ? " (--json lists each with its reason)" : ""}`;
}

function lastUsedText(lastUsed: number | undefined, firstSeen: number, now: number): string {
  return lastUsed === undefined ? `never (seen ${formatDuration(now - firstSeen)} ago)` : `${formatDuration(now - lastUsed)} ago`;
}

function pct(n: number | undefined): string {
  return n === undefined ? "?" : `${n.toFixed(1)} %`;
}
