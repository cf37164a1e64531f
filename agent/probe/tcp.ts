// TCP reachability: connect, then close. Also the first half of the TLS probe.

import { connect, type Socket } from "node:net";
import { isLookupError, lookupError } from "./dns.js";
import { elapsedMs, errorCode, ProbeError, type ProbeErrorKind, requireTimeout, unbracket } from "./probe-error.js";

export interface TcpResult {
  address: string;
  port: number;
  ms: number;
}

export interface TcpProbeOptions {
  timeoutMs: number;
}

export async function probeTcp(address: string, port: number, opts: TcpProbeOptions): Promise<TcpResult> {
  requireTimeout("probeTcp", opts.timeoutMs);
  const start = performance.now();
  const socket = await openTcp(address, port, { start, timeoutMs: opts.timeoutMs });
  const ms = elapsedMs(start);
  socket.destroy();
  return { address, port, ms };
}

// What each connect() failure says about the path to the registry.
const CONNECT_FAILURES: Record<string, { kind: ProbeErrorKind; why: string }> = {
  ECONNREFUSED: { kind: "refused", why: "connection refused: nothing listens on that port, or a firewall rejects it" },
  ECONNRESET: { kind: "reset", why: "connection reset by the peer or a middlebox" },
  EPIPE: { kind: "reset", why: "connection closed by the peer" },
  ETIMEDOUT: { kind: "timeout", why: "the kernel gave up connecting: no answer to SYN (packets dropped on the way)" },
  EHOSTUNREACH: { kind: "unreachable", why: "no route to host" },
  ENETUNREACH: { kind: "unreachable", why: "network unreachable: no route to that network" },
  EHOSTDOWN: { kind: "unreachable", why: "host is down" },
  ENETDOWN: { kind: "unreachable", why: "network is down" },
  EADDRNOTAVAIL: { kind: "unreachable", why: "address not available from this node" },
  EACCES: { kind: "unreachable", why: "connection not permitted (local firewall or policy)" },
  EPERM: { kind: "unreachable", why: "connection not permitted (local firewall or policy)" },
};

/** Maps a socket error to a ProbeError of the given step; names the endpoint and the code. */
export function connectError(step: "tcp" | "tls", endpoint: string, error: unknown, ms: number): ProbeError {
  const code = errorCode(error);
  const known = code !== undefined ? CONNECT_FAILURES[code] : undefined;
  const why = known?.why ?? (error instanceof Error ? error.message : String(error));
  return new ProbeError(step, known?.kind ?? "unreachable", `${endpoint}: ${why}${code ? ` (${code})` : ""}`, { code, ms, cause: error });
}

export function endpointText(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Resolves to a connected socket, or rejects with a ProbeError: step "dns" when `host` is a
 * name that does not resolve, else step "tcp". The time limit counts from `start`.
 */
export function openTcp(host: string, port: number, opts: { start: number; timeoutMs: number }): Promise<Socket> {
  if (!(Number.isInteger(port) && port > 0 && port < 65536)) return Promise.reject(new RangeError(`port must be 1–65535, got ${port}`));
  const target = unbracket(host);
  const endpoint = endpointText(target, port);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target, port });
    const remaining = Math.max(0, opts.timeoutMs - (performance.now() - opts.start));
    const timer = setTimeout(() => {
      socket.destroy();
      const ms = elapsedMs(opts.start);
      reject(
        new ProbeError(
          "tcp",
          "timeout",
          `${endpoint}: no answer to connect within ${Math.round(ms)} ms (packets dropped, or a firewall that drops instead of rejecting)`,
          { ms },
        ),
      );
    }, remaining);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      socket.destroy();
      const ms = elapsedMs(opts.start);
      reject(isLookupError(error) ? lookupError(target, error, ms) : connectError("tcp", endpoint, error, ms));
    });
  });
}
