// A proxy in front of a real registry (the lab's) that sends blob bodies slowly, and can stop
// sending part-way through a blob while holding the connection open: how a saturated link or a
// stuck proxy looks to a pull. Manifests and everything else pass through untouched.

import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface TrickleRegistry {
  host: string;
  url: string;
  /** Blob bytes per second, for every blob response from now on. */
  setRate(bytesPerSecond: number): void;
  /** Each blob response stops after this many bytes and sends nothing more; undefined sends all. */
  stallAfter(bytes: number | undefined): void;
  /** Blob bytes sent to clients so far. */
  sentBytes(): number;
  stop(): Promise<void>;
}

const TICK_MS = 100;

export async function startTrickleRegistry(upstream: string, opts: { bytesPerSecond: number; stallAfterBytes?: number }): Promise<TrickleRegistry> {
  const target = new URL(upstream);
  let rate = opts.bytesPerSecond;
  let stallAt = opts.stallAfterBytes;
  let sent = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const blob = req.method === "GET" && /\/blobs\/sha256:/.test(req.url ?? "") && answer.statusCode === 200;
        if (!blob) answer.pipe(res);
        else
          trickle(
            answer,
            res,
            () => rate,
            stallAt,
            (n) => (sent += n),
          );
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : 0);
    }),
  );
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    setRate: (n) => (rate = n),
    stallAfter: (n) => (stallAt = n),
    sentBytes: () => sent,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** Buffers the upstream body and writes it a tick at a time; past `stallAt` bytes, writes nothing more. */
function trickle(from: IncomingMessage, to: ServerResponse, rate: () => number, stallAt: number | undefined, count: (n: number) => void): void {
  const queue: Buffer[] = [];
  let ended = false;
  let written = 0;
  from.on("data", (c: Buffer) => queue.push(c));
  from.on("end", () => (ended = true));
  const timer = setInterval(() => {
    if (to.destroyed) return clearInterval(timer);
    let budget = Math.max(1, Math.floor((rate() * TICK_MS) / 1000));
    if (stallAt !== undefined) budget = Math.min(budget, stallAt - written);
    while (budget > 0 && queue.length > 0) {
      const head = queue[0] as Buffer;
      const part = head.subarray(0, budget);
      to.write(part);
      written += part.length;
      count(part.length);
      budget -= part.length;
      if (part.length === head.length) queue.shift();
      else queue[0] = head.subarray(part.length);
    }
    if (ended && queue.length === 0) {
      clearInterval(timer);
      to.end();
    }
  }, TICK_MS);
  to.on("close", () => clearInterval(timer));
}
