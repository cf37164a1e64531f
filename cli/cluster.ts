// `pullmedic cluster prepull`: asks the aggregator to have every connected agent pre-pull images
// (staggered per Docker Hub egress source), then follows the command's progress per node and image
// until each has a final state or the timeout. Only HTTP to the aggregator: no gRPC, no runtime.

import { tryParseReference } from "../core/image/index.js";
import { rememberSecret } from "../core/log/index.js";
import { formatDurationMs, parseDuration } from "../core/text/index.js";
import { EXIT_OK, EXIT_PROBLEM, UsageError } from "./errors.js";
import { readFlagFile } from "./flag-file.js";
import type { VerbResult } from "./result.js";

export interface ClusterPrepullFlags {
  aggregator?: string;
  tokenFile?: string;
  /** false with --no-wait. */
  wait?: boolean;
  timeout?: string;
  json?: boolean;
  pollInterval?: string;
}

export const DEFAULT_AGGREGATOR_URL = "http://127.0.0.1:9478";
const REQUEST_TIMEOUT_MS = 15_000;
const FINAL = new Set(["pulled", "unchanged", "failed", "deferred"]);

interface PlanEntry {
  node: string;
  notBeforeMs: number;
  notBefore?: string;
}

interface PrepullAnswer {
  id: string;
  createdAt?: string;
  images: string[];
  plan: PlanEntry[];
  skipped?: { node: string; reason: string }[];
  unsent?: string[];
}

interface ImageProgress {
  image: string;
  state: string;
  final?: boolean;
  cause?: string;
  summary?: string;
  durationMs?: number;
}

interface CommandAnswer {
  id: string;
  done: boolean;
  counts?: Record<string, number>;
  nodes: { node: string; notBeforeMs: number; images: ImageProgress[] }[];
}

/** The aggregator could not be reached at all (not an answer from it). */
class Unreachable extends Error {}

function aggregatorUrl(flags: ClusterPrepullFlags, env: NodeJS.ProcessEnv): URL {
  const raw = flags.aggregator ?? (env["PULLMEDIC_AGGREGATOR"] || DEFAULT_AGGREGATOR_URL);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--aggregator "${raw}" is not a URL; write it like ${DEFAULT_AGGREGATOR_URL}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--aggregator "${raw}" must be an http:// or https:// URL`);
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

async function readToken(flags: ClusterPrepullFlags, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const file = flags.tokenFile ?? (env["PULLMEDIC_TOKEN_FILE"] || undefined);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFlagFile("--token-file", file);
  } catch (err) {
    throw new UsageError(`cannot read the token file ${(err as Error).message.replace(/^cannot read --token-file /, "")}`);
  }
  const token = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== "" && !l.startsWith("#"));
  if (token === undefined) throw new UsageError(`the token file ${file} holds no token`);
  rememberSecret(token);
  return token;
}

function parseWait(text: string | undefined, flag: string, fallbackMs: number, minMs: number): number {
  if (text === undefined) return fallbackMs;
  const ms = parseDuration(text);
  if (ms === undefined || ms < minMs || ms > 7 * 86_400_000) throw new UsageError(`${flag} "${text}" must be a duration like 30s, 10m or 1h`);
  return ms;
}

function networkProblem(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? "";
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "the host name does not resolve";
  if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT" || (err as Error).name === "TimeoutError") return "no answer in time";
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return "the connection was reset";
  return cause?.message ?? (err instanceof Error ? err.message : String(err));
}

async function call(base: URL, path: string, init: { method?: string; body?: string; token?: string | undefined }): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, base);
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? "GET",
      headers: {
        accept: "application/json",
        ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(init.token !== undefined ? { authorization: `Bearer ${init.token}` } : {}),
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new Unreachable(
      `cannot reach the aggregator at ${base.href}: ${networkProblem(err)} (is \`pullmedic aggregator\` running there? point --aggregator or $PULLMEDIC_AGGREGATOR at it)`,
    );
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text for the message
  }
  return { status: res.status, body };
}

function errorOf(body: unknown): string {
  if (body && typeof body === "object" && typeof (body as { error?: unknown }).error === "string") return (body as { error: string }).error;
  return typeof body === "string" ? body.trim().slice(0, 300) : JSON.stringify(body).slice(0, 300);
}

function when(ms: number, from: number): string {
  const d = ms - from;
  const clock = new Date(ms).toISOString().slice(11, 19);
  return d <= 500 ? "now" : `in ${formatDurationMs(Math.round(d / 1000) * 1000)} (${clock} UTC)`;
}

function describe(p: ImageProgress): string {
  const parts = [p.state];
  if (p.durationMs) parts.push(`in ${formatDurationMs(Math.max(1000, Math.round(p.durationMs / 1000) * 1000))}`);
  const why = [p.cause, p.summary].filter(Boolean).join(": ");
  return why ? `${parts.join(" ")} — ${why}` : parts.join(" ");
}

/** What one run of the verb talks to, and how it prints (nothing with --json). */
interface Session {
  base: URL;
  token: string | undefined;
  print: (line: string) => void;
}

export async function clusterPrepullVerb(
  images: string[],
  flags: ClusterPrepullFlags,
  env: NodeJS.ProcessEnv,
  progress: (line: string) => void,
): Promise<VerbResult> {
  checkImages(images);
  const session: Session = {
    base: aggregatorUrl(flags, env),
    token: await readToken(flags, env),
    print: (line) => {
      if (!flags.json) progress(`${line}\n`);
    },
  };
  const timeoutMs = parseWait(flags.timeout, "--timeout", 10 * 60_000, 1000);
  const pollMs = parseWait(flags.pollInterval, "--poll-interval", 1000, 100);
  const started = Date.now();

  const answer = await requestPrepull(session, images);
  const skipped = answer.skipped ?? [];
  const json: Record<string, unknown> = { id: answer.id, images: answer.images, plan: answer.plan, skipped };
  if (answer.plan.length === 0) throw noAgents(session.base, skipped);
  const width = printPlan(session, answer, answer.createdAt ? Date.parse(answer.createdAt) : started);
  if (flags.wait === false) {
    return { exitCode: EXIT_OK, json, text: `follow it with: curl ${new URL(commandPath(answer.id), session.base).href}\n` };
  }
  const last = await follow(session, answer.id, width, started + timeoutMs, pollMs);
  return finalResult(answer.id, json, last, started);
}

function checkImages(images: string[]): void {
  if (images.length === 0) throw new UsageError("name at least one image, e.g. pullmedic cluster prepull nginx:1.27");
  const problems = images.flatMap((image) => {
    const ref = tryParseReference(image);
    return ref instanceof Error ? [ref.message] : [];
  });
  if (problems.length) throw new UsageError(problems.join("\n"));
}

function commandPath(id: string): string {
  return `api/v1/commands/${encodeURIComponent(id)}`;
}

/** A request the aggregator refuses is bad usage (exit 2); any other failure is a problem (exit 1). */
async function requestPrepull(session: Session, images: string[]): Promise<PrepullAnswer> {
  const posted = await call(session.base, "api/v1/prepull", { method: "POST", body: JSON.stringify({ images }), token: session.token });
  if (posted.status === 401) {
    throw new UsageError(
      `the aggregator refused the request: ${errorOf(posted.body)}; ` +
        (session.token === undefined
          ? "pass --token-file (or set $PULLMEDIC_TOKEN_FILE) with one of the aggregator's tokens"
          : "the token in --token-file is not one it accepts"),
    );
  }
  if (posted.status === 400 || posted.status === 413 || posted.status === 415)
    throw new UsageError(`the aggregator refused the request: ${errorOf(posted.body)}`);
  if (posted.status !== 202) throw new Error(`the aggregator answered ${posted.status} to the pre-pull request: ${errorOf(posted.body)}`);
  return posted.body as PrepullAnswer;
}

function noAgents(base: URL, skipped: { node: string; reason: string }[]): Error {
  const known = skipped.length
    ? ` (it knows ${skipped.length} node(s), none connected and reporting: ${skipped
        .slice(0, 10)
        .map((s) => `${s.node} ${s.reason}`)
        .join(", ")}${skipped.length > 10 ? ", …" : ""})`
    : "";
  return new Error(`no connected agents: the aggregator at ${base.href} has no agent to pre-pull on${known}; nothing was pulled`);
}

/** Prints the plan, a line per node; returns the width of the node column, kept for the progress lines. */
function printPlan(session: Session, answer: PrepullAnswer, createdMs: number): number {
  session.print(`pre-pull ${answer.id}: ${answer.images.join(", ")} on ${answer.plan.length} node(s)`);
  const width = Math.max(...answer.plan.map((p) => p.node.length));
  for (const p of answer.plan) session.print(`  ${p.node.padEnd(width)}  starts ${when(p.notBeforeMs, createdMs)}`);
  for (const s of answer.skipped ?? [])
    session.print(`  ${s.node.padEnd(width)}  skipped: ${s.reason === "stale" ? "stale (missed its reports)" : "agent not connected"}`);
  return width;
}

/**
 * Asks for the command's progress until it is done or the deadline passes, printing each node and
 * image as its state changes. An aggregator that stops answering is waited for, not given up on.
 */
async function follow(session: Session, id: string, width: number, deadline: number, pollMs: number): Promise<CommandAnswer | undefined> {
  const seen = new Map<string, string>();
  let last: CommandAnswer | undefined;
  let unreachableSince = 0;
  for (;;) {
    let status: { status: number; body: unknown } | undefined;
    try {
      status = await call(session.base, commandPath(id), { token: session.token });
      if (unreachableSince) session.print(`aggregator reachable again`);
      unreachableSince = 0;
    } catch (err) {
      if (!(err instanceof Unreachable)) throw err;
      if (!unreachableSince) session.print(`${err.message}; retrying until the timeout`);
      unreachableSince ||= Date.now();
    }
    if (status && status.status !== 200) throw new Error(`the aggregator answered ${status.status} about command ${id}: ${errorOf(status.body)}`);
    if (status) {
      last = status.body as CommandAnswer;
      printChanges(session, last, seen, width);
      if (last.done) break;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
  return last;
}

/** `seen` holds the line last printed for each node and image, so that only changes are printed. */
function printChanges(session: Session, answer: CommandAnswer, seen: Map<string, string>, width: number): void {
  for (const n of answer.nodes) {
    for (const img of n.images) {
      const key = `${n.node}\n${img.image}`;
      const line = describe(img);
      if (img.state === "pending" || seen.get(key) === line) continue;
      seen.set(key, line);
      session.print(`${n.node.padEnd(width)}  ${img.image}: ${line}`);
    }
  }
}

/** Exit 0 only when the command finished and every image was pulled or unchanged on every node. */
function finalResult(id: string, json: Record<string, unknown>, last: CommandAnswer | undefined, started: number): VerbResult {
  const elapsed = formatDurationMs(Math.max(1000, Math.round((Date.now() - started) / 1000) * 1000));
  const counts: Record<string, number> = { pulled: 0, unchanged: 0, failed: 0, deferred: 0, unfinished: 0 };
  const unfinished: string[] = [];
  for (const n of last?.nodes ?? []) {
    for (const img of n.images) {
      if (FINAL.has(img.state)) counts[img.state] = (counts[img.state] ?? 0) + 1;
      else {
        counts["unfinished"] = (counts["unfinished"] ?? 0) + 1;
        unfinished.push(`${n.node} ${img.image} (${img.state})`);
      }
    }
  }
  const timedOut = !last?.done;
  const ok = !timedOut && (counts["failed"] ?? 0) === 0 && (counts["deferred"] ?? 0) === 0;
  const tally = `${counts["pulled"]} pulled, ${counts["unchanged"]} unchanged, ${counts["failed"]} failed, ${counts["deferred"]} deferred`;
  let text: string;
  if (last === undefined) text = `timed out after ${elapsed}: the aggregator could not be asked about command ${id}\n`;
  else if (timedOut) {
    text = `timed out after ${elapsed}: ${tally}; still waiting on ${unfinished.slice(0, 10).join(", ")}${unfinished.length > 10 ? `, and ${unfinished.length - 10} more` : ""}\n`;
  } else text = `${ok ? "done" : "finished with problems"} in ${elapsed}: ${tally}\n`;
  return { exitCode: ok ? EXIT_OK : EXIT_PROBLEM, json: { ...json, done: !timedOut, timedOut, counts, nodes: last?.nodes ?? [] }, text };
}
