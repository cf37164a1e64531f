import { humanBytes } from "../../../core/text/index.js";
import { prunePass } from "../../prune/index.js";
import type { PruneFinding } from "../../report/index.js";
import { type Check, periodic } from "./check.js";
import type { CheckContext } from "./context.js";

/**
 * Removes unused images when the image filesystem is over its high watermark, on a cron schedule
 * (and at once when the disk check sees the watermark crossed). Off unless prune.enabled.
 */
export function pruneCheck(ctx: CheckContext): Check | undefined {
  const { config, runtime, usage, log, findings } = ctx;
  if (!config.prune.enabled) return undefined;
  const policy = {
    highWatermarkPercent: config.prune.highWatermarkPercent,
    lowWatermarkPercent: config.prune.lowWatermarkPercent,
    minUnusedAgeMs: config.prune.minUnusedAge,
    maxUnusedAgeMs: config.prune.maxUnusedAge,
    protected: config.prune.protected,
  };
  // Pre-pulled images are protected from the agent's own prune.
  const prepull = config.prepull.images.map((t) => (typeof t === "string" ? t : t.image));
  let totals = { removed: 0, freedBytes: 0 };
  return periodic(ctx.recorder, {
    name: "prune",
    schedule: { cron: config.prune.schedule },
    work: async (): Promise<PruneFinding> => {
      const pass = await prunePass(await runtime.get(), {
        policy,
        tracker: usage,
        prepull,
        dryRun: config.prune.dryRun,
        log: (message: string) => log.info(`prune: ${message}`),
      });
      const removed = pass.result?.removed.length ?? 0;
      const freedBytes = pass.result?.freedBytes ?? 0;
      totals = { removed: totals.removed + removed, freedBytes: totals.freedBytes + freedBytes };
      const finding: PruneFinding = {
        lastRunAt: new Date(pass.now).toISOString(),
        trigger: pass.plan.trigger,
        dryRun: config.prune.dryRun,
        planned: pass.plan.candidates.length,
        removed,
        freedBytes,
        failed: pass.result?.failed.length ?? 0,
        totals,
      };
      if (finding.removed > 0 || finding.failed > 0)
        findings.prune(
          finding,
          (pass.result?.removed ?? []).map((r) => r.name),
        );
      return finding;
    },
    keep: (finding) => finding,
    describe: (f) =>
      f.trigger === "none"
        ? "nothing to do: below the high watermark"
        : f.dryRun
          ? `dry run: would remove ${f.planned} images (${f.trigger})`
          : `removed ${f.removed} images, ${humanBytes(f.freedBytes)} freed (${f.trigger})`,
  });
}
