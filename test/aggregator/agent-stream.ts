// An agent's stream as the aggregator meets it, for the tests that talk gRPC to a real aggregator.
import * as grpc from "@grpc/grpc-js";
import {
  type AgentMessage,
  type AggregatorMessage,
  emptyNodeReport,
  type Finding,
  type Hello,
  loadAggregatorProtocol,
  type NodeReport,
  PROTOCOL,
} from "../../core/protocol/index.js";

export function report(partial: Partial<NodeReport> = {}): NodeReport {
  return {
    ...emptyNodeReport(Date.now()),
    runtime: "containerd 1.7.2",
    disks: [{ mountpoint: "/var/lib/containerd", capacityBytes: 100e9, availableBytes: 40e9, usedPercent: 60, inodesFree: 1e6 }],
    images: { count: 12, bytes: 3e9, inUse: 5, sandboxImage: "registry.k8s.io/pause:3.9" },
    ...partial,
  };
}

export function hello(node: string, partial: Partial<Hello> = {}): Hello {
  return { node, agentVersion: "0.1.0-test", bootId: `boot-${node}`, reportIntervalSeconds: 10, protocol: PROTOCOL, ...partial };
}

export function diagnosis(id: string, partial: Partial<NonNullable<Finding["diagnosis"]>> = {}): Finding {
  return {
    id,
    atMs: Date.now(),
    diagnosis: {
      pod: "shop/web-1",
      container: "web",
      image: "ghcr.io/acme/web:1.2",
      registry: "ghcr.io",
      reason: "ErrImagePull",
      cause: "not-found",
      summary: "tag 1.2 does not exist",
      fix: [],
      sinceMs: Date.now(),
      impact: 1,
      note: "",
      ...partial,
    },
  };
}

export async function newClient(address: string): Promise<grpc.Client> {
  const { Client } = await loadAggregatorProtocol();
  return new Client(address, grpc.credentials.createInsecure(), { "grpc.enable_retries": 0, "grpc.max_send_message_length": 64 << 20 });
}

/** One agent stream: what it sent, the acks it got, and its end. */
export class Agent {
  readonly acks: number[] = [];
  readonly status: Promise<grpc.StatusObject>;
  private seq = 0;
  private waiters: { seq: number; resolve: () => void }[] = [];
  readonly call: grpc.ClientDuplexStream<AgentMessage, AggregatorMessage>;

  constructor(client: grpc.Client, token: string | undefined) {
    const md = new grpc.Metadata();
    if (token !== undefined) md.set("authorization", `Bearer ${token}`);
    this.call = (client as unknown as { Connect(md: grpc.Metadata): grpc.ClientDuplexStream<AgentMessage, AggregatorMessage> }).Connect(md);
    this.status = new Promise((resolve) => this.call.on("status", resolve));
    this.call.on("error", () => undefined);
    this.call.on("data", (m: AggregatorMessage) => {
      if (!m.ack) return;
      this.acks.push(m.ack.seq);
      const seq = m.ack.seq;
      const due = this.waiters.filter((w) => w.seq <= seq);
      this.waiters = this.waiters.filter((w) => w.seq > seq);
      for (const w of due) w.resolve();
    });
  }

  send(body: Omit<AgentMessage, "seq">): number {
    const seq = ++this.seq;
    this.call.write({ seq, ...body });
    return seq;
  }

  /** Resolves once `seq` is acked; rejects when the stream ends first or after `ms`. */
  acked(seq: number, ms = 10_000): Promise<void> {
    if (this.acks.includes(seq)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack for ${seq} within ${ms} ms`)), ms);
      void this.status.then((s) => {
        clearTimeout(timer);
        if (!this.acks.includes(seq)) reject(new Error(`the stream ended before the ack of ${seq}: ${grpc.status[s.code]}: ${s.details}`));
      });
      this.waiters.push({
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async helloAndReport(node: string, r: NodeReport = report()): Promise<void> {
    this.send({ hello: hello(node) });
    await this.acked(this.send({ report: r }));
  }

  async end(): Promise<grpc.StatusObject> {
    this.call.end();
    return this.status;
  }
}
