import { performance } from "node:perf_hooks";

/** The steps of a diagnosis, in the order the pipeline runs them. */
export type DiagnosisStep =
  | "reference"
  | "credentials"
  | "hosts"
  | "dns"
  | "tcp"
  | "tls"
  | "ping"
  | "auth"
  | "manifest"
  | "tags"
  | "platform"
  | "disk"
  | "throughput"
  | "pull";

/** One timed observation; the JSON contract is {check, ok, ms, detail} plus optional extras. */
export interface Evidence {
  check: DiagnosisStep;
  ok: boolean;
  ms: number;
  detail: string;
  /** The registry endpoint this step talked to, when the diagnosis walked mirrors. */
  host?: string;
  /** A step that could not run here, e.g. disk without a reachable runtime. */
  skipped?: true;
  /** Structured facts for programs: certificate, rate limit, suggestions, platforms. */
  data?: Record<string, unknown>;
}

export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

export function now(): number {
  return performance.now();
}
