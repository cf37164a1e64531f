// The aggregator's HTTP face (port 9478): health, the JSON API the dashboard and `pullmedic
// cluster` read, the pre-pull command (POST, bearer token), Prometheus metrics, and the dashboard's
// static files from aggregator/web/.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../core/log/index.js";
import { serveHttp } from "../../core/net/index.js";
import { QueryProblem } from "../query.js";
import { type Answer, HttpProblem, json } from "./answer.js";
import { guard, type HttpAccess } from "./guards.js";
import { aggregatorRoutes, findRoute, notFound, type Route, type RouteSources, wrongMethod } from "./routes.js";
import { dashboardRoot, staticFile } from "./static.js";

export interface AggregatorHttpDeps extends RouteSources {
  /** The dashboard's files; a missing folder only means no dashboard. */
  webDir: string;
}

export interface AggregatorHttp {
  url: string;
  close(): Promise<void>;
}

/** Every answer carries these unless it says otherwise (the dashboard's files may be cached). */
const DEFAULT_HEADERS = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY" };

export async function startAggregatorHttp(listen: string, deps: AggregatorHttpDeps): Promise<AggregatorHttp> {
  const webRoot = await dashboardRoot(deps.webDir);
  if (webRoot === undefined) deps.log.warn(`no dashboard files at ${deps.webDir}: / answers 404, the API works`);
  const routes = aggregatorRoutes(deps);
  const answer = (req: IncomingMessage) => route(req, routes, webRoot, deps);
  return serveHttp(listen, (req, res) => void respond(req, res, answer, deps.log)).catch((err: unknown) => {
    throw new Error(`HTTP: ${err instanceof Error ? err.message : String(err)}`);
  });
}

async function route(
  req: IncomingMessage,
  routes: readonly Route[],
  webRoot: string | undefined,
  deps: { access: HttpAccess; metrics: AggregatorHttpDeps["metrics"] },
): Promise<Answer> {
  const url = new URL(req.url ?? "/", "http://aggregator");
  const path = url.pathname;
  const method = req.method ?? "GET";
  await guard(req, deps.access, deps.metrics);
  const found = findRoute(routes, path);
  const allowed = found?.method === "POST" ? method === "POST" : method === "GET" || method === "HEAD";
  if (!allowed) return wrongMethod(method, path, found);
  if (found) return found.answer({ req, url, path });
  if (!path.startsWith("/api/")) {
    const file = await staticFile(webRoot, path);
    if (file) return file;
  }
  return notFound(path);
}

/** Writes the answer, or the error answer of what the route threw; HEAD gets the headers only. */
async function respond(req: IncomingMessage, res: ServerResponse, answer: (req: IncomingMessage) => Promise<Answer>, log: Logger): Promise<void> {
  let a: Answer;
  try {
    a = await answer(req);
  } catch (err) {
    a = errorAnswer(req, err, log);
  }
  if (!res.headersSent) res.writeHead(a.status, { "Content-Type": a.type, ...DEFAULT_HEADERS, ...a.headers });
  res.end(req.method === "HEAD" ? undefined : a.body);
}

function errorAnswer(req: IncomingMessage, err: unknown, log: Logger): Answer {
  if (err instanceof HttpProblem) return json(err.status, { error: err.message, ...err.extra }, err.headers);
  if (err instanceof QueryProblem) return json(400, { error: err.message });
  const message = err instanceof Error ? err.message : String(err);
  log.error(`${req.method ?? "?"} ${(req.url ?? "").slice(0, 200)} failed: ${message}`);
  return json(500, { error: `internal error: ${message}` });
}
