// The Events pullmedic writes on a failing pod, next to kubelet's, so `kubectl describe pod` shows
// the diagnosis where people already look. Their text is read by people and filtered by tools.

import { formatDuration } from "../../core/text/index.js";
import type { KubeEvent } from "../kube/index.js";
import { redactUrls } from "../registry/index.js";
import type { ContainerKind } from "./detect.js";

/** kubelet's recorder cuts Event messages at 1024 bytes; Go counts bytes, so do we. */
export const MAX_EVENT_MESSAGE_BYTES = 1024;

const EVENT_COMPONENT = "pullmedic";

/** Caps that keep the parts a reader acts on when a summary is huge. */
const LIMITS = { cause: 64, image: 300, fix: 512, secretNote: 240, impact: 320 } as const;

const ELLIPSIS = "…";

export interface DiagnosisEventInput {
  cause: string;
  image: string;
  summary: string;
  /** Fix commands or prose; only the first line goes into the Event. */
  fix?: string;
  impact?: { pods: number; node: string };
  secretNote?: string;
}

/**
 * `not-found: image "ghcr.io/o/app:v2": <summary> <secret note> Fix: <command> (3 pods on node-1
 * fail with this image)` on one line. The cause label comes first, verbatim, because tools filter
 * Events on it; when the text must be cut, the summary gives way first and the fix's start last.
 */
export function diagnosisEventMessage(d: DiagnosisEventInput): string {
  const cause = cut(oneLine(d.cause), LIMITS.cause);
  const fixLine = firstLine(d.fix ?? "");
  const parts: Record<ShrinkablePart, string> = {
    summary: oneLine(d.summary),
    secretNote: cut(oneLine(d.secretNote ?? ""), LIMITS.secretNote),
    image: cut(oneLine(d.image), LIMITS.image),
    impact: d.impact !== undefined && d.impact.pods > 1 ? cut(`(${d.impact.pods} pods on ${oneLine(d.impact.node)} fail with this image)`, LIMITS.impact) : "",
    fix: fixLine === "" ? "" : cut(`Fix: ${fixLine}`, LIMITS.fix),
  };
  const assemble = () => [`${cause}: image "${parts.image}":`, parts.summary, parts.secretNote, parts.fix, parts.impact].filter((s) => s !== "").join(" ");
  for (const [name, keep] of SHRINK_ORDER) {
    const over = bytes(assemble()) - MAX_EVENT_MESSAGE_BYTES;
    if (over <= 0) break;
    parts[name] = cut(parts[name], Math.max(keep, bytes(parts[name]) - over));
  }
  // Each part was redacted before it was measured; this pass is the last guard, not the first.
  return cut(redactUrls(assemble()), MAX_EVENT_MESSAGE_BYTES);
}

type ShrinkablePart = "summary" | "secretNote" | "image" | "impact" | "fix";

/** Which part gives way first when the message is too long, and how many bytes of it are kept. */
const SHRINK_ORDER: readonly [ShrinkablePart, number][] = [
  ["summary", 0],
  ["secretNote", 0],
  ["image", 64],
  ["impact", 0],
  ["fix", 128],
];

export interface RecoveryEventInput {
  image: string;
  durationMs: number;
  /** The cause last diagnosed, if any. */
  cause?: string;
}

/** `recovered: image "x" pulled after 2m 13s (was not-found)` */
export function recoveryEventMessage(r: RecoveryEventInput): string {
  const was = r.cause === undefined || r.cause === "" ? "" : ` (was ${cut(oneLine(r.cause), LIMITS.cause)})`;
  const message = `recovered: image "${cut(oneLine(r.image), LIMITS.image)}" pulled after ${formatDuration(r.durationMs)}${was}`;
  return cut(message, MAX_EVENT_MESSAGE_BYTES);
}

export interface BuildEventInput {
  pod: { namespace: string; name: string; uid?: string };
  container: string;
  kind: ContainerKind;
  type: "Warning" | "Normal";
  reason: string;
  message: string;
  node: string;
  now: number;
  /** Tells apart Events for the same pod made in the same millisecond. */
  seq?: number;
}

const FIELD_PATH: Record<ContainerKind, string> = {
  container: "spec.containers",
  init: "spec.initContainers",
  ephemeral: "spec.ephemeralContainers",
};

/** Object names are DNS subdomains: at most 253 characters. */
const MAX_NAME = 253;

/** A core/v1 Event about one container of a pod, shaped like the ones kubelet writes. */
export function buildEvent(input: BuildEventInput): KubeEvent {
  const stamp = rfc3339Seconds(input.now);
  const involvedObject: KubeEvent["involvedObject"] = {
    apiVersion: "v1",
    kind: "Pod",
    namespace: input.pod.namespace,
    name: input.pod.name,
    fieldPath: `${FIELD_PATH[input.kind]}{${input.container}}`,
  };
  if (input.pod.uid !== undefined && input.pod.uid !== "") involvedObject.uid = input.pod.uid;
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: eventName(input.pod.name, input.now, input.seq ?? 0), namespace: input.pod.namespace },
    involvedObject,
    reason: input.reason,
    message: input.message,
    type: input.type,
    count: 1,
    firstTimestamp: stamp,
    lastTimestamp: stamp,
    source: { component: EVENT_COMPONENT, host: input.node },
    reportingComponent: EVENT_COMPONENT,
    reportingInstance: input.node,
  };
}

/**
 * `<pod>.<hex>` as kubelet names its Events, the hex being nanoseconds; the sequence number fills
 * the sub-millisecond part we do not have.
 */
function eventName(podName: string, now: number, seq = 0): string {
  const nanos = BigInt(Math.max(0, Math.floor(now))) * 1_000_000n + BigInt(Math.max(0, Math.floor(seq)) % 1_000_000);
  const suffix = nanos.toString(16);
  const room = MAX_NAME - suffix.length - 1;
  // A cut name must still end in an alphanumeric character to be a valid subdomain.
  const base = podName.length <= room ? podName : podName.slice(0, room).replace(/[^a-z0-9]+$/, "");
  return `${base}.${suffix}`;
}

/** RFC 3339 in whole seconds, as the API server stores Event and condition times. */
export function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export interface CorrelatorOptions {
  /** An identical message is not written again sooner than this; default 60 s. */
  minRepeatMs?: number;
  /**
   * An Event not written for this long may be gone (the API server's Event TTL, 1 h by default,
   * restarts at each write), so the next one is created instead of patched; default 1 h.
   */
  maxAgeMs?: number;
  /** Keys remembered, least recently used dropped first; default 2048. */
  maxKeys?: number;
}

export type CorrelatorDecision =
  | { action: "create" }
  | { action: "patch"; name: string; patch: { count: number; lastTimestamp: string; message: string } }
  | { action: "skip" };

interface Posted {
  name: string;
  count: number;
  message: string;
  lastAt: number;
}

const DEFAULT_MIN_REPEAT_MS = 60_000;
const DEFAULT_MAX_AGE_MS = 3_600_000;
const DEFAULT_MAX_KEYS = 2048;

/** Key of one stream of Events: one pod's container, one reason. */
export function eventStreamKey(podKey: string, container: string, reason: string): string {
  return JSON.stringify([podKey, container, reason]);
}

/**
 * Turns repeated Events into one Event with a count, as kubelet's correlator does, so a failure
 * that lasts a day is one line in `kubectl describe` instead of a thousand.
 */
export class EventCorrelator {
  private readonly minRepeatMs: number;
  private readonly maxAgeMs: number;
  private readonly maxKeys: number;
  /** Map order is recency order. */
  private readonly streams = new Map<string, Posted>();

  constructor(options: CorrelatorOptions = {}) {
    this.minRepeatMs = options.minRepeatMs ?? DEFAULT_MIN_REPEAT_MS;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.maxKeys = Math.max(1, Math.floor(options.maxKeys ?? DEFAULT_MAX_KEYS));
  }

  decide(key: string, message: string, now: number): CorrelatorDecision {
    const last = this.streams.get(key);
    if (last === undefined) return { action: "create" };
    this.touch(key, last);
    if (now - last.lastAt >= this.maxAgeMs) return { action: "create" };
    if (message === last.message && now - last.lastAt < this.minRepeatMs) return { action: "skip" };
    return { action: "patch", name: last.name, patch: { count: last.count + 1, lastTimestamp: rfc3339Seconds(now), message } };
  }

  /** Call after the API accepted a create or a patch that `decide` asked for. */
  posted(key: string, eventName: string, message: string, now: number): void {
    const last = this.streams.get(key);
    const next: Posted =
      last !== undefined && last.name === eventName
        ? { name: eventName, count: last.count + 1, message, lastAt: now }
        : { name: eventName, count: 1, message, lastAt: now };
    this.touch(key, next);
    while (this.streams.size > this.maxKeys) {
      const oldest = this.streams.keys().next();
      if (oldest.done === true) break;
      this.streams.delete(oldest.value);
    }
  }

  /** The Event is gone (a patch answered 404) or no longer wanted: the next one is created. */
  forget(key: string): void {
    this.streams.delete(key);
  }

  get size(): number {
    return this.streams.size;
  }

  private touch(key: string, value: Posted): void {
    this.streams.delete(key);
    this.streams.set(key, value);
  }
}

function oneLine(text: string): string {
  return redactUrls(text.replace(/\s+/g, " ").trim());
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  return oneLine(line);
}

function bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** At most `max` UTF-8 bytes, cut between code points, with "…" when something was dropped. */
export function cut(text: string, max: number): string {
  if (bytes(text) <= max) return text;
  const room = max - bytes(ELLIPSIS);
  if (room <= 0) return "";
  let out = "";
  let used = 0;
  for (const ch of text) {
    const size = bytes(ch);
    if (used + size > room) break;
    out += ch;
    used += size;
  }
  return out + ELLIPSIS;
}
