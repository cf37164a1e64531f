// The aggregator's HTTP face (port 9478): health, the JSON API the dashboard and `pullmedic
// cluster` read, the pre-pull command (POST, bearer token), Prometheus metrics, and the dashboard's
// static files from aggregator/web/.

import type { IncomingMessage, ServerResponse } from "node:http";
import { readFile, realpath, stat } from "node:fs/promises";
import { isIP } from "node:net";
import { extname, resolve, sep } from "node:path";
import { serveHttp } from "../core/net/index.js";
import { parseDuration } from "../core/text/index.js";
import type { Logger } from "../core/log/index.js";
import type { FindingKind } from "../core/protocol/index.js";
import { tryParseReference } from "../core/image/index.js";
import type { ClusterState } from "./cluster-state.js";
import { commandStatus, type DispatchResult } from "./prepull-commands.js";
import type { BearerTokens } from "./ingest/index.js";
import type { AggregatorMetrics } from "./metrics.js";
import type { Store } from "./store.js";
import { coverageView, disksView, failuresView, nodesView, quotaView, registriesView } from "./views/index.js";

export interface AggregatorHttpDeps {
  state: ClusterState;
  store: Store;
  metrics: AggregatorMetrics;
  /** undefined: POSTs need no token (the embedded one-machine mode). */
  tokens: BearerTokens | undefined;
  now(): number;
  log: Logger;
  /** The dashboard's files; a missing folder only means no dashboard. */
  webDir: string;
  prepull(images: string[]): DispatchResult;
  ready(): { ready: boolean; reasons: string[] };
}

export interface AggregatorHttp {
  url: string;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  type: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

const JSON_TYPE = "application/json; charset=utf-8";
const MAX_BODY_BYTES = 64 * 1024;
const MAX_IMAGES = 100;
const FINDING_KINDS: FindingKind[] = ["diagnosis", "recovery", "prune", "prepull", "secretBroken"];
const DEFAULT_FINDINGS_LIMIT = 100;
const MAX_FINDINGS_LIMIT = 1000;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return { status, type: JSON_TYPE, body: `${JSON.stringify(value)}\n`, headers };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpProblem(413, `body: ${declared} bytes, at most ${MAX_BODY_BYTES}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, `body: larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The images of a pre-pull request, every problem named; throws HttpProblem(400). */
export function parsePrepullBody(text: string): string[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new HttpProblem(400, `body: not JSON (${err instanceof Error ? err.message : String(err)}); send {"images": ["nginx:1.27", …]}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new HttpProblem(400, 'body: expected an object like {"images": ["nginx:1.27"]}');
  const unknown = Object.keys(body).filter((k) => k !== "images");
  const images = (body as { images?: unknown }).images;
  if (images === undefined) throw new HttpProblem(400, 'images: missing; send {"images": ["nginx:1.27", …]}');
  if (!Array.isArray(images)) throw new HttpProblem(400, "images: expected a list of image references");
  if (images.length === 0) throw new HttpProblem(400, "images: empty; name at least one image to pre-pull");
  if (images.length > MAX_IMAGES) throw new HttpProblem(400, `images: ${images.length} images, at most ${MAX_IMAGES} per command`);
  const problems: string[] = unknown.map((k) => `${k}: unknown field (only images is accepted)`);
  images.forEach((image: unknown, i) => {
    if (typeof image !== "string") {
      problems.push(`images[${i}]: expected a string, got ${image === null ? "null" : typeof image}`);
      return;
    }
    const ref = tryParseReference(image);
    if (ref instanceof Error) problems.push(`images[${i}]: ${ref.message}`);
  });
  if (problems.length) throw new HttpProblem(400, problems.length === 1 ? (problems[0] ?? "") : `${problems.length} problems: ${problems.join("; ")}`, { problems });
  return [...new Set(images as string[])];
}

/**
 * Without a token check (allowUnauthenticated: the embedded one-machine mode) the API answers only
 * requests addressed to localhost or to an IP address. A web page can point a name of its own at
 * 127.0.0.1 (DNS rebinding) and so talk to the loopback aggregator as its own origin, reading the
 * cluster view and POSTing pre-pulls; the Host header it sends still carries its own name.
 */
function checkHost(header: string | undefined): void {
  const host = (header ?? "").trim().toLowerCase();
  let name = host;
  if (name.startsWith("[")) name = name.slice(1, name.indexOf("]") < 0 ? undefined : name.indexOf("]"));
  else if (name.lastIndexOf(":") > 0) name = name.slice(0, name.lastIndexOf(":"));
  // No Host at all is no browser (HTTP/1.0 tools).
  const ok = name === "" || name === "localhost" || name.endsWith(".localhost") || isIP(name) !== 0;
  if (!ok) {
    throw new HttpProblem(
      403,
      `host ${JSON.stringify(host.slice(0, 100))}: this aggregator runs without a token check, so it answers only requests addressed to localhost or an IP address (a page on another site could point its name here)`,
    );
  }
}

function intParam(params: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const raw = params.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new HttpProblem(400, `${name}: expected a whole number ${min}..${max}, got ${JSON.stringify(raw.slice(0, 40))}`);
  return Number(raw);
}

/** "24h" (that long ago), a Unix time in milliseconds, or an ISO 8601 time. */
function sinceParam(params: URLSearchParams, now: number): number | undefined {
  const raw = params.get("since");
  if (raw === null || raw === "") return undefined;
  if (/^\d{10,}$/.test(raw)) return Number(raw);
  const d = parseDuration(raw);
  if (d !== undefined) return now - d;
  const t = Date.parse(raw);
  if (Number.isFinite(t)) return t;
  throw new HttpProblem(400, `since: expected a duration (24h), Unix milliseconds or an ISO time, got ${JSON.stringify(raw.slice(0, 40))}`);
}

export async function startAggregatorHttp(listen: string, deps: AggregatorHttpDeps): Promise<AggregatorHttp> {
  const { state, store, metrics, log } = deps;
  const webRoot = await realpath(deps.webDir).catch(() => undefined);
  if (webRoot === undefined) log.warn(`no dashboard files at ${deps.webDir}: / answers 404, the API works`);

  const authorize = (req: IncomingMessage): void => {
    if (!deps.tokens) return;
    const verdict = deps.tokens.check(req.headers.authorization);
    if (!verdict.ok) {
      metrics.rejected("unauthenticated");
      throw new HttpProblem(401, verdict.problem, {}, { "WWW-Authenticate": 'Bearer realm="pullmedic"' });
    }
  };

  const envelope = (body: Record<string, unknown>) => json(200, { generatedAt: deps.now(), ...body });

  const get: Record<string, (url: URL) => Answer | Promise<Answer>> = {
    "/healthz": () => ({ status: 200, type: "text/plain; charset=utf-8", body: "ok\n" }),
    "/readyz": () => {
      const r = deps.ready();
      return { status: r.ready ? 200 : 503, type: "text/plain; charset=utf-8", body: r.ready ? "ready\n" : `not ready: ${r.reasons.join("; ")}\n` };
    },
    "/metrics": async () => ({ status: 200, type: metrics.contentType, body: await metrics.render() }),
    "/api/v1/nodes": () => envelope({ nodes: nodesView(state.nodes(), deps.now(), state) }),
    "/api/v1/failures": () => envelope({ failures: failuresView(state.nodes(), deps.now(), { staleAfterIntervals: state.staleAfterIntervals }) }),
    "/api/v1/registries": () => envelope({ ...registriesView(state.nodes(), deps.now(), { staleAfterIntervals: state.staleAfterIntervals }) }),
    "/api/v1/quota": () => envelope({ ...quotaView(state.nodes(), deps.now()) }),
    "/api/v1/disks": () => envelope({ disks: disksView(state.nodes(), deps.now(), { staleAfterIntervals: state.staleAfterIntervals }) }),
    "/api/v1/coverage": () => {
      // Images of recent cluster pre-pulls count as critical too, next to the agents' own lists.
      const extra = [...new Set(store.latestCommands(5).filter((c) => c.plan.length > 0).flatMap((c) => c.images))];
      return envelope({ ...coverageView(state.nodes(), deps.now(), extra, { staleAfterIntervals: state.staleAfterIntervals }) });
    },
    "/api/v1/findings": (url) => {
      const p = url.searchParams;
      const kind = p.get("kind") || undefined;
      if (kind !== undefined && !FINDING_KINDS.includes(kind as FindingKind)) throw new HttpProblem(400, `kind: expected one of ${FINDING_KINDS.join(", ")}, got ${JSON.stringify(kind.slice(0, 40))}`);
      const node = p.get("node") || undefined;
      if (node !== undefined && node.length > 253) throw new HttpProblem(400, "node: longer than 253 characters");
      const limit = intParam(p, "limit", 1, MAX_FINDINGS_LIMIT, DEFAULT_FINDINGS_LIMIT);
      const sinceMs = sinceParam(p, deps.now());
      const findings = store.findings({ ...(kind ? { kind } : {}), ...(node ? { node } : {}), ...(sinceMs !== undefined ? { sinceMs } : {}), limit });
      return envelope({ findings });
    },
    "/api/v1/commands": (url) => {
      const limit = intParam(url.searchParams, "limit", 1, 500, 20);
      return envelope({ commands: store.latestCommands(limit) });
    },
  };

  async function route(req: IncomingMessage): Promise<Answer> {
    const url = new URL(req.url ?? "/", "http://aggregator");
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (!deps.tokens) checkHost(req.headers.host);
    if (path === "/api/v1/prepull") {
      if (method !== "POST") return json(405, { error: `${method} ${path}: only POST` }, { Allow: "POST" });
      authorize(req);
      const type = req.headers["content-type"] ?? "";
      if (!/^application\/json\b/i.test(type)) throw new HttpProblem(415, `content-type: expected application/json, got ${JSON.stringify(type.slice(0, 60)) || "none"}`);
      const images = parsePrepullBody(await readBody(req));
      const result = deps.prepull(images);
      log.info(`pre-pull ${result.id}: ${images.join(", ")} on ${result.plan.length} node(s)${result.skipped.length ? `, ${result.skipped.length} skipped (stale or disconnected)` : ""}`);
      return json(202, {
        id: result.id,
        createdAt: new Date(result.createdMs).toISOString(),
        images: result.images,
        plan: result.plan.map((p) => ({ ...p, notBefore: new Date(p.notBeforeMs).toISOString() })),
        skipped: result.skipped,
        unsent: result.unsent,
        status: `/api/v1/commands/${encodeURIComponent(result.id)}`,
      });
    }
    if (method !== "GET" && method !== "HEAD") return json(405, { error: `${method} ${path}: only GET and HEAD here` }, { Allow: "GET, HEAD" });
    const handler = get[path];
    if (handler) return handler(url);
    if (path.startsWith("/api/v1/commands/")) {
      let id: string;
      try {
        id = decodeURIComponent(path.slice("/api/v1/commands/".length));
      } catch {
        throw new HttpProblem(400, `command id: ${JSON.stringify(path.slice("/api/v1/commands/".length, 120))} is not valid percent-encoding`);
      }
      const cmd = id === "" || id.includes("/") ? undefined : store.command(id);
      if (!cmd) return json(404, { error: `no command ${JSON.stringify(id.slice(0, 80))} (commands are kept until the retention prunes them)` });
      return envelope({ ...commandStatus(cmd), plan: cmd.plan, updates: cmd.updates });
    }
    if (!path.startsWith("/api/")) {
      const file = await staticFile(path);
      if (file) return file;
    }
    return json(404, { error: `no such path: ${path.slice(0, 200)}`, try: ["/", "/api/v1/nodes", "/api/v1/failures", "/api/v1/registries", "/api/v1/quota", "/api/v1/disks", "/api/v1/coverage", "/api/v1/findings", "/metrics", "/healthz", "/readyz"] });
  }

  /** A file of the dashboard folder, or undefined: nothing outside it is ever read. */
  async function staticFile(path: string): Promise<Answer | undefined> {
    if (webRoot === undefined) return undefined;
    let rel: string;
    try {
      rel = decodeURIComponent(path);
    } catch {
      return undefined;
    }
    if (rel === "/") rel = "/index.html";
    if (rel.includes("\0") || rel.includes("\\") || rel.split("/").some((part) => part === ".." || part.startsWith("."))) return undefined;
    const full = resolve(webRoot, `.${rel}`);
    if (!full.startsWith(webRoot + sep)) return undefined;
    // Symbolic links are followed only when they stay inside the folder.
    const real = await realpath(full).catch(() => undefined);
    if (real === undefined || !real.startsWith(webRoot + sep)) return undefined;
    const info = await stat(real).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const body = await readFile(real);
    return { status: 200, type: CONTENT_TYPES[extname(real).toLowerCase()] ?? "application/octet-stream", body, headers: { "Cache-Control": "no-cache" } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let answer: Answer;
    try {
      answer = await route(req);
    } catch (err) {
      if (err instanceof HttpProblem) answer = json(err.status, { error: err.message, ...err.extra }, err.headers);
      else {
        const message = err instanceof Error ? err.message : String(err);
        log.error(`${req.method ?? "?"} ${(req.url ?? "").slice(0, 200)} failed: ${message}`);
        answer = json(500, { error: `internal error: ${message}` });
      }
    }
    if (!res.headersSent) {
      res.writeHead(answer.status, {
        "Content-Type": answer.type,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        ...answer.headers,
      });
    }
    res.end(req.method === "HEAD" ? undefined : answer.body);
  }

  return serveHttp(listen, (req, res) => void handle(req, res)).catch((err: unknown) => {
    throw new Error(`HTTP: ${err instanceof Error ? err.message : String(err)}`);
  });
}
