// `kubectl pullmedic failures|nodes|prepull`: the aggregator's API through the API server's service
// proxy (services/proxy), with the person's own identity: no port-forward, no token of ours.

import { tryParseReference } from "../core/image/index.js";
import { formatDurationMs } from "../core/text/index.js";
import { EXIT_OK, EXIT_PROBLEM, UsageError } from "./errors.js";
import { type KubeAccess, type KubeFlags, kubeAccess } from "./kube-access.js";
import type { VerbResult } from "./result.js";

export interface AggregatorFlags extends KubeFlags {
  pullmedicNamespace?: string;
  service?: string;
  json?: boolean;
}

interface NodeRow {
  node: string;
  connected: boolean;
  stale: boolean;
  lastReportMs: number;
  runtime: string;
  runtimeProblem: string;
  failures: number;
  checkErrors: Record<string, string>;
  agentVersion: string;
  conditions?: { type: string; status: string }[];
}
interface FailureGroup {
  cause: string;
  image: string;
  summary: string;
  fix: string[];
  pods: { pod: string; node: string; container: string }[];
  podCount: number;
  nodes: string[];
  nodeCount: number;
  sinceMs: number;
}

function proxyBase(flags: AggregatorFlags): string {
  const ns = encodeURIComponent(flags.pullmedicNamespace ?? "pullmedic");
  return `/api/v1/namespaces/${ns}/services/${encodeURIComponent(flags.service ?? "pullmedic-aggregator")}:http/proxy`;
}

async function ask(kube: KubeAccess, flags: AggregatorFlags, method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const r = await kube.send({
    verb: method,
    path: `${proxyBase(flags)}${path}`,
    ...(body === undefined ? {} : { body: JSON.stringify(body), contentType: "application/json" }),
  });
  let parsed: unknown = r.text;
  try {
    parsed = JSON.parse(r.text);
  } catch {
    // not JSON: an error page of the API server or of the aggregator
  }
  if (r.status === 403)
    throw new UsageError(`the API server refused the proxy request: ${messageOf(parsed)} (the pullmedic-user ClusterRole grants services/proxy)`);
  if (r.status === 503 || r.status === 404) {
    throw new Error(
      `the aggregator ${flags.pullmedicNamespace ?? "pullmedic"}/${flags.service ?? "pullmedic-aggregator"} is not reachable through the API server (${r.status}): ${messageOf(parsed)}`,
    );
  }
  return { status: r.status, body: parsed };
}

function messageOf(body: unknown): string {
  if (body && typeof body === "object") {
    const b = body as { message?: unknown; error?: unknown };
    if (typeof b.message === "string") return b.message;
    if (typeof b.error === "string") return b.error;
  }
  return String(body).trim().slice(0, 300);
}

async function withKube<T>(flags: AggregatorFlags, env: NodeJS.ProcessEnv, use: (kube: KubeAccess) => Promise<T>): Promise<T> {
  const kube = await kubeAccess(flags, env);
  try {
    return await use(kube);
  } finally {
    await kube.close();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  const lines = rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd(),
  );
  return `${lines.join("\n")}\n`;
}

const ago = (ms: number) => (ms > 0 ? `${formatDurationMs(Math.max(1000, Math.round((Date.now() - ms) / 1000) * 1000))} ago` : "never");

export function nodesVerb(flags: AggregatorFlags, env: NodeJS.ProcessEnv): Promise<VerbResult> {
  return withKube(flags, env, async (kube) => {
    const { status, body } = await ask(kube, flags, "GET", "/api/v1/nodes");
    if (status !== 200) throw new Error(`the aggregator answered ${status}: ${messageOf(body)}`);
    const nodes = (body as { nodes: NodeRow[] }).nodes;
    const state = (n: NodeRow) => (n.stale ? "stale" : n.connected ? "reporting" : "disconnected");
    const problems = (n: NodeRow) => [n.runtimeProblem, ...Object.entries(n.checkErrors).map(([k, v]) => `${k}: ${v}`)].filter(Boolean).join("; ");
    const narrow = [["NODE", "STATE", "FAILURES", "RUNTIME"], ...nodes.map((n) => [n.node, state(n), String(n.failures), n.runtime || "—"])];
    const wide = [
      ["NODE", "STATE", "FAILURES", "RUNTIME", "AGENT", "LAST REPORT", "CONDITIONS", "PROBLEMS"],
      ...nodes.map((n) => [
        n.node,
        state(n),
        String(n.failures),
        n.runtime || "—",
        n.agentVersion,
        ago(n.lastReportMs),
        (n.conditions ?? [])
          .filter((c) => c.status === "True")
          .map((c) => c.type)
          .join(",") || "—",
        problems(n) || "—",
      ]),
    ];
    const empty = "the aggregator knows no node yet\n";
    const bad = nodes.some((n) => n.stale || !n.connected || n.runtimeProblem);
    return {
      exitCode: bad ? EXIT_PROBLEM : EXIT_OK,
      json: { nodes },
      text: nodes.length ? table(narrow) : empty,
      wide: nodes.length ? table(wide) : empty,
      names: nodes.map((n) => `node/${n.node}`),
    };
  });
}

export function failuresVerb(flags: AggregatorFlags, env: NodeJS.ProcessEnv): Promise<VerbResult> {
  return withKube(flags, env, async (kube) => {
    const { status, body } = await ask(kube, flags, "GET", "/api/v1/failures");
    if (status !== 200) throw new Error(`the aggregator answered ${status}: ${messageOf(body)}`);
    const groups = (body as { failures: FailureGroup[] }).failures;
    const narrow = [
      ["CAUSE", "IMAGE", "PODS", "NODES", "SINCE"],
      ...groups.map((g) => [g.cause, g.image, String(g.podCount), String(g.nodeCount), ago(g.sinceMs)]),
    ];
    const wide = [
      ["CAUSE", "IMAGE", "PODS", "NODES", "SINCE", "SUMMARY", "FIX"],
      ...groups.map((g) => [g.cause, g.image, String(g.podCount), String(g.nodeCount), ago(g.sinceMs), g.summary, g.fix[0] ?? "—"]),
    ];
    const empty = "no pull is failing in the cluster\n";
    return {
      exitCode: groups.length ? EXIT_PROBLEM : EXIT_OK,
      json: { failures: groups },
      text: groups.length ? table(narrow) : empty,
      wide: groups.length ? table(wide) : empty,
      names: groups.flatMap((g) => g.pods.map((p) => `pod/${p.pod}`)),
    };
  });
}

export function prepullVerb(images: string[], flags: AggregatorFlags, env: NodeJS.ProcessEnv): Promise<VerbResult> {
  if (images.length === 0) throw new UsageError("name at least one image, e.g. kubectl pullmedic prepull nginx:1.27");
  const bad = images.flatMap((i) => {
    const ref = tryParseReference(i);
    return ref instanceof Error ? [ref.message] : [];
  });
  if (bad.length) throw new UsageError(bad.join("\n"));
  return withKube(flags, env, async (kube) => {
    const { status, body } = await ask(kube, flags, "POST", "/api/v1/prepull", { images });
    if (status === 401) {
      throw new UsageError(
        "the aggregator wants its own token for pre-pulls, which the API server's proxy does not carry: run `pullmedic cluster prepull` with --token-file through a port-forward",
      );
    }
    if (status === 400 || status === 413) throw new UsageError(`the aggregator refused the request: ${messageOf(body)}`);
    if (status !== 202) throw new Error(`the aggregator answered ${status}: ${messageOf(body)}`);
    const answer = body as { id: string; images: string[]; plan: { node: string; notBeforeMs: number }[]; skipped?: { node: string; reason: string }[] };
    const lines = [`pre-pull ${answer.id}: ${answer.images.join(", ")} on ${answer.plan.length} node(s)`, ...answer.plan.map((p) => `  ${p.node}`)];
    for (const s of answer.skipped ?? []) lines.push(`  ${s.node}: skipped (${s.reason})`);
    lines.push(`follow it with: kubectl get --raw ${proxyBase(flags)}/api/v1/commands/${encodeURIComponent(answer.id)}`);
    return {
      exitCode: answer.plan.length ? EXIT_OK : EXIT_PROBLEM,
      json: answer as unknown as Record<string, unknown>,
      text: `${lines.join("\n")}\n`,
      names: answer.plan.map((p) => `node/${p.node}`),
    };
  });
}
