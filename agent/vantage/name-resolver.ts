// Name lookups as the runtime makes them: its hosts file and its DNS servers, in its nsswitch
// order, with its search list, ndots, timeout and attempts, asked directly (node:dns Resolver,
// c-ares) instead of through this process's own getaddrinfo and resolver files. The answer says
// which source answered (docs/facts/node-network.md).

import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import type { HostsFile, HostsOrder, ResolvConf } from "./resolver-files.js";
import { GO_DEFAULT_NAMESERVERS } from "./resolver-files.js";

export interface ResolverSettings {
  hosts: HostsFile;
  hostsLabel: string;
  order: HostsOrder;
  conf: ResolvConf;
  confLabel: string;
}

export interface NameAnswer {
  addresses: { address: string; family: 4 | 6 }[];
  source: string;
}

/** A failed lookup, with the getaddrinfo-style code the probes know (ENOTFOUND, EAI_AGAIN). */
class LookupError extends Error {
  constructor(
    readonly code: "ENOTFOUND" | "EAI_AGAIN",
    message: string,
  ) {
    super(message);
    this.name = "LookupError";
  }
}

// c-ares codes that say "nothing by that name" rather than "could not ask".
const NOT_FOUND = new Set(["ENOTFOUND", "ENODATA", "ENONAME", "EBADNAME"]);

export class RuntimeResolver {
  constructor(private readonly s: ResolverSettings) {}

  /** The names asked in order, as Go builds them from the search list and ndots. */
  candidates(name: string): string[] {
    if (name.endsWith(".")) return [name.slice(0, -1)];
    const dots = name.split(".").length - 1;
    const withSearch = this.s.conf.search.map((d) => `${name}.${d}`);
    return dots >= this.s.conf.ndots ? [name, ...withSearch] : [...withSearch, name];
  }

  async lookup(host: string, timeoutMs: number): Promise<NameAnswer> {
    const name = host.toLowerCase();
    const literal = isIP(name);
    if (literal === 4 || literal === 6) return { addresses: [{ address: name, family: literal }], source: "an address" };
    const deadline = Date.now() + timeoutMs;
    let dnsError: LookupError | undefined;
    for (const source of this.s.order.order) {
      if (source === "files") {
        const found = this.fromHosts(name);
        if (found !== undefined) return found;
        continue;
      }
      try {
        return await this.fromDns(name, deadline);
      } catch (err) {
        if (!(err instanceof LookupError)) throw err;
        dnsError = err;
      }
    }
    throw dnsError ?? new LookupError("ENOTFOUND", `${name} is not in ${this.s.hostsLabel}, and the runtime's nsswitch.conf does not ask DNS`);
  }

  private fromHosts(name: string): NameAnswer | undefined {
    // The hosts file is searched for the name as given and (Go) without the trailing dot only.
    const list = this.s.hosts.byName.get(name.replace(/\.$/, ""));
    if (list === undefined || list.length === 0) return undefined;
    return { addresses: list.map((address) => ({ address, family: isIP(address.split("%")[0] ?? "") === 6 ? 6 : 4 })), source: this.s.hostsLabel };
  }

  private async fromDns(name: string, deadline: number): Promise<NameAnswer> {
    const servers = this.s.conf.nameservers.length > 0 ? this.s.conf.nameservers : GO_DEFAULT_NAMESERVERS;
    const resolver = new Resolver({ timeout: this.s.conf.timeoutSeconds * 1000, tries: this.s.conf.attempts });
    resolver.setServers(servers);
    const asked: string[] = [];
    let unanswered = false;
    try {
      for (const candidate of this.candidates(name)) {
        if (Date.now() >= deadline) {
          unanswered = true;
          break;
        }
        asked.push(candidate);
        const result = await withDeadline(query(resolver, candidate), deadline);
        if (result === "timeout" || result.unanswered) unanswered ||= true;
        if (result !== "timeout" && result.addresses.length > 0) {
          const via = candidate === name ? "" : ` (as ${candidate}, from the search list)`;
          return { addresses: result.addresses, source: `DNS ${servers.join(", ")} from ${this.s.confLabel}${via}` };
        }
      }
    } finally {
      resolver.cancel();
    }
    const what = `${asked.join(", ") || name} asked of ${servers.join(", ")} (${this.s.confLabel})`;
    if (unanswered) throw new LookupError("EAI_AGAIN", `no answer from the runtime's DNS servers: ${what}`);
    throw new LookupError("ENOTFOUND", `not found in ${this.s.hostsLabel} nor by DNS: ${what}`);
  }
}

interface QueryResult {
  addresses: { address: string; family: 4 | 6 }[];
  /** A server failed or did not answer (rather than saying the name has no address). */
  unanswered: boolean;
}

async function query(resolver: Resolver, name: string): Promise<QueryResult> {
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
  const addresses: QueryResult["addresses"] = [];
  let unanswered = false;
  for (const [settled, family] of [
    [v4, 4],
    [v6, 6],
  ] as const) {
    if (settled.status === "fulfilled") addresses.push(...settled.value.map((address) => ({ address, family })));
    else if (!NOT_FOUND.has((settled.reason as NodeJS.ErrnoException).code ?? "")) unanswered = true;
  }
  return { addresses, unanswered };
}

async function withDeadline<T>(work: Promise<T>, deadline: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
