// The aggregator's HTTP routes as a table: health, readiness, metrics, every view of the list, the
// pre-pull commands. What no route takes falls to the dashboard's files, then to a 404 listing
// what there is.

import type { IncomingMessage } from "node:http";
import type { Logger } from "../../core/log/index.js";
import type { AggregatorMetrics } from "../metrics.js";
import type { DispatchResult } from "../prepull-commands.js";
import type { ViewThread } from "../view-thread/index.js";
import { VIEWS } from "../views/index.js";
import { type Answer, json, plainText } from "./answer.js";
import { type ApiSources, COMMANDS_PATH, commandAnswer, commandsAnswer, viewAnswer } from "./api.js";
import type { HttpAccess } from "./guards.js";
import { acceptPrepull } from "./prepull.js";
import { Turns } from "./turns.js";
import { DEFAULT_VIEW_CACHE_WINDOW_MS, ViewCache } from "./view-cache.js";

export interface RouteRequest {
  req: IncomingMessage;
  url: URL;
  path: string;
}

export interface Route {
  /** The path, or with `prefix` what every path it takes starts with. */
  path: string;
  prefix?: boolean;
  /** GET routes answer HEAD too. */
  method: "GET" | "POST";
  answer(r: RouteRequest): Answer | Promise<Answer>;
}

export interface RouteSources extends ApiSources {
  metrics: AggregatorMetrics;
  /** Who may ask what (guards.ts); checked before any route answers. */
  access: HttpAccess;
  log: Logger;
  prepull(images: string[]): Promise<DispatchResult>;
  ready(): Promise<{ ready: boolean; reasons: string[] }>;
  /** How long a view's answer is served again (view-cache.ts); default 1 s, 0 computes every request. */
  viewCacheWindowMs?: number;
  /** Where views are computed (view-thread); absent, on the main thread. */
  viewThread?: ViewThread;
}

export function aggregatorRoutes(deps: RouteSources): Route[] {
  const { metrics } = deps;
  const sources = {
    ...deps,
    views: new ViewCache<Promise<Answer>>({
      windowMs: deps.viewCacheWindowMs ?? DEFAULT_VIEW_CACHE_WINDOW_MS,
      weigh: (a) => a.body.length,
      onLookup: (hit) => metrics.viewAnswered(hit),
    }),
    turns: new Turns(),
    thread: deps.viewThread,
  };
  return [
    { path: "/healthz", method: "GET", answer: () => plainText(200, "ok\n") },
    {
      path: "/readyz",
      method: "GET",
      answer: async () => {
        const r = await deps.ready();
        return r.ready ? plainText(200, "ready\n") : plainText(503, `not ready: ${r.reasons.join("; ")}\n`);
      },
    },
    { path: "/metrics", method: "GET", answer: async () => ({ status: 200, type: metrics.contentType, body: await metrics.render() }) },
    ...VIEWS.map((view): Route => ({ path: view.path, method: "GET", answer: ({ url }) => viewAnswer(view, url, sources) })),
    { path: COMMANDS_PATH, method: "GET", answer: ({ url }) => commandsAnswer(url, deps) },
    { path: `${COMMANDS_PATH}/`, prefix: true, method: "GET", answer: ({ path, url }) => commandAnswer(path, url, deps) },
    {
      path: "/api/v1/prepull",
      method: "POST",
      answer: ({ req }) => acceptPrepull(req, (images) => deps.prepull(images), deps.log),
    },
  ];
}

/** The route for a path: an exact one first, else the first prefix it starts with. */
export function findRoute(routes: readonly Route[], path: string): Route | undefined {
  return routes.find((r) => !r.prefix && r.path === path) ?? routes.find((r) => r.prefix && path.startsWith(r.path));
}

/** No route and no file: 404, with the paths worth trying. */
export function notFound(path: string): Answer {
  const paths = ["/", ...VIEWS.map((v) => v.path), "/metrics", "/healthz", "/readyz"];
  return json(404, { error: `no such path: ${path.slice(0, 200)}`, try: paths });
}

/** The method is not one the path takes: 405 saying which it does. */
export function wrongMethod(method: string, path: string, route: Route | undefined): Answer {
  if (route?.method === "POST") return json(405, { error: `${method} ${path}: only POST` }, { Allow: "POST" });
  return json(405, { error: `${method} ${path}: only GET and HEAD here` }, { Allow: "GET, HEAD" });
}
