// The agent ⇄ aggregator contract (proto/pullmedic/v1/pullmedic.proto) as TypeScript sees it after
// @grpc/proto-loader: camelCase names, int64 as numbers (milliseconds and byte counts fit), a
// oneof as an optional field plus the name of the one that is set. Both sides load it from here.

import type { ServiceClientConstructor, ServiceDefinition } from "@grpc/grpc-js";
import type { Options as ProtoLoaderOptions } from "@grpc/proto-loader";
import { loadGrpcPackage } from "./grpc-package.js";

export const PROTOCOL = "pullmedic.v1";
const PROTO_FILE = "proto/pullmedic/v1/pullmedic.proto";

/**
 * How proto-loader turns messages into the objects below. The interfaces in this file are checked
 * against the proto with these options (test/architecture/proto.test.ts): change both together.
 */
export const PROTOCOL_LOAD_OPTIONS: ProtoLoaderOptions = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

export interface Hello {
  node: string;
  agentVersion: string;
  bootId: string;
  reportIntervalSeconds: number;
  protocol: string;
}

export interface DiskReport {
  mountpoint: string;
  capacityBytes: number;
  availableBytes: number;
  usedPercent: number;
  inodesFree: number;
}

export interface ImagesReport {
  count: number;
  bytes: number;
  inUse: number;
  sandboxImage: string;
}

export interface RegistryReport {
  registry: string;
  ok: boolean;
  failingStep: string;
  error: string;
  certificateExpiresMs: number;
  latencyMs: number;
}

export interface QuotaReport {
  source: string;
  limit: number;
  remaining: number;
  windowSeconds: number;
  observedAtMs: number;
}

export interface PrepullReport {
  image: string;
  state: string;
  cause: string;
  summary: string;
  lastPullMs: number;
  bytes: number;
}

export interface PullFailure {
  pod: string;
  container: string;
  image: string;
  registry: string;
  reason: string;
  cause: string;
  summary: string;
  fix: string[];
  sinceMs: number;
  impact: number;
  note: string;
}

export interface PruneReport {
  lastRunMs: number;
  removedTotal: number;
  freedBytesTotal: number;
}

export interface NodeConditionReport {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export interface HygieneRiskReport {
  kind: string;
  pod: string;
  image: string;
  message: string;
  fix: string;
}

export interface SecretCheckReport {
  secret: string;
  registry: string;
  state: string;
  message: string;
}

export interface NodeReport {
  observedAtMs: number;
  runtime: string;
  runtimeProblem: string;
  disks: DiskReport[];
  images: ImagesReport | null;
  registries: RegistryReport[];
  quota: QuotaReport[];
  prepull: PrepullReport[];
  failures: PullFailure[];
  prune: PruneReport | null;
  conditions: NodeConditionReport[];
  checkErrors: Record<string, string>;
  hygiene: HygieneRiskReport[];
  secrets: SecretCheckReport[];
  pulls: PullInFlight[];
}

export interface PullInFlight {
  image: string;
  registry: string;
  manifest: string;
  pods: string[];
  bytesDone: number;
  bytesTotal: number;
  layersDone: number;
  layersTotal: number;
  bytesPerSecond: number;
  /** 0 when unknown. */
  etaSeconds: number;
  startedMs: number;
  stalled: boolean;
  idleMs: number;
  summary: string;
  fix: string[];
}

/** A report with nothing in it, what a node says before any check has run; a base to fill in. */
export function emptyNodeReport(observedAtMs: number): NodeReport {
  return {
    observedAtMs,
    runtime: "",
    runtimeProblem: "",
    disks: [],
    images: null,
    registries: [],
    quota: [],
    prepull: [],
    failures: [],
    prune: null,
    conditions: [],
    checkErrors: {},
    hygiene: [],
    secrets: [],
    pulls: [],
  };
}

export interface Recovery {
  pod: string;
  container: string;
  image: string;
  cause: string;
  durationMs: number;
  outcome: string;
}

export interface PruneRecord {
  trigger: string;
  removed: number;
  freedBytes: number;
  failed: number;
  dryRun: boolean;
  images: string[];
}

export interface PrepullRecord {
  image: string;
  action: string;
  cause: string;
  summary: string;
  durationMs: number;
}

export type FindingKind = "diagnosis" | "recovery" | "prune" | "prepull" | "secretBroken";
/** Every FindingKind, in the oneof's order (the proto test keeps both equal to the .proto). */
export const FINDING_KINDS: readonly FindingKind[] = ["diagnosis", "recovery", "prune", "prepull", "secretBroken"];

export interface Finding {
  id: string;
  atMs: number;
  kind?: FindingKind;
  diagnosis?: PullFailure;
  recovery?: Recovery;
  prune?: PruneRecord;
  prepull?: PrepullRecord;
  secretBroken?: SecretCheckReport;
}

/**
 * The states a pre-pull command's image ends in on a node; the command is done on that node when
 * every image has one. Any other state ("queued", "pulling", …) is progress.
 */
const FINAL_COMMAND_STATES: ReadonlySet<string> = new Set(["pulled", "unchanged", "failed", "deferred"]);

export function isFinalCommandState(state: string | undefined): boolean {
  return state !== undefined && FINAL_COMMAND_STATES.has(state);
}

export interface CommandUpdate {
  commandId: string;
  image: string;
  state: string;
  cause: string;
  summary: string;
  durationMs: number;
  atMs: number;
}

/** What changed since the report or delta `baseSeq` (feature "report-delta"; see report-delta.ts). */
export interface ReportDelta {
  baseSeq: number;
  /** NodeReport field numbers of the sections replaced whole. */
  changed: number[];
  /** observedAtMs and the changed sections; the rest is left at its default. */
  report: NodeReport | null;
}

export interface AgentMessage {
  seq: number;
  body?: "hello" | "report" | "finding" | "commandUpdate" | "delta";
  hello?: Hello;
  report?: NodeReport;
  finding?: Finding;
  commandUpdate?: CommandUpdate;
  delta?: ReportDelta;
}

export interface PrepullCommand {
  images: string[];
  notBeforeMs: number;
}

export interface Command {
  id: string;
  kind?: "prepull";
  prepull?: PrepullCommand;
}

export interface Ack {
  seq: number;
  /** Set on the Ack of a Hello: the features the aggregator understands (FEATURES). */
  features: string[];
}

export interface FullReportRequest {
  seq: number;
}

export interface AggregatorMessage {
  body?: "ack" | "command" | "fullReportRequest";
  ack?: Ack;
  command?: Command;
  fullReportRequest?: FullReportRequest;
}

export interface AggregatorProtocol {
  /** For clients (the agent's reporter). */
  Client: ServiceClientConstructor;
  /** For servers (the aggregator's ingest). */
  service: ServiceDefinition;
}

let cached: Promise<AggregatorProtocol> | undefined;

/** Loads the proto once per process (from the build's descriptor when there is one); gRPC is imported lazily. */
export function loadAggregatorProtocol(): Promise<AggregatorProtocol> {
  cached ??= (async () => {
    const pkg = (await loadGrpcPackage(PROTO_FILE, PROTOCOL_LOAD_OPTIONS)) as unknown as { pullmedic: { v1: { Aggregator: ServiceClientConstructor } } };
    const Client = pkg.pullmedic.v1.Aggregator;
    return { Client, service: Client.service };
  })();
  return cached;
}
