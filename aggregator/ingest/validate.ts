// What an agent message must hold before it is written: each problem names the field. Sizes are
// checked against the protocol's limits (core/protocol limits.ts), field by field.

import {
  type AgentMessage,
  type CommandUpdate,
  type Finding,
  type Hello,
  type Measured,
  measureCommandUpdate,
  measureFinding,
  measureHello,
  measureReport,
  type NodeReport,
  PROTOCOL,
} from "../../core/protocol/index.js";

const NODE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
const MAX_ID = 256;

export function shown(value: string, max = 64): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** The problem with a Hello, naming the field; undefined when it is valid. */
export function helloProblem(h: Hello | undefined): string | undefined {
  if (!h) return "hello: missing";
  if (h.protocol !== PROTOCOL) return `hello.protocol: expected "${PROTOCOL}", got ${h.protocol ? shown(h.protocol) : "nothing"}`;
  if (!h.node) return "hello.node: missing (the agent's node name)";
  if (h.node.length > 253) return `hello.node: ${h.node.length} characters, at most 253 (a Kubernetes node name)`;
  if (!NODE_NAME.test(h.node))
    return `hello.node: ${shown(h.node)} is not a node name (letters, digits, '.', '-', '_'; starting and ending with a letter or digit)`;
  return measureHello(h).problem;
}

export function findingProblem(f: Finding | undefined): string | undefined {
  if (!f) return "finding: missing";
  if (!f.id) return "finding.id: missing (boot_id:seq of the message that first carried it)";
  if (f.id.length > MAX_ID) return `finding.id: ${f.id.length} characters, at most ${MAX_ID}`;
  return measureFinding(f).problem;
}

export function commandUpdateProblem(u: CommandUpdate | undefined): string | undefined {
  if (!u) return "command_update: missing";
  if (!u.commandId) return "command_update.command_id: missing";
  if (u.commandId.length > MAX_ID) return `command_update.command_id: ${u.commandId.length} characters, at most ${MAX_ID}`;
  if (!u.image) return "command_update.image: missing";
  if (!u.state) return "command_update.state: missing";
  return measureCommandUpdate(u).problem;
}

/** The problem with a report, naming the field, or its estimated memory when it is valid. */
export function measuredReport(r: NodeReport | undefined): Measured {
  if (!r) return { problem: "report: missing", bytes: 0 };
  if (!Number.isFinite(r.observedAtMs) || r.observedAtMs < 0) return { problem: "report.observed_at_ms: not a time", bytes: 0 };
  return measureReport(r);
}

/** The kind of a message: its oneof body, or the first body field set. */
export function messageType(m: AgentMessage): string {
  if (m.body) return m.body;
  if (m.hello) return "hello";
  if (m.report) return "report";
  if (m.finding) return "finding";
  if (m.commandUpdate) return "commandUpdate";
  if (m.delta) return "delta";
  return "unknown";
}
