// The largest pullmedic.v1 message the aggregator takes, field by field, and what a message costs
// it in memory. A peer controls every size in a message: without limits one node's report could
// hold the aggregator's whole memory (the gRPC cap alone lets 4 MiB through per message, and the
// aggregator keeps a report per node for up to 20,000 nodes). Each limit is what a real node can
// have, with room to spare; the agent trims to them, the aggregator refuses a message beyond any
// of them with INVALID_ARGUMENT naming the field.

import type { CommandUpdate, Finding, Hello, NodeReport } from "./protocol.js";

/** Characters of one string field, by what it holds. */
const TEXT_LIMITS = {
  /** A Kubernetes node name: a DNS subdomain. */
  node: 253,
  /** A version string or a boot id (a 36-character UUID). */
  version: 128,
  /** A finding's or command's id (boot_id:seq, or the aggregator's command id). */
  id: 256,
  /** namespace/name: a namespace (63) and an object name (253). */
  objectRef: 317,
  /** A container name: a DNS label. */
  container: 63,
  /**
   * An image reference. A valid one is at most about 520 characters (a 255-character name, a
   * 128-character tag and a digest); kubelet reports an invalid one as the pod spells it, hence twice that.
   */
  image: 1024,
  /** host[:port] of a registry, an IPv6 host in brackets. */
  registry: 261,
  /** A word of a fixed vocabulary: a cause label, a state, a step, a kubelet reason, a kind. */
  label: 128,
  /** A node condition's type: a qualified name (prefix 253, name 63). */
  conditionType: 317,
  /** A mountpoint: PATH_MAX. */
  path: 4096,
  /** A sentence for a person (a summary, an error, a fix command): the agent cuts its texts here. */
  text: 2048,
} as const;

/** Entries of one list, by what a real node can have. */
const LIST_LIMITS = {
  /** Image filesystems: containerd's and kubelet's roots, a node has a handful. */
  disks: 32,
  /** Registries probed: those of the images a node holds plus the configured ones, a few dozen at most. */
  registries: 256,
  /** Docker Hub quota readings: one per egress source a node pulls through. */
  quota: 32,
  /** Images pre-pulled: at most the images a node holds (about 1,000 at 100 MB on a 100 GB image filesystem). */
  prepull: 1024,
  /**
   * Failing containers: kubelet runs 110 pods per node by default (250 at most in supported
   * setups), each with a few containers; the agent sends at most 500.
   */
  failures: 500,
  /** Fix commands of one failure: the agent sends at most 5. */
  fix: 8,
  /** Node conditions pullmedic sets and reads: a few. */
  conditions: 32,
  /** Checks the agent runs, each with its latest error. */
  checkErrors: 32,
  /** Pod hygiene risks: the agent sends at most 200. */
  hygiene: 500,
  /** Pull secrets × registries of the pods on a node. */
  secrets: 500,
  /** Images removed by one prune run: at most the images a node holds. */
  pruneImages: 1024,
} as const;

/**
 * The largest node report, as its estimated memory in the aggregator (reportBytes): 1 MiB. A real
 * node at the list limits above with realistic texts (500 failing containers with a summary and
 * two fix commands each, 1,000 pre-pulled images, 200 hygiene risks) stays under it; every field
 * at its limit at once would be about 14 MiB, and that is no real node.
 */
export const MAX_REPORT_BYTES = 1024 * 1024;
/** The largest finding (a prune record listing a thousand images fits). */
const MAX_FINDING_BYTES = 256 * 1024;
/** A report interval above a day would keep a dead node fresh for days. */
const MAX_REPORT_INTERVAL_SECONDS = 86_400;

type Shape =
  | { t: "str"; max: number }
  | { t: "num" }
  | { t: "bool" }
  | { t: "obj"; fields: Record<string, Shape> }
  | { t: "list"; max: number; of: Shape }
  | { t: "map"; max: number; key: number; value: number };

const str = (max: number): Shape => ({ t: "str", max });
const num: Shape = { t: "num" };
const bool: Shape = { t: "bool" };
const obj = (fields: Record<string, Shape>): Shape => ({ t: "obj", fields });
const list = (max: number, of: Shape): Shape => ({ t: "list", max, of });
const T = TEXT_LIMITS;
const L = LIST_LIMITS;

const FAILURE = obj({
  pod: str(T.objectRef),
  container: str(T.container),
  image: str(T.image),
  registry: str(T.registry),
  reason: str(T.label),
  cause: str(T.label),
  summary: str(T.text),
  fix: list(L.fix, str(T.text)),
  sinceMs: num,
  impact: num,
  note: str(T.text),
});
const SECRET = obj({ secret: str(T.objectRef), registry: str(T.registry), state: str(T.label), message: str(T.text) });

const REPORT = obj({
  observedAtMs: num,
  runtime: str(T.version * 2),
  runtimeProblem: str(T.text),
  disks: list(L.disks, obj({ mountpoint: str(T.path), capacityBytes: num, availableBytes: num, usedPercent: num, inodesFree: num })),
  images: obj({ count: num, bytes: num, inUse: num, sandboxImage: str(T.image) }),
  registries: list(
    L.registries,
    obj({ registry: str(T.registry), ok: bool, failingStep: str(T.label), error: str(T.text), certificateExpiresMs: num, latencyMs: num }),
  ),
  quota: list(L.quota, obj({ source: str(T.registry), limit: num, remaining: num, windowSeconds: num, observedAtMs: num })),
  prepull: list(L.prepull, obj({ image: str(T.image), state: str(T.label), cause: str(T.label), summary: str(T.text), lastPullMs: num, bytes: num })),
  failures: list(L.failures, FAILURE),
  prune: obj({ lastRunMs: num, removedTotal: num, freedBytesTotal: num }),
  conditions: list(L.conditions, obj({ type: str(T.conditionType), status: str(T.label), reason: str(T.label), message: str(T.text) })),
  checkErrors: { t: "map", max: L.checkErrors, key: T.label, value: T.text },
  hygiene: list(L.hygiene, obj({ kind: str(T.label), pod: str(T.objectRef), image: str(T.image), message: str(T.text), fix: str(T.text) })),
  secrets: list(L.secrets, SECRET),
});

const FINDING_BODIES: Record<string, Shape> = {
  diagnosis: FAILURE,
  recovery: obj({ pod: str(T.objectRef), container: str(T.container), image: str(T.image), cause: str(T.label), durationMs: num, outcome: str(T.label) }),
  prune: obj({ trigger: str(T.label), removed: num, freedBytes: num, failed: num, dryRun: bool, images: list(L.pruneImages, str(T.image)) }),
  prepull: obj({ image: str(T.image), action: str(T.label), cause: str(T.label), summary: str(T.text), durationMs: num }),
  secretBroken: SECRET,
};

const COMMAND_UPDATE = obj({
  commandId: str(T.id),
  image: str(T.image),
  state: str(T.label),
  cause: str(T.label),
  summary: str(T.text),
  durationMs: num,
  atMs: num,
});

const HELLO = obj({ node: str(T.node), agentVersion: str(T.version), bootId: str(T.version), reportIntervalSeconds: num, protocol: str(T.label) });

// ---- memory estimate ---------------------------------------------------------------------------
//
// What V8 (64-bit, as Node ships) spends on a decoded message, by construction: a string's header
// and characters (two bytes each once any is beyond Latin-1), an object's header and a slot per
// field, an array's header and a slot per entry, a boxed number for what is not a small integer.
// Calibrated against the heap (test/bench/aggregator-bounds.bench.ts): within 15 % of it.

const STRING_HEADER = 24;
const OBJECT_HEADER = 40;
const ARRAY_HEADER = 48;
const SLOT = 8;
const BOXED_NUMBER = 16;
const WIDE = /[\u0100-\uffff]/;

function stringBytes(s: string): number {
  if (s.length === 0) return 0;
  return STRING_HEADER + (WIDE.test(s) ? 2 * s.length : s.length);
}

function numberBytes(n: unknown): number {
  return typeof n === "number" && Number.isInteger(n) && Math.abs(n) < 2 ** 30 ? 0 : BOXED_NUMBER;
}

/** The wire (proto) name of a field, as problems name it: observedAtMs → observed_at_ms. */
function wireName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

class Walk {
  bytes = 0;
  problem: string | undefined;

  value(v: unknown, shape: Shape, path: string): void {
    if (this.problem !== undefined) return;
    switch (shape.t) {
      case "str":
        if (typeof v !== "string") return;
        if (v.length > shape.max) this.problem = `${path}: ${v.length.toLocaleString("en-US")} characters, at most ${shape.max.toLocaleString("en-US")}`;
        this.bytes += stringBytes(v);
        return;
      case "num":
        this.bytes += numberBytes(v);
        return;
      case "bool":
        return;
      case "obj":
        return this.object(v, shape.fields, path);
      case "list":
        return this.list(v, shape.max, shape.of, path);
      case "map":
        return this.map(v, shape, path);
    }
  }

  private object(v: unknown, fields: Record<string, Shape>, path: string): void {
    if (v === null || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    const names = Object.keys(fields);
    this.bytes += OBJECT_HEADER + SLOT * names.length;
    for (const name of names) this.value(o[name], fields[name]!, `${path}.${wireName(name)}`);
  }

  private list(v: unknown, max: number, of: Shape, path: string): void {
    if (!Array.isArray(v)) return;
    if (v.length > max) {
      this.problem = `${path}: ${v.length.toLocaleString("en-US")} entries, at most ${max.toLocaleString("en-US")}`;
      return;
    }
    this.bytes += ARRAY_HEADER + SLOT * v.length;
    for (let i = 0; i < v.length && this.problem === undefined; i++) this.value(v[i], of, `${path}[${i}]`);
  }

  private map(v: unknown, shape: { max: number; key: number; value: number }, path: string): void {
    if (v === null || typeof v !== "object") return;
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length > shape.max) {
      this.problem = `${path}: ${entries.length} entries, at most ${shape.max}`;
      return;
    }
    // A map becomes a dictionary-mode object: about three slots per entry.
    this.bytes += OBJECT_HEADER + 3 * SLOT * entries.length;
    for (const [k, e] of entries) {
      if (k.length > shape.key) {
        this.problem = `${path}: a key of ${k.length} characters, at most ${shape.key}`;
        return;
      }
      this.bytes += stringBytes(k);
      this.value(e, { t: "str", max: shape.value }, `${path}[${JSON.stringify(k.slice(0, 64))}]`);
    }
  }
}

/** What checking a message found: the first field beyond its limit, and the message's estimated memory. */
export interface Measured {
  problem: string | undefined;
  /** Estimated bytes the decoded message holds in memory. */
  bytes: number;
}

function measure(v: unknown, shape: Shape, path: string): Measured {
  const w = new Walk();
  w.value(v, shape, path);
  return { problem: w.problem, bytes: w.bytes };
}

/** A node report against the limits; beyond MAX_REPORT_BYTES as a whole is a problem too. */
export function measureReport(r: NodeReport): Measured {
  const m = measure(r, REPORT, "report");
  if (m.problem === undefined && m.bytes > MAX_REPORT_BYTES) {
    m.problem = `report: about ${kib(m.bytes)} in memory, at most ${kib(MAX_REPORT_BYTES)} (fewer failures, pre-pulled images or hygiene risks, or shorter texts)`;
  }
  return m;
}

export function measureFinding(f: Finding): Measured {
  const w = new Walk();
  w.value(f, obj({ id: str(T.id), atMs: num }), "finding");
  for (const [kind, shape] of Object.entries(FINDING_BODIES)) {
    const body = (f as unknown as Record<string, unknown>)[kind];
    if (body !== undefined && body !== null) w.value(body, shape, `finding.${wireName(kind)}`);
  }
  if (w.problem === undefined && w.bytes > MAX_FINDING_BYTES) w.problem = `finding: about ${kib(w.bytes)}, at most ${kib(MAX_FINDING_BYTES)}`;
  return { problem: w.problem, bytes: w.bytes };
}

export function measureCommandUpdate(u: CommandUpdate): Measured {
  return measure(u, COMMAND_UPDATE, "command_update");
}

export function measureHello(h: Hello): Measured {
  const m = measure(h, HELLO, "hello");
  if (m.problem === undefined && !(h.reportIntervalSeconds <= MAX_REPORT_INTERVAL_SECONDS)) {
    m.problem = `hello.report_interval_seconds: ${h.reportIntervalSeconds}, at most ${MAX_REPORT_INTERVAL_SECONDS} (a day)`;
  }
  return m;
}

function kib(bytes: number): string {
  return `${Math.ceil(bytes / 1024).toLocaleString("en-US")} KiB`;
}
