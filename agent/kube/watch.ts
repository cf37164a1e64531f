/**
 * The pod watch: list (every page) → sync → watch from the list's resourceVersion, and keep it
 * going until aborted. A stream the server ends (timeoutSeconds) is resumed at once from the last
 * resourceVersion seen (bookmarks included); a 410 means that version is gone, so the pods are
 * listed afresh; every other failure waits a jittered, doubling back-off, reset once a watch
 * connects. Bad objects are skipped and reported, never fatal.
 */

import { KubeApiError, type KubeHttp, type KubeRequest, type LogFn, reasonForStatus, showPath } from "../../core/kube/index.js";
import { DecodeError, decodeList, decodePod, decodeWatchLine, resourceVersionOf } from "./decode.js";
import { LineSplitter } from "./lines.js";
import type { KubeApi, Pod, PodWatchEvent, WatchStatus } from "./types.js";

export interface WatchSettings {
  watchTimeoutSeconds: number;
  /** How long a watch stream may stay silent before it is given up as dead. */
  watchIdleMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  listPageSize: number;
  responseLimit: number;
}

type WatchOptions = Parameters<KubeApi["watchPods"]>[0];

/** One watch line at most this long; a longer one is skipped, so a runaway stream cannot eat memory. */
const MAX_WATCH_LINE = 16 * 1024 * 1024;
/** A continue token that expires (410) restarts the list; this many times in a row, then it is an error. */
const LIST_RESTARTS = 3;
/** Pages of one list at most: a node's pods are a few pages; a list that never ends would hold them all. */
const LIST_PAGES = 1000;
/** A watch that ends or expires this fast, delivering nothing, this many times in a row, backs off like an error. */
const QUICK_END_MS = 1000;
const QUICK_ENDS_ALLOWED = 3;
const RETRY_AFTER_CAP_MS = 10 * 60_000;

/** The delay before attempt `attempt` (1, 2, ...): doubling from base to max, the upper half jittered, never below Retry-After. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, retryAfterSeconds?: number, random: () => number = Math.random): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  let delay = Math.round(full / 2 + (random() * full) / 2);
  if (retryAfterSeconds !== undefined) delay = Math.max(delay, Math.min(retryAfterSeconds * 1000, RETRY_AFTER_CAP_MS));
  return delay;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function watchPods(http: KubeHttp, settings: WatchSettings, options: WatchOptions): Promise<void> {
  const signal = AbortSignal.any([options.signal, http.closedSignal]);
  const ctx: WatchContext = { http, settings, selector: `spec.nodeName=${options.nodeName}`, signal, log: http.log, ...guardedObservers(http.log, options) };
  const state: WatchState = { resourceVersion: undefined, attempt: 0, quickEnds: 0 };
  while (!signal.aborted) {
    const round: Round = { phase: "list", started: Date.now(), delivered: false, ended: false };
    try {
      await watchRound(ctx, state, round);
    } catch (err) {
      if (signal.aborted) break;
      await recover(ctx, state, round, err);
    }
  }
}

/** What does not change while the pod watch runs; `status` and `emit` only log their observers' failures. */
interface WatchContext {
  http: KubeHttp;
  settings: WatchSettings;
  selector: string;
  signal: AbortSignal;
  log: LogFn;
  status: (s: WatchStatus) => void;
  emit: (e: PodWatchEvent) => void;
}

/** What one round hands to the next. */
interface WatchState {
  /** Where the next watch resumes; undefined means list the pods first. */
  resourceVersion: string | undefined;
  /** The back-off's attempt counter, reset when a watch connects. */
  attempt: number;
  /** Watches in a row that ended or failed at once without delivering anything. */
  quickEnds: number;
}

/** One round: a list when there is no version to resume from, then one watch request. */
interface Round {
  phase: "list" | "watch";
  started: number;
  delivered: boolean;
  /** Whether the watch ended on its own (its quick end is counted there, not again as a failure). */
  ended: boolean;
}

function guardedObservers(log: LogFn, options: WatchOptions): Pick<WatchContext, "status" | "emit"> {
  const status = (s: WatchStatus): void => {
    try {
      options.onStatus?.(s);
    } catch (err) {
      log("warn", `pod watch: the status observer failed: ${message(err)}`);
    }
  };
  const emit = (e: PodWatchEvent): void => {
    try {
      options.onEvent(e);
    } catch (err) {
      // The consumer's bug must not stop the watch (nor lose our place in it).
      log("warn", `pod watch: the event handler failed on a ${e.type} event: ${message(err)}`);
    }
  };
  return { status, emit };
}

/** A list if needed, then one watch read to its end; what ends the round other than the server closing the watch throws. */
async function watchRound(ctx: WatchContext, state: WatchState, round: Round): Promise<void> {
  const { http, settings, selector, signal, status, log } = ctx;
  let from = state.resourceVersion;
  if (from === undefined) {
    status({ state: "listing" });
    const listed = await listPods(http, settings, selector, signal, (error) => status({ state: "skipped", error }));
    from = state.resourceVersion = listed.resourceVersion;
    ctx.emit({ type: "sync", pods: listed.pods, resourceVersion: from });
  }
  round.phase = "watch";
  round.started = Date.now();
  const outcome = await watchOnce(http, settings, selector, from, signal, roundHandlers(ctx, state, round));
  if (signal.aborted) return;
  round.ended = true;
  state.quickEnds = countQuickEnd(state.quickEnds, outcome.delivered, round.started);
  if (outcome.end === "expired") {
    status({ state: "expired", resourceVersion: state.resourceVersion ?? "" });
    log("info", `pod watch: resourceVersion ${state.resourceVersion ?? ""} expired; listing the pods again`);
    state.resourceVersion = undefined;
  } else {
    log("debug", `pod watch: the server ended the watch at resourceVersion ${state.resourceVersion}; watching on`);
  }
  if (state.quickEnds >= QUICK_ENDS_ALLOWED) throw new Error(`the server ended ${state.quickEnds} watches in a row as soon as they started`);
}

/** The watch's callbacks: they carry the version forward, mark the round as having delivered, and reset the back-off on connecting. */
function roundHandlers(ctx: WatchContext, state: WatchState, round: Round): WatchHandlers {
  return {
    connected: (rv) => {
      state.attempt = 0;
      ctx.status({ state: "watching", resourceVersion: rv });
    },
    event: (e) => {
      round.delivered = true;
      state.resourceVersion = e.resourceVersion;
      ctx.emit(e);
    },
    bookmark: (rv) => {
      round.delivered = true;
      state.resourceVersion = rv;
      ctx.status({ state: "bookmark", resourceVersion: rv });
    },
    skipped: (error, rv) => {
      if (rv !== undefined) state.resourceVersion = rv;
      ctx.status({ state: "skipped", error });
    },
  };
}

/** A watch that delivered something or lasted QUICK_END_MS ends the run of quick ends; otherwise it adds to it. */
function countQuickEnd(quickEnds: number, delivered: boolean, started: number): number {
  return delivered || Date.now() - started >= QUICK_END_MS ? 0 : quickEnds + 1;
}

/** After a failed round: a 410 on the watch lists afresh at once (unless watches keep ending at once); anything else backs off. */
async function recover(ctx: WatchContext, state: WatchState, round: Round, err: unknown): Promise<void> {
  if (round.phase === "watch" && !round.ended) {
    // A watch that is accepted and then fails at once (a proxy cutting every stream) resets
    // the attempts when it connects; counted as a quick end, it still backs off further each time.
    state.quickEnds = countQuickEnd(state.quickEnds, round.delivered, round.started);
  }
  if (err instanceof KubeApiError && err.status === 410 && round.phase === "watch") {
    // An HTTP 410 on the watch request: the version is too old to resume from.
    ctx.status({ state: "expired", resourceVersion: state.resourceVersion ?? "" });
    state.resourceVersion = undefined;
    if (state.quickEnds < QUICK_ENDS_ALLOWED) return;
  }
  // Attempts reset when a watch connects; a server that keeps ending watches at once still backs off further.
  state.attempt = Math.max(state.attempt + 1, state.quickEnds - QUICK_ENDS_ALLOWED + 1);
  const retryAfter = err instanceof KubeApiError ? err.retryAfterSeconds : undefined;
  const delayMs = backoffDelay(state.attempt, ctx.settings.backoffBaseMs, ctx.settings.backoffMaxMs, retryAfter);
  const error = ctx.http.scrub(message(err));
  ctx.status({ state: "retrying", error, delayMs, attempt: state.attempt });
  ctx.log(state.attempt <= 1 ? "info" : "warn", `pod watch: ${error}; retrying in ${delayMs} ms (attempt ${state.attempt})`);
  await sleep(delayMs, ctx.signal);
}

/** Every page of the node's pods; a continue token that expired (410) restarts the list from the first page. */
async function listPods(
  http: KubeHttp,
  settings: WatchSettings,
  selector: string,
  signal: AbortSignal,
  skipped: (error: string) => void,
): Promise<{ pods: Pod[]; resourceVersion: string }> {
  for (let restart = 0; ; restart++) {
    const pods: Pod[] = [];
    let token: string | undefined;
    let resourceVersion: string | undefined;
    const tokens = new Set<string>();
    do {
      const query = new URLSearchParams({ fieldSelector: selector, limit: String(settings.listPageSize) });
      if (token !== undefined) query.set("continue", token);
      const req: KubeRequest = { verb: "GET", path: `/api/v1/pods?${query.toString()}`, signal };
      let value: unknown;
      try {
        value = await http.json(req, settings.responseLimit);
      } catch (err) {
        if (token !== undefined && err instanceof KubeApiError && err.status === 410 && restart < LIST_RESTARTS) {
          http.log("info", `pod list: the continue token expired; listing from the first page again`);
          token = undefined;
          break;
        }
        throw err;
      }
      let page;
      try {
        page = decodeList(value, "PodList", decodePod);
      } catch (err) {
        if (err instanceof DecodeError)
          throw new KubeApiError({
            verb: "GET",
            path: showPath(req.path),
            status: 200,
            reason: "MalformedResponse",
            detail: `200: unusable pod list: ${err.message}`,
          });
        throw err;
      }
      for (const e of page.skipped) skipped(`pod list: ${e.message}`);
      pods.push(...page.items);
      // Every page of one list is a snapshot at the same version.
      resourceVersion ??= page.resourceVersion;
      token = page.continueToken;
      if (token !== undefined && (tokens.has(token) || tokens.size >= LIST_PAGES)) {
        const why = tokens.has(token)
          ? "the same continue token came back twice (is a proxy dropping the continue parameter?)"
          : `more than ${LIST_PAGES} pages`;
        throw new KubeApiError({ verb: "GET", path: showPath(req.path), status: 200, reason: "MalformedResponse", detail: `200: unusable pod list: ${why}` });
      }
      if (token !== undefined) tokens.add(token);
      if (token === undefined) {
        if (resourceVersion === "")
          throw new KubeApiError({
            verb: "GET",
            path: showPath(req.path),
            status: 200,
            reason: "MalformedResponse",
            detail: "200: unusable pod list: metadata.resourceVersion: missing",
          });
        return { pods, resourceVersion };
      }
    } while (!signal.aborted);
    if (signal.aborted) throw new Error("aborted");
  }
}

interface WatchHandlers {
  connected: (resourceVersion: string) => void;
  event: (e: Extract<PodWatchEvent, { pod: Pod }>) => void;
  bookmark: (resourceVersion: string) => void;
  skipped: (error: string, resourceVersion: string | undefined) => void;
}

/** One watch request, read to its end: "closed" when the server ended it, "expired" on an ERROR 410; other failures throw. */
async function watchOnce(
  http: KubeHttp,
  settings: WatchSettings,
  selector: string,
  fromVersion: string,
  signal: AbortSignal,
  on: WatchHandlers,
): Promise<{ end: "closed" | "expired"; delivered: boolean }> {
  const query = new URLSearchParams({
    watch: "true",
    fieldSelector: selector,
    resourceVersion: fromVersion,
    allowWatchBookmarks: "true",
    timeoutSeconds: String(settings.watchTimeoutSeconds),
  });
  const req: KubeRequest = { verb: "GET", path: `/api/v1/pods?${query.toString()}`, signal, deadline: false, bodyTimeoutMs: settings.watchIdleMs };
  const res = await http.send(req);
  if (res.status !== 200) throw await http.statusError(res);
  on.connected(fromVersion);
  let rv = fromVersion;
  let delivered = false;
  const lines = new LineSplitter(MAX_WATCH_LINE);
  const handle = (line: Buffer): "expired" | undefined => {
    let value: unknown;
    try {
      value = JSON.parse(line.toString("utf8"));
    } catch {
      on.skipped(`watch: a line is not JSON: ${JSON.stringify(http.scrub(line.subarray(0, 120).toString("utf8")))}`, undefined);
      return undefined;
    }
    let decoded;
    try {
      decoded = decodeWatchLine(value);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      on.skipped(`watch: ${err.message}`, undefined);
      return undefined;
    }
    if (decoded.type === "BOOKMARK") {
      delivered = true;
      rv = decoded.resourceVersion;
      on.bookmark(rv);
      return undefined;
    }
    if (decoded.type === "ERROR") {
      const code = decoded.status?.code;
      if (code === 410) return "expired";
      const reason = decoded.status?.reason ?? (code !== undefined ? reasonForStatus(code) : undefined);
      throw new KubeApiError({
        verb: "GET",
        path: res.shownPath,
        status: code ?? 500,
        reason,
        detail: `watch ERROR ${code ?? "(no code)"} ${reason ?? ""}: ${http.scrub(decoded.status?.message ?? JSON.stringify(decoded.object ?? null).slice(0, 200))}`,
      });
    }
    delivered = true;
    const objectRv = resourceVersionOf(decoded.object);
    let pod: Pod;
    try {
      pod = decodePod(decoded.object, "object");
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      if (objectRv !== undefined) rv = objectRv;
      on.skipped(`watch ${decoded.type}: ${err.message}`, objectRv);
      return undefined;
    }
    rv = objectRv ?? rv;
    on.event({ type: decoded.type === "ADDED" ? "added" : decoded.type === "MODIFIED" ? "modified" : "deleted", pod, resourceVersion: rv });
    return undefined;
  };

  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      for (const item of lines.push(chunk)) {
        if (item.kind === "overlong") {
          on.skipped(`watch: a line longer than ${MAX_WATCH_LINE / 1048576} MiB was skipped`, undefined);
          continue;
        }
        if (handle(item.line) === "expired") {
          res.body.destroy();
          return { end: "expired", delivered };
        }
      }
    }
  } catch (err) {
    res.body.destroy();
    if (err instanceof KubeApiError || signal.aborted) throw err;
    throw http.networkError(req.verb, res.shownPath, err);
  }
  const partial = lines.pending();
  if (partial > 0) http.log("debug", `watch: the stream ended inside a line (${partial} bytes dropped); resuming from ${rv}`);
  return { end: "closed", delivered };
}
