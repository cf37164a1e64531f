// A check is a small object: a name, when it runs, the work of one run, and what it contributes.
// Its result goes to NodeState under its name, typed by CheckResults (agent/report/findings.ts);
// /v1/state, the metrics families (agent/report/metrics/) and the node report read it there.

import type { CheckName, CheckResults } from "../../report/index.js";
import type { Schedule, ScheduledJob } from "../scheduler.js";
import type { CheckRecorder } from "./recorder.js";

export interface Check {
  readonly name: CheckName;
  /** Most checks have one job; the pre-pull has one per cron schedule and one at start. */
  readonly jobs: readonly ScheduledJob[];
}

/** A check that runs one piece of work on one schedule, declared as data. */
export interface CheckSpec<N extends CheckName, T> {
  readonly name: N;
  readonly schedule: Schedule;
  /** One run's work; a throw is the check failing: recorded, logged once, tried again next time. */
  work(): Promise<T>;
  /** What NodeState keeps of a successful run, for /v1/state, the metrics and the node report. */
  keep(found: T): CheckResults[N];
  /** A successful run in one log line a person can read; "" logs nothing (a frequent check without news). */
  describe(found: T): string;
  /** After every run (undefined: it failed): what the rest of the agent does with the finding. */
  after?(found: T | undefined): Promise<void>;
}

/** The check a spec declares: one job that runs, records, then follows up. */
export function periodic<N extends CheckName, T>(recorder: CheckRecorder, spec: CheckSpec<N, T>): Check {
  const run = async () => {
    const found = await recorder.run(spec);
    await spec.after?.(found);
  };
  return { name: spec.name, jobs: [{ name: spec.name, schedule: spec.schedule, run }] };
}
