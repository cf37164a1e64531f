// The proxy the runtime uses for a URL, decided by Go's rules (golang.org/x/net/http/httpproxy,
// which http.ProxyFromEnvironment applies; containerd and CRI-O use it): the upper-case variable
// wins, HTTPS_PROXY for https and HTTP_PROXY for http, a value without a scheme is http://,
// NO_PROXY entries are names (suffix match), leading dots and "*." (subdomains only), "*"
// (nothing proxied), IPs and CIDRs (only against IP literals), each with an optional port;
// localhost and loopback addresses are never proxied (docs/facts/node-network.md). Pure.

import { BlockList, isIP } from "node:net";

export interface ProxySettings {
  /** As set in the environment, credentials included: used, never shown. */
  http: URL | undefined;
  https: URL | undefined;
  noProxy: string;
  /** Which variable each came from ("HTTPS_PROXY", "https_proxy"). */
  httpFrom: string | undefined;
  httpsFrom: string | undefined;
  noProxyFrom: string | undefined;
  /** REQUEST_METHOD is set: Go refuses HTTP_PROXY (a CGI program could be handed a proxy by its caller). */
  cgi: boolean;
  /** Values Go cannot use, in words (never with their credentials). */
  notes: string[];
}

interface Matchers {
  all: boolean;
  ips: { block?: BlockList; ip?: string; port: string }[];
  domains: { suffix: string; port: string; matchHost: boolean }[];
}

export function proxySettings(env: ReadonlyMap<string, string>): ProxySettings {
  const pick = (upper: string, lower: string): [string | undefined, string | undefined] => {
    // Go's getEnvAny: the first of the names whose value is not empty.
    for (const n of [upper, lower]) {
      const v = env.get(n);
      if (v !== undefined && v !== "") return [v, n];
    }
    return [undefined, undefined];
  };
  const [httpRaw, httpFrom] = pick("HTTP_PROXY", "http_proxy");
  const [httpsRaw, httpsFrom] = pick("HTTPS_PROXY", "https_proxy");
  const [noProxy, noProxyFrom] = pick("NO_PROXY", "no_proxy");
  const notes: string[] = [];
  return {
    http: parseProxyUrl(httpRaw, httpFrom, notes),
    https: parseProxyUrl(httpsRaw, httpsFrom, notes),
    noProxy: noProxy ?? "",
    httpFrom,
    httpsFrom,
    noProxyFrom,
    cgi: (env.get("REQUEST_METHOD") ?? "") !== "",
    notes,
  };
}

/** Go's parseProxy: a value that is not a URL with scheme and host is tried again with "http://" in front. */
function parseProxyUrl(raw: string | undefined, from: string | undefined, notes: string[]): URL | undefined {
  if (raw === undefined) return undefined;
  const tryParse = (s: string): URL | undefined => {
    try {
      const u = new URL(s);
      return u.host !== "" ? u : undefined;
    } catch {
      return undefined;
    }
  };
  const direct = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? tryParse(raw) : undefined;
  const url = direct ?? tryParse(`http://${raw}`);
  if (url === undefined) {
    notes.push(`${from} is not a URL Go can use; it is ignored (no proxy)`);
    return undefined;
  }
  if (!["http:", "https:", "socks5:", "socks5h:"].includes(url.protocol)) {
    notes.push(`${from} has the scheme ${url.protocol.replace(/:$/, "")}, which Go's HTTP transport refuses: pulls through it fail`);
  }
  return url;
}

function matchersOf(noProxy: string): Matchers {
  const m: Matchers = { all: false, ips: [], domains: [] };
  for (const entry of noProxy.split(",")) {
    const p = entry.trim().toLowerCase();
    if (p === "") continue;
    if (p === "*") return { all: true, ips: [], domains: [] };
    const cidr = cidrBlock(p);
    if (cidr !== undefined) {
      m.ips.push({ block: cidr, port: "" });
      continue;
    }
    let [host, port] = splitHostPort(p) ?? [p, ""];
    if (host === "") continue;
    host = host.replace(/^\[|\]$/g, "");
    if (isIP(host) !== 0) {
      m.ips.push({ ip: canonicalIp(host), port });
      continue;
    }
    if (host.startsWith("*.")) host = host.slice(1);
    const matchHost = !host.startsWith(".");
    m.domains.push({ suffix: matchHost ? `.${host}` : host, port, matchHost });
  }
  return m;
}

function cidrBlock(p: string): BlockList | undefined {
  const slash = p.indexOf("/");
  if (slash < 0) return undefined;
  const ip = p.slice(0, slash);
  const bits = Number(p.slice(slash + 1));
  const family = isIP(ip);
  if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) return undefined;
  const block = new BlockList();
  block.addSubnet(ip, bits, family === 4 ? "ipv4" : "ipv6");
  return block;
}

/** Go's net.SplitHostPort for NO_PROXY entries: "host:port" or "[v6]:port"; undefined when there is no port. */
function splitHostPort(p: string): [string, string] | undefined {
  if (p.startsWith("[")) {
    const m = /^\[([^\]]*)\]:(\d*)$/.exec(p);
    return m ? [m[1] as string, m[2] as string] : undefined;
  }
  const colon = p.lastIndexOf(":");
  if (colon < 0 || p.indexOf(":") !== colon) return undefined;
  return [p.slice(0, colon), p.slice(colon + 1)];
}

function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.replace(/^\[|\]$/g, "") : ip;
}

function isLoopback(ip: string): boolean {
  if (isIP(ip) === 4) return ip.startsWith("127.");
  const c = canonicalIp(ip);
  return c === "::1" || /^::ffff:7f[0-9a-f]{2}:/.test(c);
}

export interface ProxyChoice {
  proxy: URL | undefined;
  /** Why, in words: "HTTPS_PROXY", "NO_PROXY entry .corp.example", "loopback is never proxied". */
  why: string;
}

/** Decides for one request URL what Go's ProxyFromEnvironment decides. */
export function chooseProxy(settings: ProxySettings, url: URL): ProxyChoice {
  const https = url.protocol === "https:";
  const proxy = https ? settings.https : url.protocol === "http:" ? settings.http : undefined;
  const from = https ? settings.httpsFrom : settings.httpFrom;
  if (proxy === undefined) return { proxy: undefined, why: `no ${https ? "HTTPS_PROXY" : "HTTP_PROXY"} in the runtime's environment` };
  if (!https && settings.cgi) return { proxy: undefined, why: "REQUEST_METHOD is set, so Go refuses HTTP_PROXY" };
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port || (https ? "443" : "80");
  if (host === "localhost") return { proxy: undefined, why: "localhost is never proxied" };
  const ip = isIP(host) !== 0 ? canonicalIp(host) : undefined;
  if (ip !== undefined && isLoopback(ip)) return { proxy: undefined, why: "loopback addresses are never proxied" };
  const exempt = noProxyMatch(matchersOf(settings.noProxy), host, port, ip);
  if (exempt !== undefined) return { proxy: undefined, why: `${settings.noProxyFrom ?? "NO_PROXY"} ${exempt}` };
  return { proxy, why: from ?? "proxy" };
}

function noProxyMatch(m: Matchers, host: string, port: string, ip: string | undefined): string | undefined {
  if (m.all) return 'is "*"';
  if (ip !== undefined) {
    for (const rule of m.ips) {
      const hit = rule.block ? rule.block.check(ip, isIP(ip) === 4 ? "ipv4" : "ipv6") : rule.ip === ip;
      if (hit && (rule.port === "" || rule.port === port)) return `lists ${ip}`;
    }
  }
  for (const d of m.domains) {
    if ((host.endsWith(d.suffix) || (d.matchHost && host === d.suffix.slice(1))) && (d.port === "" || d.port === port)) {
      return `lists ${d.matchHost ? d.suffix.slice(1) : d.suffix}${d.port ? `:${d.port}` : ""}`;
    }
  }
  return undefined;
}

/** A proxy URL fit to show: scheme, host and port, never its user or password. */
export function proxyLabel(url: URL): string {
  return `${url.protocol}//${url.host}`;
}
