// `pullmedic cluster prepull`: asks the aggregator to have every connected agent pre-pull images
// (staggered per Docker Hub egress source), then follows the command's progress per node and image
// until each has a final state or the timeout. Only HTTP to the aggregator: no gRPC, no runtime.

import { readFile } from "node:fs/promises";
import { formatDurationMs, parseDuration } from "../core/text/index.js";
import { tryParseReference } from "../core/image/index.js";
import { EXIT_OK, EXIT_PROBLEM, UsageError } from "./errors.js";
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
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read the token file ${file}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (err as Error).message}`);
  }
  const token = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== "" && !l.startsWith("#"));
  if (token === undefined) throw new UsageError(`the token file ${file} holds no token`);
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
    throw new Unreachable(`cannot reach the aggregator at ${base.href}: ${networkProblem(err)} (is \`pullmedic aggregator\` running there? point --aggregator or $PULLMEDIC_AGGREGATOR at it)`);
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

export async function clusterPrepullVerb(images: string[], flags: ClusterPrepullFlags, env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<VerbResult> {
  if (images.length === 0) throw new UsageError("name at least one image, e.g. pullmedic cluster prepull nginx:1.27");
  const problems = images.flatMap((image) => {
    const ref = tryParseReference(image);
    return ref instanceof Error ? [ref.message] : [];
  });
  if (problems.length) throw new UsageError(problems.join("\n"));
  const base = aggregatorUrl(flags, env);
  const token = await readToken(flags, env);
  const timeoutMs = parseWait(flags.timeout, "--timeout", 10 * 60_000, 1000);
  const pollMs = parseWait(flags.pollInterval, "--poll-interval", 1000, 100);
  const print = (line: string) => {
    if (!flags.json) progress(`${line}\n`);
  };
  const started = Date.now();

  const posted = await call(base, "api/v1/prepull", { method: "POST", body: JSON.stringify({ images }), token });
  if (posted.status === 401) {
    throw new UsageError(
      `the aggregator refused the request: ${errorOf(posted.body)}; ` +
        (token === undefined ? "pass --token-file (or set $PULLMEDIC_TOKEN_FILE) with one of the aggregator's tokens" : "the token in --token-file is not one it accepts"),
    );
  }
  if (posted.status === 400 || posted.status === 413 || posted.status === 415) throw new UsageError(`the aggregator refused the request: ${errorOf(posted.body)}`);
  if (posted.status !== 202) throw new Error(`the aggregator answered ${posted.status} to the pre-pull request: ${errorOf(posted.body)}`);
  const answer = posted.body as PrepullAnswer;
  const createdMs = answer.createdAt ? Date.parse(answer.createdAt) : started;
  const skipped = answer.skipped ?? [];
  const json: Record<string, unknown> = { id: answer.id, images: answer.images, plan: answer.plan, skipped };

  if (answer.plan.length === 0) {
    const known = skipped.length
      ? ` (it knows ${skipped.length} node(s), none connected and reporting: ${skipped.slice(0, 10).map((s) => `${s.node} ${s.reason}`).join(", ")}${skipped.length > 10 ? ", …" : ""})`
      : "";
    throw new Error(`no connected agents: the aggregator at ${base.href} has no agent to pre-pull on${known}; nothing was pulled`);
  }

  print(`pre-pull ${answer.id}: ${answer.images.join(", ")} on ${answer.plan.length} node(s)`);
  const width = Math.max(...answer.plan.map((p) => p.node.length));
  for (const p of answer.plan) print(`  ${p.node.padEnd(width)}  starts ${when(p.notBeforeMs, createdMs)}`);
  for (const s of skipped) print(`  ${s.node.padEnd(width)}  skipped: ${s.reason === "stale" ? "stale (missed its reports)" : "agent not connected"}`);
  if (flags.wait === false) {
    return { exitCode: EXIT_OK, json, text: `follow it with: curl ${new URL(`api/v1/commands/${encodeURIComponent(answer.id)}`, base).href}\n` };
  }

  const seen = new Map<string, string>();
  let last: CommandAnswer | undefined;
  let unreachableSince = 0;
  const deadline = started + timeoutMs;
  for (;;) {
    let status: { status: number; body: unknown } | undefined;
    try {
      status = await call(base, `api/v1/commands/${encodeURIComponent(answer.id)}`, { token });
      if (unreachableSince) print(`aggregator reachable again`);
      unreachableSince = 0;
    } catch (err) {
      if (!(err instanceof Unreachable)) throw err;
      if (!unreachableSince) print(`${err.message}; retrying until the timeout`);
      unreachableSince ||= Date.now();
    }
    if (status && status.status !== 200) throw new Error(`the aggregator answered ${status.status} about command ${answer.id}: ${errorOf(status.body)}`);
    if (status) {
      last = status.body as CommandAnswer;
      for (const n of last.nodes) {
        for (const img of n.images) {
          const key = `${n.node}\n${img.image}`;
          const line = describe(img);
          if (img.state === "pending" || seen.get(key) === line) continue;
          seen.set(key, line);
          print(`${n.node.padEnd(width)}  ${img.image}: ${line}`);
        }
      }
      if (last.done) break;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }

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
  if (last === undefined) text = `timed out after ${elapsed}: the aggregator could not be asked about command ${answer.id}\n`;
  else if (timedOut) {
    text = `timed out after ${elapsed}: ${tally}; still waiting on ${unfinished.slice(0, 10).join(", ")}${unfinished.length > 10 ? `, and ${unfinished.length - 10} more` : ""}\n`;
  } else text = `${ok ? "done" : "finished with problems"} in ${elapsed}: ${tally}\n`;
  return { exitCode: ok ? EXIT_OK : EXIT_PROBLEM, json: { ...json, done: !timedOut, timedOut, counts, nodes: last?.nodes ?? [] }, text };
}
