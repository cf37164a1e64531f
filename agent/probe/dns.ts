// Name resolution the way containerd does it on the node: getaddrinfo (dns.lookup), which
// reads /etc/hosts and nsswitch, not c-ares (dns.resolve), which asks DNS servers only.

import { promises as dnsPromises } from "node:dns";
import { isIP } from "node:net";
import type { RegistryNetwork } from "../registry/index.js";
import { elapsedMs, errorCode, ProbeError, requireTimeout, unbracket } from "./probe-error.js";

export interface DnsResult {
  host: string;
  addresses: { address: string; family: 4 | 6 }[];
  ms: number;
  /** Which source answered, when the runtime's resolver was asked: its hosts file, or which DNS servers. */
  source?: string;
}

export interface DnsProbeOptions {
  timeoutMs: number;
  /** Stands in for dns.promises.lookup, e.g. to make a resolver that never answers. */
  lookup?: typeof dnsPromises.lookup;
  /** The runtime's resolver (its hosts file, servers, search list), asked instead of this process's getaddrinfo. */
  network?: RegistryNetwork;
}

// Codes getaddrinfo failures arrive with in Node, and what each means for a person.
const LOOKUP_FAILURES: Record<string, string> = {
  ENOTFOUND: "does not resolve",
  EAI_NONAME: "does not resolve",
  ENODATA: "has no address records",
  EAI_NODATA: "has no address records",
  EAI_AGAIN: "could not be resolved: the resolver reported a temporary failure (DNS server unreachable or not answering)",
  EAI_FAIL: "could not be resolved: the DNS server failed",
  ESERVFAIL: "could not be resolved: the DNS server failed",
};

export async function probeDns(host: string, opts: DnsProbeOptions): Promise<DnsResult> {
  const start = performance.now();
  const name = unbracket(host);
  if (name === "") throw new TypeError("probeDns: the host name is empty");
  const literal = isIP(name);
  if (literal === 4 || literal === 6) return { host, addresses: [{ address: name, family: literal }], ms: elapsedMs(start) };
  requireTimeout("probeDns", opts.timeoutMs);
  if (opts.network !== undefined) return viaNetwork(host, name, opts.network, opts.timeoutMs, start);

  const lookup = opts.lookup ?? dnsPromises.lookup;
  const pending = lookup(name, { all: true });
  // getaddrinfo runs on a libuv worker and cannot be cancelled: after a timeout it still
  // finishes some time later, and its outcome must not become an unhandled rejection.
  pending.catch(() => undefined);

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const ms = elapsedMs(start);
      reject(new ProbeError("dns", "timeout", `looking up ${name} timed out after ${Math.round(ms)} ms`, { ms }));
    }, opts.timeoutMs);
  });

  try {
    const found = await Promise.race([pending, timeout]).catch((error: unknown) => {
      if (error instanceof ProbeError) throw error;
      throw lookupError(name, error, elapsedMs(start));
    });
    const addresses = found.flatMap(({ address, family }) => (family === 4 || family === 6 ? [{ address, family: family as 4 | 6 }] : []));
    if (addresses.length === 0) throw new ProbeError("dns", "dns", `${name} resolved to no IPv4 or IPv6 address`, { ms: elapsedMs(start) });
    return { host, addresses, ms: elapsedMs(start) };
  } finally {
    clearTimeout(timer);
  }
}

/** The runtime's resolver keeps its own deadline (its timeout and attempts), cut at the probe's. */
async function viaNetwork(host: string, name: string, network: RegistryNetwork, timeoutMs: number, start: number): Promise<DnsResult> {
  try {
    const answer = await network.resolve(name, timeoutMs);
    if (answer.addresses.length === 0) throw new ProbeError("dns", "dns", `${name} resolved to no address (${answer.source})`, { ms: elapsedMs(start) });
    return { host, addresses: answer.addresses, ms: elapsedMs(start), source: answer.source };
  } catch (error) {
    if (error instanceof ProbeError) throw error;
    const code = errorCode(error);
    const what = (code !== undefined ? LOOKUP_FAILURES[code] : undefined) ?? "could not be resolved";
    const why = error instanceof Error ? error.message : String(error);
    throw new ProbeError("dns", "dns", `${name} ${what}: ${why}`, { code, ms: elapsedMs(start), cause: error });
  }
}

export function lookupError(name: string, error: unknown, ms: number): ProbeError {
  const code = errorCode(error);
  const what = (code !== undefined ? LOOKUP_FAILURES[code] : undefined) ?? "could not be resolved";
  return new ProbeError("dns", "dns", `${name} ${what} (${code ?? (error instanceof Error ? error.message : String(error))})`, { code, ms, cause: error });
}

/** Whether a socket error came from the name lookup that net.connect does before connecting. */
export function isLookupError(error: unknown): boolean {
  const code = errorCode(error);
  return (error as { syscall?: unknown } | null)?.syscall === "getaddrinfo" || (code !== undefined && code in LOOKUP_FAILURES);
}
