// The JSON API's answers: a view of the list, the pre-pull commands, one command's progress. Every
// body carries generatedAt, the time it was computed at.

import type { ClusterState } from "../cluster-state.js";
import { commandStatus } from "../prepull-commands.js";
import { parseQuery, wholeNumber } from "../query.js";
import type { Store } from "../store/index.js";
import { type ViewThread, ViewThreadUnavailable } from "../view-thread/index.js";
import { MAX_LISTED, pageFields, pageOf, pageQuery, type View } from "../views/index.js";
import { type Answer, HttpProblem, json, jsonText } from "./answer.js";
import type { Turns } from "./turns.js";
import { type ViewCache, viewKey } from "./view-cache.js";

export const COMMANDS_PATH = "/api/v1/commands";
const COMMAND_PREFIX = `${COMMANDS_PATH}/`;
const COMMANDS_QUERY = { limit: wholeNumber(1, 500, 20) };
/** One command's progress, a page of its nodes at a time (a cluster pre-pull may go to 20,000). */
const COMMAND_QUERY = pageQuery(1000, 5000);

export interface ApiSources {
  state: ClusterState;
  store: Store;
  now(): number;
}

/** What the views' answers are served from (view-cache.ts). */
export interface ViewSources extends ApiSources {
  views: ViewCache<Promise<Answer>>;
  /** Where view computations wait for their turn on the main thread (turns.ts); absent, they run at once. */
  turns?: Turns;
  /** Where views computed from the nodes alone are computed (view-thread); absent, on the main thread. */
  thread?: ViewThread;
}

function envelope(now: number, body: Record<string, unknown>): Answer {
  return json(200, { generatedAt: now, ...body });
}

/** The view's answer as computed at most the cache's window ago; generatedAt says when. */
export function viewAnswer(view: View, url: URL, sources: ViewSources): Promise<Answer> {
  const at = sources.now();
  const here = () => computedHere(view, url, at, sources);
  const { thread } = sources;
  const compute =
    thread?.available && !view.reads.queries
      ? () =>
          thread.compute(view, url.searchParams, at).then(
            (body) => jsonText(200, body),
            (err: unknown) => (err instanceof ViewThreadUnavailable ? here() : Promise.reject(err)),
          )
      : here;
  return sources.views.get(viewKey(view, url.searchParams), at, compute);
}

/** The view's answer computed on the main thread, in its turn. */
function computedHere(view: View, url: URL, at: number, { state, store, turns }: ViewSources): Promise<Answer> {
  const compute = async () => {
    const body = await view.compute({ state, store, now: at, options: { staleAfterIntervals: state.staleAfterIntervals } }, url.searchParams);
    return envelope(at, body);
  };
  return turns ? turns.run(compute) : compute();
}

/** The latest pre-pull commands, newest first. */
export async function commandsAnswer(url: URL, { store, now }: ApiSources): Promise<Answer> {
  const at = now();
  const { limit } = parseQuery(COMMANDS_QUERY, url.searchParams, at);
  // A command's plan lists every node it went to: its first ones here, all of them with the command.
  const commands = (await store.latestCommands(limit)).map((c) => ({ ...c, plan: c.plan.slice(0, MAX_LISTED), planCount: c.plan.length }));
  return envelope(at, { commands });
}

/** /api/v1/commands/<id>: the command's progress on the nodes it was sent to, a page of them at a time. */
export async function commandAnswer(path: string, url: URL, { store, now }: ApiSources): Promise<Answer> {
  let id: string;
  try {
    id = decodeURIComponent(path.slice(COMMAND_PREFIX.length));
  } catch {
    throw new HttpProblem(400, `command id: ${JSON.stringify(path.slice(COMMAND_PREFIX.length, 120))} is not valid percent-encoding`);
  }
  const cmd = id === "" || id.includes("/") ? undefined : await store.command(id);
  if (!cmd) return json(404, { error: `no command ${JSON.stringify(id.slice(0, 80))} (commands are kept until the retention prunes them)` });
  const at = now();
  const { limit, continue: offset } = parseQuery(COMMAND_QUERY, url.searchParams, at);
  // done and counts cover every node; the nodes, plan and updates listed are the page's.
  const status = commandStatus(cmd);
  const page = pageOf(status.nodes, limit, offset);
  const listed = new Set(page.items.map((n) => n.node));
  return envelope(at, {
    ...status,
    nodes: page.items,
    ...pageFields(page),
    plan: cmd.plan.filter((p) => listed.has(p.node)),
    updates: cmd.updates.filter((u) => listed.has(u.node)),
  });
}
