// The aggregator's gRPC face: Aggregator.Connect, one bidirectional stream per agent.
//
// Per stream: the bearer token is checked before any message is read; the first message must be
// a valid Hello; every message after it is validated, written to the Store, and only then acked
// (Ack{seq}) and applied to ClusterState. Writes from all streams are batched into one SQLite
// transaction per event-loop turn, so a commit is shared by every message that arrived together.
//
// Bounds: grpc-js refuses a message above maxMessageBytes (RESOURCE_EXHAUSTED) and a frame it
// cannot decode (INTERNAL) on that call only. A stream stops being read while it has
// maxInFlightPerStream messages not yet acked, or while its acks are not being read by the
// agent (the write side reports backpressure): HTTP/2 flow control then holds the agent's
// further messages on its side, so an agent that never reads its acks costs a bounded amount of
// memory here instead of growing it.

import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import * as grpc from "@grpc/grpc-js";
import type { ServerInterceptingCallInterface } from "@grpc/grpc-js";
import { parseListen } from "../core/net/index.js";
import type { Logger } from "../core/log/index.js";
import { loadAggregatorProtocol, PROTOCOL, type AgentMessage, type AggregatorMessage, type Command, type CommandUpdate, type Finding, type Hello, type NodeReport } from "../core/protocol/index.js";
import { TooManyNodesError, type ClusterState } from "./cluster-state.js";
import type { AggregatorMetrics, RejectReason } from "./metrics.js";
import type { Store } from "./store.js";

const Status = grpc.status;

// ---- bearer tokens ------------------------------------------------------------------------------

export type TokenVerdict = { ok: true } | { ok: false; problem: string };

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

function parseTokens(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/**
 * The token daemonset.yaml ships with is public: an aggregator that accepted it would let anyone
 * who read the manifest report as any node or trigger pre-pulls on every node.
 */
export const PLACEHOLDER_TOKEN = /^REPLACE-WITH-/;

/**
 * The tokens of a token file (one per line; blank lines and # comments ignored), compared in
 * constant time. The file is re-read every `reloadMs`: Kubernetes updates a mounted Secret in
 * place, and a rotated token must work without a restart. A reload that finds the file
 * unreadable or empty keeps the tokens it had (a Secret update is never half-written, but a
 * mistake must not lock every agent out) and says so in the log.
 */
export class BearerTokens {
  private digests: Buffer[] = [];
  private text = "";
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly path: string,
    private readonly log: Logger,
  ) {}

  static async load(path: string, log: Logger, reloadMs = 30_000): Promise<BearerTokens> {
    const t = new BearerTokens(path, log);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`cannot read the token file ${path}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
    }
    if (parseTokens(text).some((token) => PLACEHOLDER_TOKEN.test(token))) {
      throw new Error(`the token file ${path} holds the placeholder from daemonset.yaml, which anyone can read: replace it with a random token (openssl rand -hex 32) in the Secret`);
    }
    if (!t.apply(text)) throw new Error(`the token file ${path} holds no token: write one bearer token per line`);
    t.timer = setInterval(() => void t.reload(), reloadMs);
    t.timer.unref();
    return t;
  }

  get count(): number {
    return this.digests.length;
  }

  /** Re-reads the file; true when the tokens changed. */
  async reload(): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      this.log.warn(`cannot re-read the token file ${this.path}: ${(err as Error).message}; keeping the ${this.count} token(s) read before`);
      return false;
    }
    if (text === this.text) return false;
    if (!this.apply(text)) {
      this.log.warn(`the token file ${this.path} now holds no token; keeping the ${this.count} token(s) read before`);
      this.text = text;
      return false;
    }
    this.log.info(`token file ${this.path} changed: ${this.count} token(s) accepted now`);
    return true;
  }

  private apply(text: string): boolean {
    const tokens = parseTokens(text).filter((token) => !PLACEHOLDER_TOKEN.test(token));
    if (tokens.length === 0) return false;
    this.text = text;
    this.digests = tokens.map(digest);
    return true;
  }

  /** Checks an `authorization` header or metadata value; the problem never repeats the token. */
  check(value: string | undefined): TokenVerdict {
    if (value === undefined || value.trim() === "") {
      return { ok: false, problem: "missing credentials: send `authorization: Bearer <token>` with a token from the aggregator's token file" };
    }
    const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
    if (!m || m[1] === undefined) return { ok: false, problem: "the authorization is not a bearer token: send `authorization: Bearer <token>`" };
    const presented = digest(m[1]);
    let match = 0;
    // Every token is compared, matching or not, so the time taken does not say which one matched.
    for (const d of this.digests) match |= timingSafeEqual(presented, d) ? 1 : 0;
    return match ? { ok: true } : { ok: false, problem: "the bearer token is not one the aggregator accepts (wrong token, or it was rotated out of the token file)" };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

// ---- write batching -----------------------------------------------------------------------------

interface Job {
  /** The database writes, run inside the shared transaction; absent for ordering-only jobs. */
  write?: () => void;
  /** After the commit (or with the error that prevented it). */
  done: (err: Error | undefined) => void;
}

/**
 * Collects the writes of every stream and commits them together once per event-loop turn: one
 * SQLite commit for everything that arrived at once, in arrival order, each job then told whether
 * its write is durable. A job whose write throws fails alone; a failed commit fails them all.
 */
export class WriteBatcher {
  private jobs: Job[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;
  /** Messages per commit, most recent commits (for logs). */
  largestBatch = 0;
  commits = 0;

  constructor(
    private readonly store: Pick<Store, "transaction">,
    private readonly log: Logger,
  ) {}

  push(job: Job): void {
    if (this.closed) {
      job.done(new Error("the aggregator is shutting down"));
      return;
    }
    this.jobs.push(job);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const jobs = this.jobs;
    this.jobs = [];
    if (jobs.length === 0) return;
    const errors: (Error | undefined)[] = new Array(jobs.length);
    const writes = jobs.some((j) => j.write);
    if (writes) {
      try {
        this.store.transaction(() => {
          jobs.forEach((job, i) => {
            if (!job.write) return;
            try {
              job.write();
            } catch (err) {
              errors[i] = err instanceof Error ? err : new Error(String(err));
            }
          });
        });
        this.commits++;
        this.largestBatch = Math.max(this.largestBatch, jobs.length);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        this.log.error(`database commit failed for ${jobs.length} message(s): ${e.message}`);
        jobs.forEach((job, i) => {
          if (job.write) errors[i] = e;
        });
      }
    }
    jobs.forEach((job, i) => {
      try {
        job.done(errors[i]);
      } catch (err) {
        this.log.error(`after commit: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  }

  /** Commits what is queued and refuses later jobs. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}

// ---- validation ---------------------------------------------------------------------------------

const NODE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
const MAX_ID = 256;

function shown(value: string, max = 64): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** The problem with a Hello, naming the field; undefined when it is valid. */
export function helloProblem(h: Hello | undefined): string | undefined {
  if (!h) return "hello: missing";
  if (h.protocol !== PROTOCOL) return `hello.protocol: expected "${PROTOCOL}", got ${h.protocol ? shown(h.protocol) : "nothing"}`;
  if (!h.node) return "hello.node: missing (the agent's node name)";
  if (h.node.length > 253) return `hello.node: ${h.node.length} characters, at most 253 (a Kubernetes node name)`;
  if (!NODE_NAME.test(h.node)) return `hello.node: ${shown(h.node)} is not a node name (letters, digits, '.', '-', '_'; starting and ending with a letter or digit)`;
  return undefined;
}

function findingProblem(f: Finding | undefined): string | undefined {
  if (!f) return "finding: missing";
  if (!f.id) return "finding.id: missing (boot_id:seq of the message that first carried it)";
  if (f.id.length > MAX_ID) return `finding.id: ${f.id.length} characters, at most ${MAX_ID}`;
  return undefined;
}

function commandUpdateProblem(u: CommandUpdate | undefined): string | undefined {
  if (!u) return "command_update: missing";
  if (!u.commandId) return "command_update.command_id: missing";
  if (u.commandId.length > MAX_ID) return `command_update.command_id: ${u.commandId.length} characters, at most ${MAX_ID}`;
  if (!u.image) return "command_update.image: missing";
  if (!u.state) return "command_update.state: missing";
  return undefined;
}

function reportProblem(r: NodeReport | undefined): string | undefined {
  if (!r) return "report: missing";
  if (!Number.isFinite(r.observedAtMs) || r.observedAtMs < 0) return "report.observed_at_ms: not a time";
  return undefined;
}

// ---- the service --------------------------------------------------------------------------------

export interface IngestOptions {
  /** host:port; port 0 picks a free one. */
  listen: string;
  store: Store;
  state: ClusterState;
  metrics: AggregatorMetrics;
  log: Logger;
  /** undefined: no token check (the embedded one-machine mode). */
  tokens: BearerTokens | undefined;
  maxMessageBytes: number;
  tls?: { cert: Buffer; key: Buffer } | undefined;
  now?: () => number;
  /** Messages of one stream received and not yet acked before the stream stops being read. Default 64. */
  maxInFlightPerStream?: number;
  /** A stream's hello is persisted and applied: the node's stream is open for commands. */
  onHello?: (node: string) => void;
}

export interface Ingest {
  /** host:port actually bound. */
  address: string;
  /** Writes a command to the node's open stream; false when the node has none. */
  sendCommand(node: string, cmd: Command): boolean;
  /** Nodes with an open stream now. */
  connectedNodes(): string[];
  /** Commits what is queued now (tests, shutdown). */
  flush(): void;
  batcher: WriteBatcher;
  /** Ends every stream (UNAVAILABLE), waits up to graceMs for them to close, then closes the port. */
  stop(graceMs?: number): Promise<void>;
}

type Call = grpc.ServerDuplexStream<AgentMessage, AggregatorMessage>;

function messageType(m: AgentMessage): string {
  if (m.body) return m.body;
  if (m.hello) return "hello";
  if (m.report) return "report";
  if (m.finding) return "finding";
  if (m.commandUpdate) return "commandUpdate";
  return "unknown";
}

export async function startIngest(opts: IngestOptions): Promise<Ingest> {
  const { store, state, metrics, log, tokens } = opts;
  const now = opts.now ?? Date.now;
  const maxInFlight = opts.maxInFlightPerStream ?? 64;
  const protocol = await loadAggregatorProtocol();
  const batcher = new WriteBatcher(store, log);
  const current = new Map<string, AgentStream>();
  const open = new Set<AgentStream>();
  let stopping = false;

  class AgentStream {
    node: string | undefined;
    /** ClusterState.hello() ran for this stream: disconnected() is owed at its end. */
    helloApplied = false;
    ended = false;
    closed = false;
    halfClosed = false;
    inFlight = 0;
    paused = false;
    waitingDrain = false;
    readonly peer: string;

    constructor(readonly call: Call) {
      this.peer = call.getPeer();
      open.add(this);
      metrics.streamOpened();
      call.on("data", (m: AgentMessage) => this.onMessage(m));
      call.on("end", () => {
        this.halfClosed = true;
        this.maybeFinish();
      });
      call.on("drain", () => {
        this.waitingDrain = false;
        this.flow();
      });
      call.on("close", () => this.onClose());
      // Errors we emit ourselves end the call (grpc-js listens too); anything else is logged.
      call.on("error", () => undefined);
    }

    /** Ends the call with a status; messages after this are ignored. */
    fail(code: grpc.status, details: string, reason?: RejectReason): void {
      if (this.ended) return;
      this.ended = true;
      if (reason) metrics.rejected(reason);
      const level = code === Status.UNAVAILABLE || code === Status.ABORTED ? "info" : "warn";
      log[level](`agent stream ${this.node ? `of node ${this.node} ` : ""}from ${this.peer} ended: ${Status[code]}: ${details}`);
      // The 'error' event is grpc-js's way to end a server stream with a status.
      this.call.emit("error", { code, details, metadata: new grpc.Metadata() });
      if (this.paused) this.call.resume();
    }

    write(msg: AggregatorMessage): boolean {
      if (this.ended || this.closed) return false;
      if (!this.call.write(msg)) {
        this.waitingDrain = true;
        this.flow();
      }
      return true;
    }

    /** Reads while there is room: few messages in flight and the agent reading its acks. */
    flow(): void {
      if (this.ended || this.closed) return;
      const hold = this.inFlight >= maxInFlight || this.waitingDrain;
      if (hold && !this.paused) {
        this.paused = true;
        this.call.pause();
      } else if (!hold && this.paused) {
        this.paused = false;
        this.call.resume();
      }
    }

    maybeFinish(): void {
      if (this.halfClosed && this.inFlight === 0 && !this.ended) {
        this.ended = true;
        this.call.end();
      }
    }

    onMessage(m: AgentMessage): void {
      if (this.ended || this.closed) return;
      const arrived = performance.now();
      const at = now();
      const type = messageType(m);
      const seq = m.seq;
      if (this.node === undefined) {
        if (type !== "hello") return this.fail(Status.INVALID_ARGUMENT, `hello: the first message of a stream must be hello, not ${type}`, "invalid");
        const problem = helloProblem(m.hello);
        if (problem) return this.fail(Status.INVALID_ARGUMENT, problem, "invalid");
        const h = m.hello!;
        if (state.node(h.node) === undefined && state.size >= state.maxNodes) {
          return this.fail(Status.RESOURCE_EXHAUSTED, new TooManyNodesError(h.node, state.maxNodes).message, "overloaded");
        }
        this.node = h.node;
        const before = current.get(h.node);
        current.set(h.node, this);
        before?.fail(Status.ABORTED, `replaced by a newer stream from node ${h.node} (${this.peer}); a node keeps one stream`);
        this.persist(type, seq, arrived, () => store.saveHello(h, at), () => {
          state.hello(h, at);
          this.helloApplied = true;
          log.info(`node ${h.node} connected from ${this.peer} (agent ${h.agentVersion || "?"}, reports every ${h.reportIntervalSeconds} s)`);
          if (opts.onHello && current.get(h.node) === this && !this.ended) {
            try {
              opts.onHello(h.node);
            } catch (e) {
              log.warn(`node ${h.node}: after its hello: ${e instanceof Error ? e.message : String(e)}`);
            }
          }
        });
        return;
      }
      const node = this.node;
      switch (type) {
        case "hello": {
          const problem = helloProblem(m.hello);
          if (problem) return this.fail(Status.INVALID_ARGUMENT, problem, "invalid");
          const h = m.hello!;
          if (h.node !== node) return this.fail(Status.INVALID_ARGUMENT, `hello.node: this stream belongs to node ${node}, not ${shown(h.node)}; open a stream per node`, "invalid");
          return this.persist(type, seq, arrived, () => store.saveHello(h, at), () => state.seen(node, at));
        }
        case "report": {
          const problem = reportProblem(m.report);
          if (problem) return this.fail(Status.INVALID_ARGUMENT, problem, "invalid");
          const r = m.report!;
          return this.persist(type, seq, arrived, () => store.saveReport(node, r, at), () => state.report(node, r, at));
        }
        case "finding": {
          const problem = findingProblem(m.finding);
          if (problem) return this.fail(Status.INVALID_ARGUMENT, problem, "invalid");
          const f = m.finding!;
          let added = 0;
          return this.persist(
            type,
            seq,
            arrived,
            () => {
              added = store.saveFindings(node, [f]);
              store.saveSeen(node, at);
            },
            () => {
              metrics.findingsStored(added);
              state.seen(node, at);
            },
          );
        }
        case "commandUpdate": {
          const problem = commandUpdateProblem(m.commandUpdate);
          if (problem) return this.fail(Status.INVALID_ARGUMENT, problem, "invalid");
          const u = m.commandUpdate!;
          return this.persist(
            type,
            seq,
            arrived,
            () => {
              store.saveCommandUpdate(node, u);
              store.saveSeen(node, at);
            },
            () => state.seen(node, at),
          );
        }
        default:
          // A message kind from a newer agent: nothing to keep, but acked so it is not resent forever.
          log.debug(`node ${node}: message ${seq} of a kind this aggregator does not know; acked and ignored`);
          return this.persist(type, seq, arrived, undefined, () => state.seen(node, at));
      }
    }

    persist(type: string, seq: number, arrived: number, write: (() => void) | undefined, apply: () => void): void {
      this.inFlight++;
      this.flow();
      batcher.push({
        ...(write ? { write } : {}),
        done: (err) => {
          this.inFlight--;
          if (err) {
            // Not acked: the agent resends after reconnecting.
            this.fail(Status.UNAVAILABLE, `could not persist message ${seq} (${type}): ${err.message}`);
            return;
          }
          try {
            apply();
          } catch (e) {
            // Persisted but not taken into the live view (a node beyond maxNodes that raced in):
            // not acked, so the agent sends it again once it can be taken.
            const tooMany = e instanceof TooManyNodesError;
            this.fail(tooMany ? Status.RESOURCE_EXHAUSTED : Status.INTERNAL, e instanceof Error ? e.message : String(e), tooMany ? "overloaded" : undefined);
            return;
          }
          if (this.write({ ack: { seq } })) metrics.messageAcked(type, (performance.now() - arrived) / 1000);
          this.flow();
          this.maybeFinish();
        },
      });
    }

    onClose(): void {
      if (this.closed) return;
      this.closed = true;
      this.ended = true;
      open.delete(this);
      metrics.streamClosed();
      const node = this.node;
      if (node !== undefined && current.get(node) === this) current.delete(node);
      // Queued behind this stream's own writes, so its hello is applied before its end.
      batcher.push({
        done: () => {
          if (node !== undefined && this.helloApplied) {
            state.disconnected(node, now());
            if (!state.node(node)?.connected) log.info(`node ${node} disconnected`);
          }
        },
      });
    }
  }

  const connect = (call: Call) => {
    if (stopping) {
      call.emit("error", { code: Status.UNAVAILABLE, details: "the aggregator is shutting down" });
      return;
    }
    if (tokens) {
      const values = call.metadata.get("authorization");
      const first = values.find((v): v is string => typeof v === "string");
      const verdict = tokens.check(first);
      if (!verdict.ok) {
        metrics.rejected("unauthenticated");
        log.warn(`agent stream from ${call.getPeer()} refused: ${verdict.problem}`);
        call.on("error", () => undefined);
        call.emit("error", { code: Status.UNAUTHENTICATED, details: verdict.problem });
        return;
      }
    }
    new AgentStream(call);
  };

  // Calls that grpc-js itself ends (a message too large, a frame it cannot decode) never reach the
  // handler's code, and their status does not pass through interceptors' responders either: it is
  // sent by the innermost call object. So the interceptor wraps that object's sendStatus to count
  // and log them.
  const classify = (peer: string, status: { code: grpc.status; details?: string }) => {
    const details = status.details ?? "";
    let reason: RejectReason | undefined;
    if (status.code === Status.RESOURCE_EXHAUSTED && /larger than/i.test(details)) reason = "oversized";
    else if (status.code === Status.INTERNAL && /deseriali|pars|decod/i.test(details)) reason = "malformed";
    if (reason) {
      metrics.rejected(reason);
      log.warn(`agent stream from ${peer} refused: ${Status[status.code]}: ${details}`);
    }
  };
  const observeStatus: grpc.ServerInterceptor = (_method, call: ServerInterceptingCallInterface) => {
    const send = call.sendStatus.bind(call);
    let counted = false;
    call.sendStatus = (status) => {
      if (!counted) {
        counted = true;
        classify(call.getPeer(), status);
      }
      send(status);
    };
    return new grpc.ServerInterceptingCall(call);
  };

  const server = new grpc.Server({
    "grpc.max_receive_message_length": opts.maxMessageBytes,
    "grpc.max_send_message_length": opts.maxMessageBytes,
    // Dead peers (a node powered off without closing its connection) are noticed and their
    // streams closed, so the node is shown disconnected rather than connected forever.
    "grpc.keepalive_time_ms": 60_000,
    "grpc.keepalive_timeout_ms": 20_000,
    interceptors: [observeStatus],
  });
  server.addService(protocol.service, { Connect: connect });
  const credentials = opts.tls
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: opts.tls.cert, private_key: opts.tls.key }], false)
    : grpc.ServerCredentials.createInsecure();
  const { host, port } = parseListen(opts.listen);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${shownHost}:${port}`, credentials, (err, p) => {
      if (err) {
        const inUse = /EADDRINUSE|address already in use/i.test(err.message);
        reject(new Error(`cannot listen for gRPC on ${opts.listen}: ${inUse ? "the port is in use" : err.message}`));
      } else resolve(p);
    });
  });

  return {
    address: `${shownHost}:${boundPort}`,
    batcher,
    sendCommand(node, cmd) {
      const s = current.get(node);
      if (!s || s.ended || s.closed || s.halfClosed) return false;
      const ok = s.write({ command: cmd });
      if (ok) metrics.commandSent();
      return ok;
    },
    connectedNodes: () => [...current.keys()].sort(),
    flush: () => batcher.flush(),
    async stop(graceMs = 2000) {
      stopping = true;
      for (const s of open) s.fail(Status.UNAVAILABLE, "the aggregator is shutting down; reconnect later");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      // Streams cut by the forced shutdown close on the next turns; their ends must reach the state.
      await new Promise((r) => setImmediate(r));
      batcher.close();
    },
  };
}
