// An image's status through a round: where it starts from last round's, and how it ends.

import type { Failure } from "./failure.js";
import type { PrepullAction, PrepullImageStatus, PrepullState } from "./types.js";

export interface Outcome {
  state: PrepullState;
  action: PrepullAction;
  failure?: Failure;
}

export function startStatus(image: string, previous: PrepullImageStatus | undefined): PrepullImageStatus {
  return {
    image,
    state: previous?.state === "present" ? "present" : "failed",
    action: undefined,
    digest: previous?.digest,
    lastCheck: previous?.lastCheck,
    lastPull: previous?.lastPull,
    bytes: previous?.bytes,
    durationMs: previous?.durationMs,
    attempts: 0,
    cause: undefined,
    summary: undefined,
    fix: undefined,
  };
}

export function settle(s: PrepullImageStatus, ctx: { emit: (s: PrepullImageStatus) => void }, outcome: Outcome): PrepullImageStatus {
  s.state = outcome.state;
  s.action = outcome.action;
  s.cause = outcome.failure?.cause;
  s.summary = outcome.failure?.summary;
  s.fix = outcome.failure?.fix;
  ctx.emit({ ...s, ...(s.fix ? { fix: [...s.fix] } : {}) });
  return s;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
