// A Kubernetes Service stand-in: one loopback address in front of several backends. Each new
// connection goes to the next backend in turn that accepts it (as kube-proxy spreads
// connections); a backend that refuses is skipped, and when none accepts the connection is closed.

import { createConnection, createServer, type Socket } from "node:net";
import { listenOnLoopback } from "./net.js";

export interface Balancer {
  /** 127.0.0.1:port */
  address: string;
  close(): Promise<void>;
}

function dial(address: string): Promise<Socket> {
  const i = address.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: address.slice(0, i), port: Number(address.slice(i + 1)) });
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

/** Balances over `backends()` (host:port each), read at every connection. */
export async function startBalancer(backends: () => string[]): Promise<Balancer> {
  let next = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    client.pause();
    void (async () => {
      const all = backends();
      const first = next++;
      const inTurn = all.map((_, i) => all[(first + i) % all.length]!);
      for (const address of inTurn) {
        try {
          const upstream = await dial(address);
          sockets.add(upstream);
          upstream.on("close", () => {
            sockets.delete(upstream);
            client.destroy();
          });
          upstream.on("error", () => upstream.destroy());
          client.on("close", () => upstream.destroy());
          client.pipe(upstream);
          upstream.pipe(client);
          client.resume();
          return;
        } catch {
          // the next backend
        }
      }
      client.destroy();
    })();
  });
  const port = await listenOnLoopback(server);
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
