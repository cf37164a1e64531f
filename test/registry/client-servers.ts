// Small loopback HTTP servers for what the lab registry cannot do: token servers, quota
// headers, stalls, redirects to other hosts, broken bodies. Each records what it was sent,
// so tests can assert what went over the wire (which headers reached which host).

import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { RegistryError } from "../../agent/registry/index.js";

export interface SeenRequest {
  method: string;
  /** Path and query as sent. */
  path: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface TestServer {
  url: string; // http://127.0.0.1:PORT
  host: string; // 127.0.0.1:PORT
  port: number;
  requests: SeenRequest[];
  stop(): Promise<void>;
}

// Whatever a handler returns is ignored, so `return res.end()` style early exits type-check.
export type Handler = (req: SeenRequest, res: ServerResponse) => unknown;

export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const seen: SeenRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        url: new URL(req.url ?? "/", "http://127.0.0.1"),
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(seen);
      Promise.resolve(handler(seen, res)).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("test server has no TCP address");
  const host = `127.0.0.1:${address.port}`;
  return {
    url: `http://${host}`,
    host,
    port: address.port,
    requests,
    stop: () => stopServer(server, sockets),
  };
}

/** A TCP server that accepts connections and runs `onConnection` (e.g. never answer, or write raw bytes). */
export async function startRawServer(onConnection: (socket: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    onConnection(s);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("raw server has no TCP address");
  const host = `127.0.0.1:${address.port}`;
  return { url: `http://${host}`, host, port: address.port, requests: [], stop: () => stopServer(server, sockets) };
}

function stopServer(server: Server | NetServer, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port that was free a moment ago and now has nothing listening. */
export async function closedPort(): Promise<number> {
  const s = await startRawServer(() => undefined);
  await s.stop();
  return s.port;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function registryError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  json(res, status, { errors: [{ code, message }] }, headers);
}

export function header(req: SeenRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The RegistryError a call rejects with; anything else fails the test. */
export async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RegistryError) return err;
    throw err;
  }
  assert.fail("expected a RegistryError");
}
