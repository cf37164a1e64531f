// What each check finds, as NodeState keeps it: the contract between the checks that write a
// result (agent/daemon/checks) and those that read it (/v1/state, metrics, the node report, the
// node conditions). A check's result is typed here once, so no reader has to cast it.

import type { SecretCheck } from "../podwatch/index.js";
import type { PrepullImageStatus } from "../prepull/index.js";
import type { ImageFilesystem, RegistryProbe } from "../probe/index.js";
import type { PullsView } from "../pulls/index.js";
import type { QuotaReading } from "../quota/index.js";

/** What the images check keeps: a summary, since the full list would make /v1/state grow with the node. */
export interface ImagesFinding {
  count: number;
  bytes: number;
  inUse: number;
  pinned: number;
  sandboxImage: string | null;
}

/** What the prune check keeps: the latest run, and totals since the agent started. */
export interface PruneFinding {
  lastRunAt: string;
  trigger: string;
  dryRun: boolean;
  planned: number;
  removed: number;
  freedBytes: number;
  failed: number;
  totals: { removed: number; freedBytes: number };
}

export interface ProbeStepFinding {
  step: string;
  ok: boolean;
  ms: number;
}

/** A registry probe as far as its readers need it (RegistryProbe fits). */
export interface ProbeFinding {
  registry: string;
  ok: boolean;
  hosts: { url: string; steps: ProbeStepFinding[]; certificate?: { validTo: string } }[];
}

/** A Docker Hub quota reading as far as metrics read it (QuotaReading fits). */
export interface QuotaFinding {
  source: string | undefined;
  limit: number | undefined;
  remaining: number | undefined;
  windowSeconds: number | undefined;
}

/** Each check's latest successful result, by the check's name. A new check adds its line here. */
export interface CheckResults {
  disk: ImageFilesystem[];
  images: ImagesFinding;
  prune: PruneFinding;
  /** Every image the pre-puller has seen, not only the latest round's. */
  prepull: PrepullImageStatus[];
  probes: RegistryProbe[];
  "pull-secrets": SecretCheck[];
  /** The pulls in flight now, with the pods waiting for them. */
  pulls: PullsView;
  quota: QuotaReading;
}

export type CheckName = keyof CheckResults;
