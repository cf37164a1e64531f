// The agent's side of the aggregator contract (proto/pullmedic/v1/pullmedic.proto): one
// long-lived bidirectional Connect stream that carries a Hello, node reports on an interval (a
// full one first, then only what changed when the aggregator offers "report-delta"), and findings
// and command updates as they happen. Findings wait in a bounded outbox until the
// aggregator acknowledges them, so an aggregator restart or outage loses none of them (a buffer
// that overflows drops its oldest, counted). grpc-js is imported on first connect only: the CLI
// verbs never load it.

import { randomUUID } from "node:crypto";
import type { ChannelOptions, ClientDuplexStream, ServiceDefinition } from "@grpc/grpc-js";
import { readRegularFile } from "../../core/fs/index.js";
import { isLoopbackListen } from "../../core/net/index.js";
import {
  type AgentMessage,
  type AggregatorMessage,
  type Command,
  type CommandUpdate,
  diffReport,
  FEATURE_REPORT_DELTA,
  type Finding,
  loadAggregatorProtocol,
  type NodeReport,
  PROTOCOL,
} from "../../core/protocol/index.js";
import { Outbox, type OutboxEntry } from "./outbox.js";
import { aggregatorTlsName } from "./tls-name.js";

export type ReporterLogLevel = "debug" | "info" | "warn";

export interface ReporterOptions {
  /** host:port of the aggregator's gRPC endpoint. */
  address: string;
  /**
   * Bearer token; called on each connect, since the file behind it changes: a projected
   * service-account token is rewritten by kubelet before it expires. undefined = none.
   */
  token: () => Promise<string | undefined>;
  /** PEM CA file (the aggregator's published CA, mounted): TLS with this CA, read at each connect; absent: plaintext. */
  caFile?: string;
  node: string;
  agentVersion: string;
  /**
   * A report every interval: a full one right after each connect; after that, when the aggregator
   * offers delta reports, only the sections that changed since the latest acknowledged one.
   */
  intervalMs: number;
  /** Called when a report is due. */
  buildReport: () => NodeReport;
  onCommand?: (command: Command) => void;
  /** Findings + command updates kept until acked; default 1000; oldest dropped first, counted. */
  bufferLimit?: number;
  /** Reconnect delay: default 1 s doubling to 60 s, full jitter. */
  backoff?: { baseMs?: number; maxMs?: number };
  log?: (level: ReporterLogLevel, message: string) => void;
  now?: () => number;
}

export interface ReporterStatus {
  /** A stream is open and the aggregator has answered on it. */
  connected: boolean;
  address: string;
  /** When the latest ack arrived (opts.now clock). */
  lastAckMs?: number;
  /** Why the latest stream or connection attempt failed, in words; cleared once a stream is acked. */
  lastError?: string;
  /** Findings and command updates not yet acknowledged. */
  buffered: number;
  /** Findings and command updates lost: buffer overflow, or a message that cannot be encoded. */
  dropped: number;
  /** AgentMessages written (hello, reports, findings, updates, resends included). */
  sent: number;
  /** Acks received. */
  acked: number;
  /** Connection attempts after the first one. */
  reconnects: number;
}

export const DEFAULT_BUFFER_LIMIT = 1000;
export const DEFAULT_BACKOFF_BASE_MS = 1000;
export const DEFAULT_BACKOFF_MAX_MS = 60_000;
export const DEFAULT_STOP_GRACE_MS = 2000;
/** grpc's default receive limit, which an aggregator keeps unless it raises it: larger messages would be refused. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** A stream whose channel is not connected by then is given up (a black-holed address never fails on its own). */
const CONNECT_TIMEOUT_MS = 20_000;
/** After stop() half-closes the stream, how long the aggregator gets to end it before it is cancelled. */
const END_GRACE_MS = 500;

const CHANNEL_OPTIONS: ChannelOptions = {
  // Each attempt gets a channel of its own with its own connection, so the reporter's back-off
  // (not grpc's subchannel back-off, shared by default) decides when the aggregator is tried again.
  "grpc.use_local_subchannel_pool": 1,
  // A connection that died without a FIN (node lost its route, aggregator host gone) is noticed.
  "grpc.keepalive_time_ms": 60_000,
  "grpc.keepalive_timeout_ms": 20_000,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  "grpc.enable_retries": 0,
};

/** gRPC status codes by number (grpc-js Status), kept here so grpc-js is not loaded to name them. */
const CODE_NAMES: Record<number, string> = {
  0: "OK",
  1: "CANCELLED",
  2: "UNKNOWN",
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  5: "NOT_FOUND",
  6: "ALREADY_EXISTS",
  7: "PERMISSION_DENIED",
  8: "RESOURCE_EXHAUSTED",
  9: "FAILED_PRECONDITION",
  10: "ABORTED",
  11: "OUT_OF_RANGE",
  12: "UNIMPLEMENTED",
  13: "INTERNAL",
  14: "UNAVAILABLE",
  15: "DATA_LOSS",
  16: "UNAUTHENTICATED",
};

type Buffered = { kind: "finding"; finding: Finding } | { kind: "commandUpdate"; update: CommandUpdate };
type AgentBody = Omit<AgentMessage, "seq" | "body">;

interface GrpcClient {
  close(): void;
  getChannel(): { getConnectivityState(tryToConnect: boolean): number };
}

/** The latest report sent on a stream, whole or as a delta: the base of the next delta once acked. */
interface SentReport {
  readonly seq: number;
  readonly report: NodeReport;
  acked: boolean;
}

/** One Connect stream and what happened on it. */
interface Stream {
  readonly round: number;
  readonly call: ClientDuplexStream<AgentMessage, AggregatorMessage>;
  readonly client: GrpcClient;
  readonly serialize: (m: AgentMessage) => Buffer;
  /** write() returned false: wait for 'drain' before writing more. */
  blocked: boolean;
  /** A report came due while blocked; one fresh report goes out on drain. */
  reportDue: boolean;
  /** The aggregator answered (headers or a message). */
  responded: boolean;
  gotAck: boolean;
  /** The seq of the stream's Hello: its Ack lists the aggregator's features. */
  helloSeq: number;
  /** The aggregator offered "report-delta" in the Ack of the Hello. */
  deltas: boolean;
  lastReport: SentReport | undefined;
  ended: boolean;
  closed: boolean;
  /** Set when the reporter itself cancels: what to say instead of "cancelled". */
  cancelReason: Failure | "stopping" | undefined;
  watchdog: NodeJS.Timeout | undefined;
}

interface Failure {
  /** Errors with one key are logged once per outage. */
  key: string;
  message: string;
  /** How the first one is logged; default warn. */
  level?: ReporterLogLevel;
}

type State = "idle" | "connecting" | "open" | "backoff" | "stopped";

/** What a connection attempt needs before it opens a stream. */
interface Setup {
  grpc: typeof import("@grpc/grpc-js");
  Client: Awaited<ReturnType<typeof loadAggregatorProtocol>>["Client"];
  service: ServiceDefinition;
  token: string | undefined;
  credentials: import("@grpc/grpc-js").ChannelCredentials;
  /** Added to CHANNEL_OPTIONS (the TLS name of an aggregator reached by address). */
  channelOptions?: Record<string, string>;
}

interface GrpcLikeStatus {
  code?: unknown;
  details?: unknown;
  message?: unknown;
}

export class Reporter {
  readonly bootId = randomUUID();
  private readonly opts: ReporterOptions;
  private readonly now: () => number;
  private readonly outbox: Outbox<Buffered>;
  private readonly baseMs: number;
  private readonly maxMs: number;

  private state: State = "idle";
  private started = false;
  /** stop() was called: no new reconnects, only the flush attempt. */
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private stream: Stream | undefined;
  private rounds = 0;
  private seq = 0;
  private attempt = 0;
  private intervalTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  /** Woken when the outbox empties or the stream ends while stop() flushes. */
  private flushWaiter: (() => void) | undefined;
  /** The latest token read, only to scrub it from error texts; never logged. */
  private token: string | undefined;
  private serializer: ((m: AgentMessage) => Buffer) | undefined;

  private readonly loggedErrors = new Set<string>();
  private overflowWarned = false;
  private everConnected = false;
  private readonly counters = { sent: 0, acked: 0, reconnects: 0 };
  private lastAckMs: number | undefined;
  private lastError: string | undefined;

  constructor(opts: ReporterOptions) {
    if (!(opts.intervalMs > 0)) throw new RangeError(`reporter intervalMs must be positive, got ${opts.intervalMs}`);
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.outbox = new Outbox<Buffered>(opts.bufferLimit ?? DEFAULT_BUFFER_LIMIT);
    this.baseMs = Math.max(1, opts.backoff?.baseMs ?? DEFAULT_BACKOFF_BASE_MS);
    this.maxMs = Math.max(this.baseMs, opts.backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS);
  }

  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    if (this.opts.caFile === undefined && !isLoopbackListen(this.opts.address)) {
      // The aggregator refuses plaintext beyond loopback unless told to; say what this side risks.
      this.log(
        "warn",
        `reporting to ${this.opts.address} without TLS: the token and reports can be read on the way; set report.caFile to the CA the aggregator publishes`,
      );
    }
    this.intervalTimer = setInterval(() => this.reportNow(), this.opts.intervalMs);
    void this.connect();
  }

  /** Queues a finding (id assigned: `${bootId}:${seq}`); sent now if connected, else when connected; kept until acked. */
  addFinding(f: Omit<Finding, "id" | "atMs"> & { atMs?: number }): void {
    // The id is the boot id and the seq of the message that first carries it (the contract's
    // definition); it is set when the finding first goes out and stays the same on every resend.
    const finding: Finding = { ...f, id: "", atMs: f.atMs ?? this.now() };
    this.enqueue({ kind: "finding", finding });
  }

  addCommandUpdate(u: CommandUpdate): void {
    this.enqueue({ kind: "commandUpdate", update: { ...u } });
  }

  /** Sends a report now (e.g. after a big change) if connected. */
  reportNow(): void {
    const s = this.stream;
    if (!s || s.ended) return;
    if (s.blocked) {
      s.reportDue = true;
      return;
    }
    this.sendReport(s);
  }

  status(): ReporterStatus {
    const s = this.stream;
    const status: ReporterStatus = {
      connected: s !== undefined && !s.ended && s.responded,
      address: this.opts.address,
      buffered: this.outbox.size,
      dropped: this.outbox.dropped,
      sent: this.counters.sent,
      acked: this.counters.acked,
      reconnects: this.counters.reconnects,
    };
    if (this.lastAckMs !== undefined) status.lastAckMs = this.lastAckMs;
    if (this.lastError !== undefined) status.lastError = this.lastError;
    return status;
  }

  /** Stops: tries to flush unacked findings for up to `graceMs` (default 2 s), then ends the stream. */
  stop(graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    this.stopped ??= this.shutdown(graceMs);
    return this.stopped;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.intervalTimer) clearInterval(this.intervalTimer);
    this.intervalTimer = undefined;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
    const deadline = Date.now() + Math.max(0, graceMs);

    if (this.started && this.outbox.size > 0 && graceMs > 0) {
      // Between attempts: one more try right away, so what is buffered gets its chance.
      if (this.state === "backoff" || this.state === "idle") void this.connect();
      await this.waitForFlush(deadline);
    }
    this.state = "stopped";
    const s = this.stream;
    if (s && !s.ended) await this.endStream(s, Math.min(END_GRACE_MS, Math.max(0, deadline - Date.now())));

    const left = this.outbox.size;
    if (this.started && left > 0) {
      this.log("warn", `stopping with ${left} finding${left === 1 ? "" : "s"} the aggregator at ${this.opts.address} has not acknowledged; they are lost`);
    }
  }

  // ---- connection ----

  private async connect(): Promise<void> {
    if (this.state === "connecting" || this.state === "open" || this.state === "stopped") return;
    this.state = "connecting";
    this.backoffTimer = undefined;
    const round = ++this.rounds;
    if (round > 1) this.counters.reconnects++;
    this.log("debug", `connecting to the aggregator at ${this.opts.address} (attempt ${this.attempt + 1})`);

    const setup = await this.setUp();
    if (setup === undefined) return;
    if (this.state !== "connecting") return; // stop() finished meanwhile

    const connectMethod = setup.service["Connect"];
    const serialize = connectMethod ? (m: AgentMessage) => connectMethod.requestSerialize(m) : (m: AgentMessage) => Buffer.from(JSON.stringify(m));
    this.serializer = serialize;

    const opened = this.openCall(setup);
    if (opened === undefined) return;
    const s: Stream = {
      round,
      call: opened.call,
      client: opened.client,
      serialize,
      blocked: false,
      reportDue: false,
      responded: false,
      gotAck: false,
      helloSeq: 0,
      deltas: false,
      lastReport: undefined,
      ended: false,
      closed: false,
      cancelReason: undefined,
      watchdog: undefined,
    };
    this.stream = s;
    this.state = "open";
    this.listen(s);
    s.helloSeq = this.write(s, {
      hello: {
        node: this.opts.node,
        agentVersion: this.opts.agentVersion,
        bootId: this.bootId,
        reportIntervalSeconds: Math.max(1, Math.ceil(this.opts.intervalMs / 1000)),
        protocol: PROTOCOL,
      },
    });
    if (!this.stopping) this.sendReport(s);
    this.flush(s);
  }

  /** grpc-js and the protocol loaded, the token read, the credentials made; undefined when that failed (said and retried). */
  private async setUp(): Promise<Setup | undefined> {
    try {
      const [grpc, { Client, service }] = await Promise.all([import("@grpc/grpc-js"), loadAggregatorProtocol()]);
      let token: string | undefined;
      try {
        token = (await this.opts.token()) || undefined;
      } catch (e) {
        throw new SetupError("token", `cannot read the aggregator token: ${errorText(e)}`);
      }
      this.token = token;
      if (this.opts.caFile === undefined) return { grpc, Client, service, token, credentials: grpc.credentials.createInsecure() };
      let ca: Buffer;
      try {
        // A CA bundle is a few KB; the whole system trust store is about 220 KB (core/fs refuses FIFOs and devices).
        ca = await readRegularFile(this.opts.caFile, { maxBytes: 1024 * 1024 });
      } catch (e) {
        // core/fs names the file and says why: "/etc/ca.pem: is a FIFO (named pipe), not a regular file".
        throw new SetupError("ca-file", `cannot read the aggregator CA file ${errorText(e)}`);
      }
      const name = aggregatorTlsName(this.opts.address);
      const verify = name.checkServerIdentity ? { checkServerIdentity: name.checkServerIdentity } : undefined;
      return { grpc, Client, service, token, credentials: grpc.credentials.createSsl(ca, null, null, verify), channelOptions: name.channelOptions };
    } catch (e) {
      const failure =
        e instanceof SetupError ? { key: e.key, message: e.message } : { key: "setup", message: `cannot set up the aggregator connection: ${errorText(e)}` };
      this.state = "idle";
      this.failed(failure, false);
      return undefined;
    }
  }

  /** A channel of its own and the Connect call on it; undefined when that failed (said and retried). */
  private openCall(setup: Setup): { client: InstanceType<Setup["Client"]>; call: ClientDuplexStream<AgentMessage, AggregatorMessage> } | undefined {
    const metadata = new setup.grpc.Metadata();
    if (setup.token !== undefined) metadata.set("authorization", `Bearer ${setup.token}`);
    try {
      const client = new setup.Client(this.opts.address, setup.credentials, { ...CHANNEL_OPTIONS, ...setup.channelOptions });
      const open = client["Connect"] as ((m: typeof metadata) => ClientDuplexStream<AgentMessage, AggregatorMessage>) | undefined;
      if (typeof open !== "function") throw new Error("the loaded proto has no Aggregator.Connect");
      return { client, call: open.call(client, metadata) };
    } catch (e) {
      this.state = "idle";
      this.failed({ key: "client", message: `cannot open a stream to the aggregator at ${this.opts.address}: ${errorText(e)}` }, false);
      return undefined;
    }
  }

  /** Follows what happens on the stream; gives it up if its channel does not connect in time. */
  private listen(s: Stream): void {
    const { call, client } = s;
    call.on("metadata", () => {
      s.responded = true;
    });
    call.on("data", (m: AggregatorMessage) => this.onMessage(s, m));
    call.on("drain", () => this.onDrain(s));
    call.on("error", (e: GrpcLikeStatus) => this.onStreamEnd(s, e));
    call.on("status", (st: GrpcLikeStatus) => this.onStreamEnd(s, st));
    s.watchdog = setTimeout(() => {
      s.watchdog = undefined;
      if (s.ended || s.responded || client.getChannel().getConnectivityState(false) === 2 /* READY */) return;
      s.cancelReason = {
        key: "connect-timeout",
        message: `the aggregator at ${this.opts.address} is unreachable: no connection within ${CONNECT_TIMEOUT_MS / 1000} s`,
      };
      call.cancel();
    }, CONNECT_TIMEOUT_MS);
  }

  private onMessage(s: Stream, m: AggregatorMessage): void {
    if (s.ended) return;
    s.responded = true;
    if (m.body === "ack" && m.ack) {
      const seq = Number(m.ack.seq);
      this.counters.acked++;
      this.lastAckMs = this.now();
      if (!s.gotAck) this.onFirstAck(s);
      if (seq === s.helloSeq) s.deltas = (m.ack.features ?? []).includes(FEATURE_REPORT_DELTA);
      if (s.lastReport?.seq === seq) s.lastReport.acked = true;
      this.outbox.ack(seq);
      if (this.outbox.size === 0) {
        if (this.overflowWarned) {
          this.overflowWarned = false;
          this.log("info", `the aggregator caught up with the buffered findings (${this.outbox.dropped} dropped in total while it was away)`);
        }
        this.flushWaiter?.();
      }
    } else if (m.body === "fullReportRequest") {
      // Our delta did not apply to what the aggregator holds: the next report goes out whole.
      this.log("debug", `the aggregator asked for a full report (after message ${m.fullReportRequest?.seq ?? "?"})`);
      s.lastReport = undefined;
      this.reportNow();
    } else if (m.body === "command" && m.command) {
      const command = m.command;
      this.log("debug", `command ${command.id} (${command.kind ?? "unknown kind"}) from the aggregator`);
      if (this.opts.onCommand) {
        try {
          this.opts.onCommand(command);
        } catch (e) {
          this.log("warn", `handling command ${command.id} from the aggregator failed: ${errorText(e)}`);
        }
      }
    }
  }

  private onFirstAck(s: Stream): void {
    s.gotAck = true;
    const waiting = this.outbox.size;
    const backlog = waiting > 0 ? ` (${waiting} finding${waiting === 1 ? "" : "s"} awaiting its ack)` : "";
    if (!this.everConnected) this.log("info", `connected to the aggregator at ${this.opts.address}${backlog}`);
    else if (this.lastError !== undefined) this.log("info", `reconnected to the aggregator at ${this.opts.address}${backlog}`);
    else this.log("debug", `reconnected to the aggregator at ${this.opts.address}${backlog}`);
    this.everConnected = true;
    this.lastError = undefined;
    this.loggedErrors.clear();
  }

  private onDrain(s: Stream): void {
    if (s.ended || this.stream !== s) return;
    s.blocked = false;
    if (s.reportDue && !this.stopping) {
      s.reportDue = false;
      this.sendReport(s);
    }
    this.flush(s);
  }

  private onStreamEnd(s: Stream, st: GrpcLikeStatus): void {
    if (s.ended) return;
    this.release(s);
    const ownCancel = s.cancelReason === "stopping";
    if (!ownCancel) {
      const failure = typeof s.cancelReason === "object" ? s.cancelReason : this.describe(st, s);
      this.failed(failure, s.gotAck);
    } else {
      this.flushWaiter?.();
    }
  }

  /** A connection attempt or stream failed: say so (once per kind per outage) and try again later. */
  private failed(failure: Failure, streamWasAcked: boolean): void {
    const message = this.scrub(failure.message);
    this.lastError = message;
    if (!this.loggedErrors.has(failure.key)) {
      this.loggedErrors.add(failure.key);
      const waiting = this.outbox.size;
      const kept = waiting > 0 ? `; ${waiting} finding${waiting === 1 ? "" : "s"} kept for resending` : "";
      this.log(failure.level ?? "warn", `${message}${this.stopping ? "" : `; retrying with back-off${kept}`}`);
    } else {
      this.log("debug", message);
    }
    if (this.state === "open" || this.state === "connecting") this.state = "idle";
    if (this.stopping || this.state === "stopped") {
      this.flushWaiter?.();
      return;
    }
    if (streamWasAcked) this.attempt = 0;
    const cap = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const delay = Math.floor(Math.random() * cap); // full jitter
    this.log("debug", `next connection attempt to ${this.opts.address} in ${delay} ms`);
    this.state = "backoff";
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      if (this.state === "backoff") {
        this.state = "idle";
        void this.connect();
      }
    }, delay);
  }

  /** Half-closes the stream, gives the aggregator `waitMs` to end it, then cancels; closes the channel. */
  private async endStream(s: Stream, waitMs: number): Promise<void> {
    s.cancelReason = "stopping";
    if (waitMs > 0) {
      try {
        s.call.end();
      } catch {
        // already ended
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        s.call.once("status", done);
        s.call.once("error", done);
      });
    }
    if (!s.ended) s.call.cancel();
    // cancel() reports its status asynchronously; the channel closes now either way.
    this.release(s);
  }

  /** The stream is over: no more writes on it, its timer stops and its channel closes. */
  private release(s: Stream): void {
    s.ended = true;
    if (s.watchdog) clearTimeout(s.watchdog);
    s.watchdog = undefined;
    if (this.stream === s) this.stream = undefined;
    if (!s.closed) {
      s.closed = true;
      s.client.close();
    }
  }

  private waitForFlush(deadline: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.flushWaiter = undefined;
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
      this.flushWaiter = () => {
        // Ends when everything is acked, or the only attempt is over.
        if (this.outbox.size === 0 || this.state !== "open" || this.stream === undefined) finish();
      };
      if (this.outbox.size === 0) finish();
    });
  }

  // ---- sending ----

  private enqueue(item: Buffered): void {
    const dropped = this.outbox.push(item);
    if (dropped.length > 0 && !this.overflowWarned) {
      this.overflowWarned = true;
      this.log(
        "warn",
        `the aggregator at ${this.opts.address} has not acknowledged ${this.outbox.limit} findings: dropping the oldest ` +
          `until it catches up (status shows the count)`,
      );
    }
    const s = this.stream;
    if (s && !s.ended && !s.blocked) this.flush(s);
  }

  /** Sends every buffered item not yet sent on this stream, oldest first, until grpc asks to wait. */
  private flush(s: Stream): void {
    if (s.ended || s.blocked) return;
    for (const entry of this.outbox.unsent(s.round)) {
      if (s.ended || s.blocked) return;
      this.sendEntry(s, entry);
    }
  }

  private sendEntry(s: Stream, entry: OutboxEntry<Buffered>): void {
    const item = entry.item;
    const seq = this.seq + 1;
    if (item.kind === "finding" && item.finding.id === "") item.finding.id = `${this.bootId}:${seq}`;
    const body: AgentBody = item.kind === "finding" ? { finding: item.finding } : { commandUpdate: item.update };
    if (entry.seq === undefined) {
      // First time out: a message that cannot be encoded or is too large would end every stream
      // it goes on, so it is dropped here with a warning instead of blocking the ones behind it.
      const problem = this.encodingProblem({ seq, ...body });
      if (problem !== undefined) {
        this.outbox.drop(entry);
        const what =
          item.kind === "finding" ? `finding ${item.finding.id} (${item.finding.kind ?? "unknown kind"})` : `update of command ${item.update.commandId}`;
        this.log("warn", `dropping ${what}: ${problem}`);
        return;
      }
    }
    const sent = this.write(s, body);
    this.outbox.markSent(entry, sent, s.round);
  }

  private sendReport(s: Stream): void {
    let report: NodeReport;
    try {
      report = this.opts.buildReport();
    } catch (e) {
      this.log("warn", `building the node report failed: ${errorText(e)}`);
      return;
    }
    const body = this.reportBody(s, report);
    const problem = this.encodingProblem({ seq: this.seq + 1, ...body });
    if (problem !== undefined) {
      this.log("warn", `not sending the node report: ${problem}`);
      return;
    }
    // A copy: buildReport may hand out objects it changes later, and the base must stay as sent.
    s.lastReport = { seq: this.write(s, body), report: structuredClone(report), acked: false };
  }

  /**
   * The report whole, or what changed since the latest one when the aggregator takes deltas and
   * has acknowledged that one (until then it may not hold it: the report goes whole).
   */
  private reportBody(s: Stream, report: NodeReport): AgentBody {
    const base = s.lastReport;
    if (!s.deltas || base === undefined || !base.acked) return { report };
    return { delta: { baseSeq: base.seq, ...diffReport(base.report, report) } };
  }

  private write(s: Stream, body: AgentBody): number {
    const seq = ++this.seq;
    this.counters.sent++;
    if (!s.call.write({ seq, ...body })) s.blocked = true;
    return seq;
  }

  private encodingProblem(m: AgentMessage): string | undefined {
    const serialize = this.serializer;
    if (!serialize) return undefined;
    let bytes: number;
    try {
      bytes = serialize(m).length;
    } catch (e) {
      return `it does not encode as pullmedic.v1 (${errorText(e)})`;
    }
    if (bytes > MAX_MESSAGE_BYTES) return `${bytes} bytes is over the ${MAX_MESSAGE_BYTES}-byte message limit`;
    return undefined;
  }

  // ---- words ----

  private describe(st: GrpcLikeStatus, s: Stream): Failure {
    const code = typeof st.code === "number" ? st.code : 2;
    const name = CODE_NAMES[code] ?? String(code);
    const details = cleanDetails(String(st.details ?? st.message ?? ""));
    const at = `the aggregator at ${this.opts.address}`;
    const tail = details ? `: ${details}` : "";
    switch (name) {
      case "OK":
        return { key: "ended", message: `${at} ended the stream`, level: "info" };
      case "UNAUTHENTICATED":
        return this.token === undefined
          ? { key: name, message: `${at} requires a token and none is configured (UNAUTHENTICATED${tail})` }
          : { key: name, message: `${at} refused the token (UNAUTHENTICATED${tail})` };
      case "PERMISSION_DENIED":
        return { key: name, message: `${at} does not let this agent report (PERMISSION_DENIED${tail})` };
      case "RESOURCE_EXHAUSTED":
        return { key: name, message: `${at} refused a message as too large or is over capacity (RESOURCE_EXHAUSTED${tail})` };
      case "INVALID_ARGUMENT":
        return { key: name, message: `${at} refused a message as malformed (INVALID_ARGUMENT${tail})` };
      case "UNIMPLEMENTED":
        return { key: name, message: `${at} does not serve ${PROTOCOL} Aggregator/Connect (UNIMPLEMENTED${tail}): is it a pullmedic aggregator?` };
      case "CANCELLED":
        // Not the reporter's own cancel (that is not reported): the aggregator shut down or reset the stream.
        return { key: "closed", message: `${at} closed the stream, shutting down or restarting? (CANCELLED${tail})` };
      case "UNAVAILABLE": {
        const paren = details ? ` (${details})` : "";
        if (s.responded) return { key: "dropped", message: `the connection to the aggregator at ${this.opts.address} dropped${paren}` };
        if (/ECONNREFUSED/i.test(details)) return { key: "refused", message: `${at} is unreachable: connection refused, nothing listens there${paren}` };
        if (/ENOTFOUND|EAI_AGAIN|DNS resolution|name resolution/i.test(details)) {
          return { key: "dns", message: `${at} is unreachable: its host name does not resolve${paren}` };
        }
        if (/certificate|SSL|TLS|handshake|self.signed|altname/i.test(details)) {
          const ca = this.opts.caFile !== undefined ? ` with the CA file ${this.opts.caFile}` : "";
          return { key: "tls", message: `TLS to the aggregator at ${this.opts.address} failed${ca}${paren}` };
        }
        return { key: "unreachable", message: `${at} is unreachable${paren}` };
      }
      default:
        return { key: name, message: `the stream to the aggregator at ${this.opts.address} failed (${name}${tail})` };
    }
  }

  private scrub(text: string): string {
    const token = this.token;
    return token !== undefined && token.length >= 4 ? text.split(token).join("[token]") : text;
  }

  private log(level: ReporterLogLevel, message: string): void {
    this.opts.log?.(level, this.scrub(message));
  }
}

class SetupError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/** grpc-js details without their boilerplate ("No connection established. Last error: Error: …. Resolution note:"). */
function cleanDetails(details: string): string {
  return details
    .replace(/\s*Resolution note:\s*$/, "")
    .replace(/^No connection established\. Last error: (Error: )?/, "")
    .replace(/\.$/, "")
    .trim();
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
