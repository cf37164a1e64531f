import type { PrepullTarget } from "../../prepull/index.js";
import { pause } from "../pause.js";
import type { ScheduledJob } from "../scheduler.js";
import type { Check } from "./check.js";
import type { CheckContext } from "./context.js";

/**
 * Pulls the node's critical images before pods need them: one cron job per distinct schedule in
 * prepull.images, and a round of every target at start. Off when no image is listed.
 */
export function prepullCheck(ctx: CheckContext): Check | undefined {
  const { config, prepull, shutdown } = ctx;
  if (config.prepull.images.length === 0) return undefined;
  const schedules = new Map<string, PrepullTarget[]>();
  for (const t of config.prepull.images) {
    const target: PrepullTarget =
      typeof t === "string"
        ? { image: t }
        : { image: t.image, ...(t.dockerConfig ? { dockerConfig: t.dockerConfig } : {}), ...(t.platform ? { platform: t.platform } : {}) };
    const schedule = typeof t === "string" ? config.prepull.schedule : (t.schedule ?? config.prepull.schedule);
    schedules.set(schedule, [...(schedules.get(schedule) ?? []), target]);
  }
  const round = (targets: PrepullTarget[], jitterMs: number) => async () => {
    // A random wait first, so a thousand nodes on the same schedule do not hit the registry at once.
    if (jitterMs > 0 && !(await pause(Math.random() * jitterMs, shutdown))) return;
    await prepull.run(targets);
  };
  const jobs: ScheduledJob[] = [...schedules].map(([cron, targets], n) => ({
    name: n === 0 ? "prepull" : `prepull ${cron}`,
    schedule: { cron },
    run: round(targets, config.prepull.jitter),
  }));
  // A node that joins gets its images before it gets pods: one round for every target at start.
  if (config.prepull.runAtStart) jobs.push({ name: "prepull-start", schedule: { atStart: true }, run: round([...schedules.values()].flat(), 0) });
  return { name: "prepull", jobs };
}
