import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { splitHostPort } from "./host-port.js";

export type Route = (req: IncomingMessage) => Promise<{ status: number; contentType: string; body: string; headers?: Record<string, string> }>;

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

/** A validated listen address (host:port, IPv6 in brackets) → host and port for listen(). */
export function parseListen(listen: string): { host: string; port: number } {
  const split = splitHostPort(listen);
  if (split === undefined) throw new Error(`listen address ${JSON.stringify(listen)}: expected host:port`);
  return { host: split.host, port: Number(split.port) };
}

/**
 * The agent's HTTP face: GET only, a fixed set of paths, and a route that throws answers 500
 * with a one-line reason instead of taking the process down.
 */
export async function startHttpServer(listen: string, routes: Record<string, Route>): Promise<HttpServer> {
  return serveHttp(listen, (req, res) => void handle(req, res, routes));
}

/**
 * An HTTP server on `listen` (host:port, port 0 for any) with bounded timeouts, answering with
 * `handler`; the URL it is reachable at, and a close that also ends idle keep-alive connections.
 */
export async function serveHttp(listen: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<HttpServer> {
  const server = createServer(handler);
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const { host, port } = parseListen(listen);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === "EADDRINUSE" ? `cannot listen on ${listen}: the port is in use` : `cannot listen on ${listen}: ${err.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: Record<string, Route>): Promise<void> {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const route = routes[path];
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "only GET\n", { Allow: "GET, HEAD" });
  if (!route) return send(res, 404, "text/plain", `no such path: ${path}; try ${Object.keys(routes).join(", ")}\n`);
  try {
    const out = await route(req);
    send(res, out.status, out.contentType, req.method === "HEAD" ? "" : out.body, out.headers);
  } catch (err) {
    send(res, 500, "text/plain", `internal error: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": contentType, "Cache-Control": "no-store", ...headers });
  res.end(body);
}
