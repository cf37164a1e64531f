import type { Logger } from "../../../core/log/index.js";
import type { AgentConfig } from "../../config/index.js";
import type { UsageTracker } from "../../prune/index.js";
import type { QuotaTracker } from "../../quota/index.js";
import type { NodeImages } from "../../runtime/index.js";
import type { KubeSide } from "../kube-side.js";
import type { PrepullRounds } from "../prepull-rounds.js";
import type { FindingSink } from "../report-side.js";
import type { RuntimeHandle } from "../runtime-handle.js";
import type { Scheduler } from "../scheduler.js";
import type { Check } from "./check.js";
import type { CheckRecorder } from "./recorder.js";

/** What one check learns that another uses, beyond what NodeState keeps. */
export interface NodeFacts {
  /** The latest full image list (NodeState keeps a summary): the registries the probes check. */
  images: NodeImages | undefined;
  /** "containerd 2.1.4", once the runtime has said: the node report's runtime. */
  runtimeName: string | undefined;
}

/** Everything a check may use, built once by the agent's start-up. */
export interface CheckContext {
  readonly config: AgentConfig;
  readonly log: Logger;
  readonly runtime: RuntimeHandle;
  readonly quota: QuotaTracker;
  /** When each image was last used: the images check observes it, prune reads it. */
  readonly usage: UsageTracker;
  /** Absent outside a cluster. */
  readonly kube: KubeSide | undefined;
  readonly findings: FindingSink;
  /** Pre-pull rounds, one at a time, shared with the aggregator's pre-pull commands. */
  readonly prepull: PrepullRounds;
  readonly recorder: CheckRecorder;
  /** The other checks' jobs: the disk check starts a prune when the disk crosses the high watermark. */
  readonly jobs: Pick<Scheduler, "trigger" | "isRunning">;
  /** Aborted when the agent stops: waits end early. */
  readonly shutdown: AbortSignal;
  readonly facts: NodeFacts;
}

/** Builds a check from the context; undefined when the config leaves it off. */
export type CheckFactory = (ctx: CheckContext) => Check | undefined | Promise<Check | undefined>;
