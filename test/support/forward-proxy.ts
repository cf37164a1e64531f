// A real HTTP forward proxy on loopback for tests and the lab: CONNECT tunnels for https and
// absolute-URI requests for http, as corporate proxies serve them. It resolves names with a table
// of its own (a name "only the proxy knows"), can require Basic credentials, and logs every
// request it was sent, so a test can prove a pull went through it.

import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";

export interface ProxyLogEntry {
  method: string;
  /** "host:port" for CONNECT, the absolute URL otherwise. */
  target: string;
  /** What the proxy answered (200 for an opened tunnel). */
  status: number;
  /** Whether a Proxy-Authorization header came with it. */
  authorized: boolean;
}

export interface ForwardProxy {
  url: string; // http://127.0.0.1:PORT
  port: number;
  log: ProxyLogEntry[];
  /** Stops listening (connections in flight are cut), for "the proxy is down". */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

export interface ForwardProxyOptions {
  /** Names the proxy resolves itself → the address it connects to. Other names: what this process resolves. */
  names?: Record<string, string>;
  /** Require these credentials (407 otherwise). */
  credentials?: { username: string; password: string };
  port?: number;
}

export async function startForwardProxy(opts: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<Socket>();
  const expected = opts.credentials ? `Basic ${Buffer.from(`${opts.credentials.username}:${opts.credentials.password}`).toString("base64")}` : undefined;
  const resolveName = (host: string): string => opts.names?.[host.toLowerCase()] ?? host;
  const authorized = (req: IncomingMessage): boolean => expected === undefined || req.headers["proxy-authorization"] === expected;

  const make = (): Server => {
    const server = createServer((req, res) => forward(req, res, log, authorized, resolveName));
    server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => tunnel(req, client, head, log, authorized, resolveName));
    server.on("connection", (s: Socket) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    return server;
  };
  let server = make();
  const listen = (port: number) => new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", () => resolve()));
  await listen(opts.port ?? 0);
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no TCP address");
  const port = address.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    restart: async () => {
      server = make();
      await listen(port);
    },
  };
}

function tunnel(
  req: IncomingMessage,
  client: Socket,
  head: Buffer,
  log: ProxyLogEntry[],
  authorized: (r: IncomingMessage) => boolean,
  resolveName: (h: string) => string,
): void {
  const target = req.url ?? "";
  const entry: ProxyLogEntry = { method: "CONNECT", target, status: 0, authorized: req.headers["proxy-authorization"] !== undefined };
  log.push(entry);
  client.on("error", () => undefined);
  if (!authorized(req)) {
    entry.status = 407;
    client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="lab"\r\n\r\n');
    return;
  }
  const m = /^(.*):(\d+)$/.exec(target);
  const host = (m?.[1] ?? "").replace(/^\[|\]$/g, "");
  const upstream = connect({ host: resolveName(host), port: Number(m?.[2] ?? 0) });
  upstream.once("connect", () => {
    entry.status = 200;
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.once("error", () => {
    if (entry.status !== 0) return client.destroy();
    entry.status = 502;
    client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
  });
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  log: ProxyLogEntry[],
  authorized: (r: IncomingMessage) => boolean,
  resolveName: (h: string) => string,
): void {
  const entry: ProxyLogEntry = { method: req.method ?? "", target: req.url ?? "", status: 0, authorized: req.headers["proxy-authorization"] !== undefined };
  log.push(entry);
  if (!authorized(req)) {
    entry.status = 407;
    res.writeHead(407, { "proxy-authenticate": 'Basic realm="lab"' }).end();
    return;
  }
  let url: URL;
  try {
    url = new URL(req.url ?? "");
  } catch {
    entry.status = 400;
    res.writeHead(400).end("a proxy wants an absolute URL\n");
    return;
  }
  const headers = { ...req.headers };
  delete headers["proxy-authorization"];
  const upstream = httpRequest(
    { host: resolveName(url.hostname), port: Number(url.port || 80), method: req.method, path: `${url.pathname}${url.search}`, headers },
    (answer) => {
      entry.status = answer.statusCode ?? 0;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => {
    entry.status = 502;
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  req.pipe(upstream);
}
