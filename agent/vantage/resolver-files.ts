// The runtime's resolver files, read the way Go's resolver reads them (containerd and CRI-O are Go
// programs): resolv.conf for servers, search list and options; /etc/hosts; the "hosts" line of
// nsswitch.conf for the order of the two (docs/facts/node-network.md, docs/facts/runtime-view.md).
// Pure: text in, settings and notes about what was ignored out.

import { isIP } from "node:net";

export interface ResolvConf {
  /** At most three, in order, as addresses (Go ignores a nameserver that is not one). */
  nameservers: string[];
  /** Search domains without their trailing dot. */
  search: string[];
  ndots: number;
  timeoutSeconds: number;
  attempts: number;
  rotate: boolean;
  /** Lines Go ignores or corrects, in words. */
  notes: string[];
}

/** Go's defaults when resolv.conf says nothing (or does not exist): servers on loopback. */
export const GO_DEFAULT_NAMESERVERS = ["127.0.0.1", "::1"];
const MAX_NAMESERVERS = 3;
const MAX_NDOTS = 15;

export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], ndots: 1, timeoutSeconds: 5, attempts: 2, rotate: false, notes: [] };
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const [key, ...args] = line.split(/\s+/);
    switch (key) {
      case "nameserver":
        addNameserver(conf, args[0], i + 1);
        return;
      case "domain":
        if (args[0] !== undefined) conf.search = [unrooted(args[0])];
        return;
      case "search":
        conf.search = args.map(unrooted).filter((d) => d !== "");
        return;
      case "options":
        for (const opt of args) applyOption(conf, opt, i + 1);
        return;
      default:
        conf.notes.push(`line ${i + 1}: "${line.slice(0, 60)}" is not a resolv.conf setting Go reads; ignored`);
    }
  });
  if (conf.nameservers.length === 0) conf.notes.push(`no usable nameserver line: Go asks ${GO_DEFAULT_NAMESERVERS.join(" and ")} (port 53)`);
  return conf;
}

function addNameserver(conf: ResolvConf, value: string | undefined, line: number): void {
  // Go takes the address only; a zone ("fe80::1%eth0") is kept for the socket.
  const address = value?.replace(/^\[|\]$/g, "");
  if (address === undefined || isIP(address.split("%")[0] ?? "") === 0) {
    conf.notes.push(`line ${line}: nameserver "${value ?? ""}" is not an IP address; Go ignores it`);
    return;
  }
  if (conf.nameservers.length >= MAX_NAMESERVERS) {
    conf.notes.push(`line ${line}: nameserver ${address} is past the third; Go uses only the first ${MAX_NAMESERVERS}`);
    return;
  }
  conf.nameservers.push(address);
}

function applyOption(conf: ResolvConf, opt: string, line: number): void {
  const [name, value] = opt.split(":", 2);
  const n = value === undefined ? Number.NaN : Number.parseInt(value, 10);
  switch (name) {
    case "ndots":
      if (Number.isNaN(n)) break;
      conf.ndots = Math.min(Math.max(n, 0), MAX_NDOTS);
      return;
    case "timeout":
      if (Number.isNaN(n)) break;
      conf.timeoutSeconds = Math.max(n, 1);
      return;
    case "attempts":
      if (Number.isNaN(n)) break;
      conf.attempts = Math.max(n, 1);
      return;
    case "rotate":
      conf.rotate = true;
      return;
    default:
      // single-request, edns0, trust-ad, use-vc… change how queries go on the wire, not where or in which order.
      return;
  }
  conf.notes.push(`line ${line}: option "${opt}" has no number; Go ignores it`);
}

function unrooted(domain: string): string {
  return domain.replace(/\.+$/, "");
}

export interface HostsFile {
  /** Lower-case name → addresses, in file order. */
  byName: Map<string, string[]>;
  notes: string[];
}

export function parseHostsFile(text: string): HostsFile {
  const byName = new Map<string, string[]>();
  const notes: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = (raw.split("#")[0] ?? "").trim();
    if (line === "") return;
    const [address, ...names] = line.split(/\s+/);
    if (address === undefined || isIP(address.split("%")[0] ?? "") === 0 || names.length === 0) {
      notes.push(`line ${i + 1}: "${line.slice(0, 60)}" is not "address name…"; ignored`);
      return;
    }
    for (const name of names) {
      const key = unrooted(name.toLowerCase());
      const list = byName.get(key) ?? [];
      if (!list.includes(address)) list.push(address);
      byName.set(key, list);
    }
  });
  return { byName, notes };
}

export type HostSource = "files" | "dns";

export interface HostsOrder {
  order: HostSource[];
  /** Sources Go does not implement itself (myhostname, resolve, mdns…), in words. */
  notes: string[];
}

/**
 * The "hosts:" line of nsswitch.conf: files and dns in their order. Without the file or the
 * line, Go's resolver uses files, then dns.
 */
export function parseNsswitch(text: string | undefined): HostsOrder {
  if (text === undefined) return { order: ["files", "dns"], notes: [] };
  const line = text
    .split("\n")
    .map((l) => (l.split("#")[0] ?? "").trim())
    .find((l) => /^hosts\s*:/.test(l));
  if (line === undefined) return { order: ["files", "dns"], notes: ['no "hosts:" line: Go uses files, then dns'] };
  const sources = line
    .replace(/^hosts\s*:/, "")
    .replace(/\[[^\]]*\]/g, " ")
    .split(/\s+/)
    .filter((s) => s !== "");
  const order = sources.filter((s): s is HostSource => s === "files" || s === "dns");
  const others = sources.filter((s) => s !== "files" && s !== "dns");
  const notes = others.length > 0 ? [`hosts: also lists ${others.join(", ")}, which pullmedic does not query (Go hands such lookups to the C library)`] : [];
  if (order.length === 0) return { order: ["files", "dns"], notes: [...notes, '"hosts:" names neither files nor dns: Go falls back to files, then dns'] };
  return { order, notes };
}
