/**
 * How a connection to a registry is made when the runtime's network is known: names resolved by
 * its resolver, each address tried in turn as Go's dialer does, TLS checked against its trust
 * store (never Node's bundled roots) plus the hosts.toml CAs, and through its proxy when Go's
 * rules send the request there: CONNECT for https (with Proxy-Authorization from the proxy URL),
 * the request itself for http (see http-exchange). A failure on the way to or at the proxy is a
 * ProxyError naming the proxy, never with its credentials (docs/facts/node-network.md).
 */

import { isIP, connect as netConnect, type Socket } from "node:net";
import { createSecureContext, type SecureContext, type TLSSocket, connect as tlsConnect } from "node:tls";
import type { buildConnector } from "undici";
import type { ProxyRoute, RegistryNetwork } from "./http-types.js";

export type ProxyFailure = "dns" | "refused" | "timeout" | "reset" | "tls" | "auth" | "status";

/** The proxy failed: it could not be reached, or it refused to open the tunnel. */
export class ProxyError extends Error {
  constructor(
    /** The proxy as shown: scheme, host, port and where it was configured; no credentials. */
    readonly proxy: string,
    readonly failure: ProxyFailure,
    message: string,
    readonly status?: number,
  ) {
    super(`proxy ${proxy}: ${message}`);
    this.name = "ProxyError";
  }
}

/** The answer of a name lookup that failed, in the shape Node's own lookup errors have. */
class DialError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly syscall?: string,
  ) {
    super(message);
    this.name = "DialError";
  }
}

/** Certificates for TLS: the runtime's roots plus extra CAs, one secure context per distinct set. */
const contexts = new WeakMap<readonly string[], Map<string, SecureContext>>();

export function trustContext(roots: readonly string[], extra: readonly (string | Buffer)[] = []): SecureContext {
  let byExtra = contexts.get(roots);
  if (byExtra === undefined) {
    byExtra = new Map();
    contexts.set(roots, byExtra);
  }
  const key = extra.map(String).join("\n");
  let context = byExtra.get(key);
  if (context === undefined) {
    // An empty list would mean "Node's roots" to OpenSSL's defaults; a runtime that trusts nothing trusts nothing.
    context = createSecureContext({ ca: [...roots, ...extra.map(String)].length > 0 ? [...roots, ...extra.map(String)] : [] });
    byExtra.set(key, context);
  }
  return context;
}

export interface DialOptions {
  network: RegistryNetwork;
  timeoutMs: number;
}

/** TCP to host:port, the name resolved as the runtime resolves it, each address in turn. */
export async function dialDirect(host: string, port: number, opts: DialOptions): Promise<Socket> {
  const deadline = Date.now() + opts.timeoutMs;
  const name = host.replace(/^\[|\]$/g, "");
  const answer = await opts.network.resolve(name, opts.timeoutMs).catch((err: unknown) => {
    const code = (err as { code?: unknown }).code;
    throw new DialError(typeof code === "string" ? code : "ENOTFOUND", `${name}: ${(err as Error).message}`, "getaddrinfo");
  });
  let last: unknown;
  for (const { address } of answer.addresses) {
    try {
      return await tcp(address, port, deadline);
    } catch (err) {
      last = err;
    }
  }
  throw last ?? new DialError("ENOTFOUND", `${name} has no address`, "getaddrinfo");
}

function tcp(address: string, port: number, deadline: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: address, port });
    const timer = setTimeout(
      () => {
        socket.destroy();
        reject(new DialError("ETIMEDOUT", `connect to ${isIP(address) === 6 ? `[${address}]` : address}:${port} timed out`));
      },
      Math.max(0, deadline - Date.now()),
    );
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

/** The Basic Proxy-Authorization the proxy URL's user information makes, as Go sends it. */
export function proxyAuthorization(url: URL): string | undefined {
  if (url.username === "" && url.password === "") return undefined;
  const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(user).toString("base64")}`;
}

/** A connection to the proxy itself (TLS for an https:// proxy, verified with the runtime's roots). */
async function dialProxy(route: ProxyRoute, opts: DialOptions): Promise<Socket> {
  const port = Number(route.url.port) || (route.url.protocol === "https:" ? 443 : 80);
  let raw: Socket;
  try {
    raw = await dialDirect(route.url.hostname, port, opts);
  } catch (err) {
    throw proxyDialError(route, err);
  }
  if (route.url.protocol !== "https:") return raw;
  try {
    return await upgrade(raw, route.url.hostname.replace(/^\[|\]$/g, ""), {
      context: trustContext(opts.network.roots),
      verify: true,
      timeoutMs: opts.timeoutMs,
    });
  } catch (err) {
    throw new ProxyError(route.label, "tls", `TLS with the proxy failed: ${(err as Error).message}`);
  }
}

function proxyDialError(route: ProxyRoute, err: unknown): ProxyError {
  const code = (err as { code?: unknown }).code;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new ProxyError(route.label, "dns", `the proxy's name does not resolve (${(err as Error).message})`);
  if (code === "ECONNREFUSED") return new ProxyError(route.label, "refused", "connection refused: nothing listens there");
  if (code === "ETIMEDOUT") return new ProxyError(route.label, "timeout", "no answer to connect");
  return new ProxyError(route.label, "reset", `cannot connect (${typeof code === "string" ? code : (err as Error).message})`);
}

/** A tunnel to host:port through the proxy (HTTP CONNECT), ready for TLS with the registry. */
export async function dialTunnel(route: ProxyRoute, host: string, port: number, opts: DialOptions): Promise<Socket> {
  const socket = await dialProxy(route, opts);
  const authority = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const auth = proxyAuthorization(route.url);
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ""}\r\n`);
  const head = await readHead(socket, opts.timeoutMs).catch((err: unknown) => {
    socket.destroy();
    throw new ProxyError(
      route.label,
      err instanceof DialError && err.code === "ETIMEDOUT" ? "timeout" : "reset",
      `CONNECT ${authority}: ${(err as Error).message}`,
    );
  });
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  if (status === 200) return socket;
  socket.destroy();
  const line = head.split("\r\n")[0] ?? "";
  if (status === 407)
    throw new ProxyError(
      route.label,
      "auth",
      `CONNECT ${authority} answered ${line}: the proxy wants credentials${auth ? " other than those in the proxy URL" : ", and the proxy URL has none"}`,
      status,
    );
  throw new ProxyError(route.label, "status", `CONNECT ${authority} answered ${line || "something that is not HTTP"}`, status);
}

/** The response head of a CONNECT; the tunnel's bytes after it are the registry's and stay unread. */
function readHead(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const done = (err: Error | undefined, head?: string): void => {
      clearTimeout(timer);
      socket.removeListener("data", onData);
      socket.removeListener("error", onError);
      socket.removeListener("end", onEnd);
      if (err) reject(err);
      else resolve(head as string);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf("\r\n\r\n");
      if (end >= 0) {
        const rest = buffered.subarray(end + 4);
        socket.pause();
        if (rest.length > 0) socket.unshift(rest);
        done(undefined, buffered.subarray(0, end).toString("latin1"));
      } else if (buffered.length > 64 * 1024) done(new Error("the proxy's answer has no end of headers"));
    };
    const onError = (err: Error): void => done(err);
    const onEnd = (): void => done(new Error("the proxy closed the connection"));
    const timer = setTimeout(() => done(new DialError("ETIMEDOUT", `no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on("data", onData);
    socket.once("error", onError);
    socket.once("end", onEnd);
  });
}

/** TLS over a connected socket; SNI only for names, as Go sends it. */
function upgrade(raw: Socket, servername: string, opts: { context: SecureContext; verify: boolean; timeoutMs: number }): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      socket: raw,
      secureContext: opts.context,
      rejectUnauthorized: opts.verify,
      ALPNProtocols: ["http/1.1"],
      ...(isIP(servername) === 0 ? { servername } : {}),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DialError("UND_ERR_CONNECT_TIMEOUT", `TLS handshake with ${servername} timed out`));
    }, opts.timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

/**
 * undici's connector for one registry client: https through the proxy's tunnel or directly,
 * verified against the network's roots plus `ca`; plain http directly (to the proxy itself when
 * the exchange sends the request there).
 */
export function registryConnector(
  network: RegistryNetwork,
  tls: { ca: readonly (string | Buffer)[]; skipVerify: boolean },
  timeoutMs: number,
): buildConnector.connector {
  const opts: DialOptions = { network, timeoutMs };
  return (o, callback) => {
    const https = o.protocol === "https:";
    const port = Number(o.port) || (https ? 443 : 80);
    const host = o.hostname.replace(/^\[|\]$/g, "");
    const open = async (): Promise<Socket> => {
      const route = https ? network.proxyFor(new URL(`https://${isIP(host) === 6 ? `[${host}]` : host}:${port}/`)) : undefined;
      const raw = route !== undefined ? await dialTunnel(route, host, port, opts) : await dialDirect(host, port, opts);
      if (!https) return raw;
      return upgrade(raw, o.servername ?? host, { context: trustContext(network.roots, tls.ca), verify: !tls.skipVerify, timeoutMs });
    };
    open().then(
      (socket) => callback(null, socket),
      (err: Error) => callback(err, null),
    );
  };
}
