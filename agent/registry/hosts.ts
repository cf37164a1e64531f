/**
 * containerd's per-registry host configuration (`config_path`, hosts.toml, Docker-style certs.d),
 * read the way containerd reads it, so that pullmedic probes the hosts containerd would try, in
 * its order, with its TLS settings. Source read: containerd/containerd
 * core/remotes/docker/config/hosts.go and config_unix.go (main, 2026-08), the same file under
 * remotes/docker/config/ at the v1.6.x and v1.7.x tags, and
 * internal/cri/server/images/image_pull.go (several config_path roots, first match wins).
 *
 * Header values may be credentials (an Authorization header for a mirror): show hosts with
 * `describeRegistryHost`, which names headers without their values.
 */

import type { Dirent } from "node:fs";
import { isIPv4, isIPv6 } from "node:net";
import { isAbsolute, join, posix, resolve } from "node:path";

import type * as SmolToml from "smol-toml";
import type { TomlTable, TomlValue } from "smol-toml";
import { FileReadError } from "../../core/fs/index.js";
import { DOCKER_HUB_API_HOST, DOCKER_HUB_DOMAIN } from "../../core/image/index.js";
import { splitHostPort } from "../../core/net/index.js";
import { lazyModule } from "../../core/process/index.js";
import { listHostDir, readHostsToml, rememberHeaderSecrets, statHostPath } from "./host-files.js";

const toml = lazyModule<typeof SmolToml>("smol-toml");

export type HostCapability = "pull" | "resolve" | "push";

export interface RegistryHost {
  /**
   * Base URL with scheme: "https://mirror.local:5000", "http://127.0.0.1:5000". The API root is
   * `${url}/v2` unless `overridePath`, in which case `url` is the API root itself.
   */
  url: string;
  capabilities: HostCapability[];
  /** CA files resolved to absolute paths (relative ones are relative to the hosts.toml dir). */
  caFiles: string[];
  clientCerts: { cert: string; key: string | undefined }[];
  skipVerify: boolean;
  overridePath: boolean;
  /** Extra request headers. Values may be secrets; never log them. */
  headers: Record<string, string>;
  /** true for [host."…"] entries, false for the `server` (upstream). */
  mirror: boolean;
  /**
   * containerd tries this http:// host over https first and falls back to http only when the
   * server answers the TLS hello in plain HTTP (hosts.go `NewHTTPFallback`). It does so for an
   * http host that has TLS settings (ca, client, skip_verify; the localhost default sets
   * skip_verify) and a port other than 80, from containerd 1.6.25 / 1.7.7 on.
   */
  httpsFirst?: boolean;
  /** `dial_timeout` as written (containerd ≥ 2.1), e.g. "5s". */
  dialTimeout?: string;
}

export interface HostsConfig {
  /** The image's registry domain, e.g. "docker.io". */
  domain: string;
  /** The file used, or undefined when defaults apply. */
  file: string | undefined;
  /** In the order containerd tries them: [host] entries in file order, then `server` (or the default upstream). */
  hosts: RegistryHost[];
  /** The host directory containerd picked (also when it has no hosts.toml, only certificates). */
  dir?: string;
  /** Things in the file containerd does not act on, in words. */
  notes?: string[];
}

export interface HostsOptions {
  /**
   * The node's containerd version ("1.6.20", "v1.7.8", "1.6.20~ds1"): localhost defaults, the
   * https-first fallback and the accepted keys changed between releases. Unknown or absent means
   * current behaviour (1.7.8+ / 2.x).
   */
  containerdVersion?: string;
}

/**
 * A hosts.toml that containerd cannot use, or a host directory it cannot read. `reason` is the
 * problem alone; `message` adds the file and what containerd does about it.
 */
export class HostsConfigError extends Error {
  readonly file: string;
  readonly reason: string;
  /** 1-based line of a TOML syntax error. */
  readonly line: number | undefined;
  /** The offending key, e.g. `host."https://mirror".capabilities`. */
  readonly key: string | undefined;
  /**
   * For a file containerd cannot parse: what containerd uses instead (it logs the error and falls
   * back to the Docker-style certificate files of the directory, defaults otherwise).
   */
  readonly fallback: HostsConfig | undefined;

  constructor(file: string, reason: string, details: { line?: number; key?: string; fallback?: HostsConfig; consequence?: string } = {}) {
    super(`${file}: ${reason}${details.consequence ? `; ${details.consequence}` : ""}`);
    this.name = "HostsConfigError";
    this.file = file;
    this.reason = reason;
    this.line = details.line;
    this.key = details.key;
    this.fallback = details.fallback;
  }
}

const ALL_CAPABILITIES: HostCapability[] = ["pull", "resolve", "push"];
const IGNORED_FILE = "containerd logs this and ignores the file: it uses only the certificate files in that directory, and its defaults otherwise";
const DEFAULT_DIR = "_default";

/**
 * The hosts containerd tries for `domain` given its `config_path` (`hostsDir`, several roots
 * separated by ":" as in containerd's default "/etc/containerd/certs.d:/etc/docker/certs.d").
 * In each root, in order, the first of "host_port_", "host:port" and "_default" that exists wins;
 * the first root with a match wins even if a later root has a more specific directory. A missing
 * root is not an error. Throws HostsConfigError for a hosts.toml containerd would reject.
 */
export async function readHostsConfig(hostsDir: string, domain: string, options: HostsOptions = {}): Promise<HostsConfig> {
  const rules = containerdRules(options.containerdVersion);
  const roots = hostsDir.split(":").filter((r) => r !== "");
  for (const root of roots) {
    for (const candidate of hostDirCandidates(resolve(root), domain)) {
      try {
        await statHostPath(candidate);
      } catch (err) {
        const code = errorCode(err);
        if (code === "ENOENT") continue;
        throw new HostsConfigError(candidate, `cannot be examined (${code ?? String(err)})`, {
          consequence: "containerd fails pulls from this registry with the same error",
        });
      }
      return loadHostDir(candidate, domain, rules);
    }
  }
  return { domain, file: undefined, hosts: [defaultHost(domain, {}, rules)] };
}

/**
 * The host containerd uses for `domain` when no configuration says otherwise:
 * docker.io → https://registry-1.docker.io; other hosts → https://<domain>; localhost and
 * loopback addresses (hosts.go `IsLocalhost`: "localhost" or a loopback IP) have their own rule,
 * which changed between releases (remotes/docker/config/hosts.go at each tag):
 * - before 1.6.9: like any host, https;
 * - 1.6.9–1.6.24 and 1.7.0–1.7.7: http on any port, TLS verification off (1.7.7 already tries
 *   https first, see `httpsFirst`);
 * - 1.6.25+, 1.7.8+ and 2.x: no port or 443 → https without verification; port 80 → http;
 *   any other port → https first without verification, falling back to http when the server
 *   answers in plain HTTP (`url` is then the http one and `httpsFirst` is set).
 */
export function defaultRegistryHost(domain: string, options: HostsOptions = {}): RegistryHost {
  return defaultHost(domain, {}, containerdRules(options.containerdVersion));
}

/** One line for evidence: URL, role, capabilities and TLS settings; header names only. */
export function describeRegistryHost(host: RegistryHost): string {
  const parts = [host.mirror ? "mirror" : "upstream", host.capabilities.join("+") || "no capabilities"];
  if (host.httpsFirst) parts.push("https tried first");
  if (host.skipVerify) parts.push("TLS verification off");
  if (host.caFiles.length > 0) parts.push(`CA ${host.caFiles.join(", ")}`);
  if (host.clientCerts.length > 0) parts.push(`client cert ${host.clientCerts.map((c) => c.cert).join(", ")}`);
  if (host.overridePath) parts.push("override_path");
  const headers = Object.keys(host.headers);
  if (headers.length > 0) parts.push(`headers ${headers.join(", ")}`);
  return `${host.url} (${parts.join(", ")})`;
}

interface Rules {
  localhost: "none" | "http" | "port-aware";
  fallback: "none" | "any-port" | "not-80-with-port" | "not-80";
  referrers: boolean;
  dialTimeout: boolean;
}

const CURRENT_RULES: Rules = { localhost: "port-aware", fallback: "not-80", referrers: true, dialTimeout: true };

function containerdRules(version: string | undefined): Rules {
  const m = version === undefined ? null : /(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (m === null) return CURRENT_RULES;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (major >= 2) {
    return { ...CURRENT_RULES, referrers: minor >= 2 || major > 2, dialTimeout: minor >= 1 || major > 2 };
  }
  const v1 = { referrers: false, dialTimeout: false };
  if (major === 1 && minor === 7) {
    if (patch >= 8) return { ...v1, localhost: "port-aware", fallback: "not-80" };
    return { ...v1, localhost: "http", fallback: patch === 7 ? "any-port" : "none" };
  }
  if (major === 1 && minor === 6) {
    if (patch >= 25) return { ...v1, localhost: "port-aware", fallback: "not-80-with-port" };
    return { ...v1, localhost: patch >= 9 ? "http" : "none", fallback: "none" };
  }
  if (major === 1 && minor > 7) return { ...v1, localhost: "port-aware", fallback: "not-80" };
  return { ...v1, localhost: "none", fallback: "none" };
}

/** config_unix.go hostPaths: "host:port" is looked up as "host_port_" first. */
function hostDirCandidates(root: string, domain: string): string[] {
  const colon = domain.lastIndexOf(":");
  const escaped = colon > 0 ? `${domain.slice(0, colon)}_${domain.slice(colon + 1)}_` : domain;
  const names = escaped === domain ? [domain, DEFAULT_DIR] : [escaped, domain, DEFAULT_DIR];
  return names.map((n) => join(root, n));
}

async function loadHostDir(dir: string, domain: string, rules: Rules): Promise<HostsConfig> {
  const file = join(dir, "hosts.toml");
  let text: string;
  try {
    text = await readHostsToml(file);
  } catch (err) {
    if (!(err instanceof FileReadError)) throw err;
    if (err.problem !== "missing") {
      throw new HostsConfigError(file, `cannot be read (${err.message.slice(file.length + 2)})`, {
        consequence: "containerd cannot read it either, and pulls from this registry fail or hang",
      });
    }
    return loadCertFiles(dir, domain, rules);
  }
  // containerd treats an empty hosts.toml like a missing one.
  if (text.length === 0) return loadCertFiles(dir, domain, rules);
  let parsed: { hosts: RegistryHost[]; notes: string[] };
  try {
    parsed = parseHostsToml(text, dir, domain, rules);
  } catch (err) {
    if (!(err instanceof HostsFileProblem)) throw err;
    const fallback = await loadCertFiles(dir, domain, rules);
    const details: { line?: number; key?: string; fallback?: HostsConfig; consequence: string } = { consequence: err.consequence };
    // Only a file containerd fails to parse is replaced by the certificate files; see IGNORED_FILE.
    if (err.consequence === IGNORED_FILE) details.fallback = fallback;
    if (err.line !== undefined) details.line = err.line;
    if (err.key !== undefined) details.key = err.key;
    throw new HostsConfigError(file, err.message, details);
  }
  const config: HostsConfig = { domain, file, dir, hosts: parsed.hosts };
  if (parsed.notes.length > 0) config.notes = parsed.notes;
  return config;
}

/** Docker's certs.d layout: *.crt are CAs, *.cert a client certificate with the same-name *.key. */
async function loadCertFiles(dir: string, domain: string, rules: Rules): Promise<HostsConfig> {
  let entries: Dirent[];
  try {
    entries = await listHostDir(dir);
  } catch (err) {
    const code = errorCode(err);
    if (code !== "ENOENT") {
      throw new HostsConfigError(dir, `cannot be listed (${code ?? String(err)})`, {
        consequence: "containerd fails pulls from this registry with the same error",
      });
    }
    entries = [];
  }
  // Go's os.ReadDir returns names sorted; Node's order is the file system's.
  const names = entries
    .filter((e) => !e.isDirectory())
    .map((e) => e.name)
    .sort();
  const caFiles: string[] = [];
  const clientCerts: { cert: string; key: string | undefined }[] = [];
  for (const name of names) {
    if (name.endsWith(".crt")) caFiles.push(join(dir, name));
    if (name.endsWith(".cert")) {
      const keyFile = join(dir, `${name.slice(0, -".cert".length)}.key`);
      let key: string | undefined;
      try {
        await statHostPath(keyFile);
        key = keyFile;
      } catch (err) {
        const code = errorCode(err);
        if (code !== "ENOENT") {
          throw new HostsConfigError(keyFile, `cannot be examined (${code ?? String(err)})`, {
            consequence: "containerd fails pulls from this registry with the same error",
          });
        }
      }
      clientCerts.push({ cert: join(dir, name), key });
    }
  }
  // Only files found count as TLS settings (they make containerd try https first on http hosts).
  const partial: PartialHost = {};
  if (caFiles.length > 0) partial.caFiles = caFiles;
  if (clientCerts.length > 0) partial.clientCerts = clientCerts;
  return { domain, file: undefined, dir, hosts: [defaultHost(domain, partial, rules)] };
}

/** What one table of hosts.toml sets; undefined means "not set", which matters to containerd. */
interface PartialHost {
  scheme?: string;
  host?: string;
  path?: string;
  capabilities?: HostCapability[];
  caFiles?: string[];
  clientCerts?: { cert: string; key: string | undefined }[];
  skipVerify?: boolean;
  headers?: Record<string, string>;
  overridePath?: boolean;
  dialTimeout?: string;
}

/** A parse problem inside parseHostsToml, turned into HostsConfigError with the fallback by the caller. */
class HostsFileProblem extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly key?: string,
    readonly consequence: string = IGNORED_FILE,
  ) {
    super(message);
  }
}

const NO_HOST = "containerd parses it as a URL without a host and cannot reach that entry";

type Toml = TomlTable;

function parseHostsToml(text: string, dir: string, domain: string, rules: Rules): { hosts: RegistryHost[]; notes: string[] } {
  let doc: Toml;
  try {
    doc = toml().parse(text);
  } catch (err) {
    if (err instanceof toml().TomlError) {
      const what = (err.message.split("\n")[0] ?? "").replace(/^Invalid TOML document:\s*/, "");
      throw new HostsFileProblem(`invalid TOML at line ${err.line}, column ${err.column}: ${what}`, err.line);
    }
    throw new HostsFileProblem(`invalid TOML: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }

  const notes: string[] = [];
  const hostTable = doc["host"];
  if (hostTable !== undefined && !isTable(hostTable)) {
    throw new HostsFileProblem(`key "host" must be a table of [host."https://…"] sections, found ${tomlType(hostTable)}`, undefined, "host");
  }
  const declared = hostTable === undefined ? {} : (hostTable as Toml);
  const order = hostTableOrder(text);
  for (const name of Object.keys(declared)) {
    if (!order.includes(name)) {
      const shown = JSON.stringify(withoutUserinfo(name));
      notes.push(`host ${shown} is not written as a [host.${shown}] section, so containerd does not use it`);
    }
  }

  const hosts: RegistryHost[] = [];
  for (const name of order) {
    const table = declared[name];
    const at = `host.${JSON.stringify(withoutUserinfo(name))}`;
    if (table === undefined) continue;
    if (withoutUserinfo(name) !== name) notes.push(`[${at}] has user information in its URL; containerd drops it and sends no credentials from it`);
    if (!isTable(table)) throw new HostsFileProblem(`key ${at} must be a table, found ${tomlType(table)}`, undefined, at);
    const partial = readHostTable(table as Toml, at, dir, rules);
    Object.assign(partial, parseHostUrl(name, partial.overridePath === true, at));
    hosts.push(finishHost(partial, true, rules));
  }

  const server = doc["server"];
  if (server !== undefined && typeof server !== "string") {
    throw new HostsFileProblem(`key "server" must be a string such as "https://registry.example.com", found ${tomlType(server)}`, undefined, "server");
  }
  const top = readHostTable(doc, "", dir, rules);
  if (server !== undefined && server !== "") {
    if (withoutUserinfo(server) !== server) notes.push('key "server" has user information in its URL; containerd drops it and sends no credentials from it');
    Object.assign(top, parseHostUrl(server, top.overridePath === true, "server"));
    hosts.push(finishHost(top, false, rules));
  } else {
    hosts.push(defaultHost(domain, top, rules));
  }
  return { hosts, notes };
}

/** Reads the keys hostFileConfig knows, with go-toml's type strictness. `at` prefixes key names. */
function readHostTable(table: Toml, at: string, dir: string, rules: Rules): PartialHost {
  const keys = tableKeys(at);
  const abs = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const out: PartialHost = {};
  const caps = table["capabilities"];
  if (caps !== undefined) {
    const capabilities = readCapabilities(caps, keys, rules);
    if (capabilities !== undefined) out.capabilities = capabilities;
  }
  const ca = table["ca"];
  if (ca !== undefined) out.caFiles = readCaFiles(ca, keys).map(abs);
  const client = table["client"];
  if (client !== undefined) out.clientCerts = readClientCerts(client, keys, abs);
  const skip = table["skip_verify"];
  if (skip !== undefined) out.skipVerify = readBoolean("skip_verify", skip, keys);
  const override = table["override_path"];
  if (override !== undefined) out.overridePath = readBoolean("override_path", override, keys);
  const header = table["header"];
  if (header !== undefined) out.headers = readHeaders(header, keys);
  // Older containerd does not know dial_timeout and ignores it like any unknown key.
  const dial = table["dial_timeout"];
  if (dial !== undefined && rules.dialTimeout) out.dialTimeout = readDialTimeout(dial, keys);
  return out;
}

/** How the keys of one table are named in messages, and go-toml's failure for a value of the wrong type. */
interface TableKeys {
  name: (k: string) => string;
  wrong: (k: string, expected: string, v: TomlValue) => never;
}

function tableKeys(at: string): TableKeys {
  const name = (k: string) => (at === "" ? k : `${at}.${k}`);
  const wrong = (k: string, expected: string, v: TomlValue): never => {
    throw new HostsFileProblem(`key ${JSON.stringify(name(k))} must be ${expected}, found ${tomlType(v)}`, undefined, name(k));
  };
  return { name, wrong };
}

/** The capabilities in containerd's order; undefined for an empty list, which containerd treats as all of them. */
function readCapabilities(caps: TomlValue, keys: TableKeys, rules: Rules): HostCapability[] | undefined {
  if (!Array.isArray(caps)) return keys.wrong("capabilities", 'an array such as ["pull", "resolve"]', caps);
  const set = new Set<string>();
  for (const c of caps) {
    if (typeof c !== "string") return keys.wrong("capabilities", "an array of strings", caps);
    const lower = c.toLowerCase();
    if (lower === "referrers" && rules.referrers) continue;
    if (!(ALL_CAPABILITIES as string[]).includes(lower)) {
      const known = rules.referrers ? "pull, resolve, push, referrers" : "pull, resolve, push (referrers only from containerd 2.2)";
      throw new HostsFileProblem(
        `key ${JSON.stringify(keys.name("capabilities"))} has the unknown capability ${JSON.stringify(c)}; known: ${known}`,
        undefined,
        keys.name("capabilities"),
      );
    }
    set.add(lower);
  }
  return caps.length > 0 ? ALL_CAPABILITIES.filter((c) => set.has(c)) : undefined;
}

/** `ca`: one path or an array of paths, as written. */
function readCaFiles(ca: TomlValue, keys: TableKeys): string[] {
  if (typeof ca === "string") return [ca];
  if (Array.isArray(ca) && ca.every((c) => typeof c === "string")) return ca as string[];
  return keys.wrong("ca", "a file path or an array of file paths", ca);
}

/** `client`: a path, or an array of paths and ["cert", "key"] pairs. */
function readClientCerts(client: TomlValue, keys: TableKeys, abs: (p: string) => string): { cert: string; key: string | undefined }[] {
  const expected = 'a file path, an array of paths, or an array of ["cert", "key"] pairs';
  if (typeof client === "string") return [{ cert: abs(client), key: undefined }];
  if (!Array.isArray(client)) return keys.wrong("client", expected, client);
  const certs: { cert: string; key: string | undefined }[] = [];
  for (const item of client) {
    if (typeof item === "string") certs.push({ cert: abs(item), key: undefined });
    else if (Array.isArray(item) && item.length === 2 && typeof item[0] === "string" && typeof item[1] === "string") {
      certs.push({ cert: abs(item[0]), key: abs(item[1]) });
    } else return keys.wrong("client", expected, client);
  }
  return certs;
}

function readBoolean(k: string, v: TomlValue, keys: TableKeys): boolean {
  if (typeof v !== "boolean") return keys.wrong(k, "true or false", v);
  return v;
}

/** `header`: name → a string or an array of strings, the latter joined as one header value. */
function readHeaders(header: TomlValue, keys: TableKeys): Record<string, string> {
  if (!isTable(header)) return keys.wrong("header", 'a table such as [host."…".header]', header);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Toml)) {
    if (typeof value === "string") headers[name] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === "string")) headers[name] = (value as string[]).join(", ");
    else return keys.wrong(`header.${name}`, "a string or an array of strings", value);
  }
  rememberHeaderSecrets(headers);
  return headers;
}

function readDialTimeout(dial: TomlValue, keys: TableKeys): string {
  if (typeof dial !== "string") return keys.wrong("dial_timeout", 'a duration string such as "5s"', dial);
  if (!isGoDuration(dial)) {
    throw new HostsFileProblem(
      `key ${JSON.stringify(keys.name("dial_timeout"))} is not a duration such as "500ms" or "5s"`,
      undefined,
      keys.name("dial_timeout"),
    );
  }
  return dial;
}

/** hosts.go parseHostConfig: no scheme means https; the API path gets "/v2" unless override_path. */
function parseHostUrl(raw: string, overridePath: boolean, at: string): Pick<PartialHost, "scheme" | "host" | "path"> {
  const withScheme = raw.startsWith("http") ? raw : `https://${raw}`;
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(withScheme);
  // Go's url.Parse keeps user information out of the host, and containerd uses only the host.
  const authority = m?.[2] ?? "";
  const host = authority.slice(authority.lastIndexOf("@") + 1);
  const where = at === "server" ? 'key "server"' : `section [${at}]`;
  const shown = JSON.stringify(withoutUserinfo(raw));
  if (m === null || host === "") {
    // containerd adds "https://" only when the text does not start with "http", so "httpbin.local" has no host.
    const why = raw.startsWith("http") && !raw.includes("://") ? ' (it starts with "http" but has no "://", so no scheme is added)' : "";
    throw new HostsFileProblem(`${where}: ${shown} is not a URL with a host, such as "https://mirror.example.com"${why}`, undefined, at, NO_HOST);
  }
  const bad = GO_BAD_HOST_CHAR.exec(host);
  if (bad !== null) throw new HostsFileProblem(`${where}: invalid character ${JSON.stringify(bad[0])} in the host of ${shown}`, undefined, at);
  const port = /^(?:\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(host)?.[1];
  if (port !== undefined && !/^[0-9]*$/.test(port)) {
    throw new HostsFileProblem(`${where}: invalid port ${JSON.stringify(port)} in ${shown}`, undefined, at);
  }
  const scheme = (m[1] ?? "https").toLowerCase();
  let path = m[3] ?? "";
  if (path !== "") {
    path = posix.normalize(path);
    if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
    if (!path.endsWith("/v2") && !overridePath) path = `${path}/v2`;
  } else if (!overridePath) {
    path = "/v2";
  }
  return { scheme, host, path };
}

// What Go's url.Parse refuses in a host (net/url shouldEscape in encodeHost mode).
const GO_BAD_HOST_CHAR = /[^A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%\u0080-\uffff]/;

/** "https://user:token@mirror" → "https://mirror": for messages, which must not show a credential. */
function withoutUserinfo(url: string): string {
  return url.replace(/^((?:[a-zA-Z][a-zA-Z0-9+.-]*:\/\/)?)[^/?#]*@/, "$1");
}

function finishHost(p: PartialHost, mirror: boolean, rules: Rules): RegistryHost {
  const overridePath = p.overridePath === true;
  const apiPath = p.path ?? "/v2";
  const base = overridePath ? apiPath : apiPath.replace(/\/v2$/, "");
  const scheme = p.scheme ?? "https";
  const host: RegistryHost = {
    url: `${scheme}://${p.host ?? ""}${base === "/" ? "" : base}`,
    capabilities: p.capabilities ?? [...ALL_CAPABILITIES],
    caFiles: p.caFiles ?? [],
    clientCerts: p.clientCerts ?? [],
    skipVerify: p.skipVerify === true,
    overridePath,
    headers: p.headers ?? {},
    mirror,
  };
  const explicitTls = p.caFiles !== undefined || p.clientCerts !== undefined || p.skipVerify !== undefined;
  if (scheme === "http" && explicitTls && fallbackApplies(p.host ?? "", rules)) host.httpsFirst = true;
  if (p.dialTimeout !== undefined) host.dialTimeout = p.dialTimeout;
  return host;
}

function fallbackApplies(hostport: string, rules: Rules): boolean {
  const port = splitPort(hostport);
  switch (rules.fallback) {
    case "none":
      return false;
    case "any-port":
      return true;
    case "not-80-with-port":
      return port !== "" && port !== "80";
    case "not-80":
      return port !== "80";
  }
}

/**
 * hosts.go's last-entry default: with no `server`, the namespace's own host, keeping whatever the
 * top level of hosts.toml (or the certs.d files) set for TLS and headers. The path and
 * capabilities are reset, so a top-level override_path or capabilities has no effect here.
 */
function defaultHost(domain: string, p: PartialHost, rules: Rules): RegistryHost {
  const filled: PartialHost = { ...p, path: "/v2", overridePath: false };
  delete filled.capabilities;
  if (domain === DOCKER_HUB_DOMAIN) {
    filled.scheme = "https";
    filled.host = DOCKER_HUB_API_HOST;
  } else if (isLocalhost(domain) && rules.localhost !== "none") {
    filled.host = domain;
    if (rules.localhost === "http") {
      filled.scheme = "http";
      filled.skipVerify = true;
    } else {
      const port = splitPort(domain);
      filled.scheme = port === "" || port === "443" ? "https" : "http";
      if (port !== "80") filled.skipVerify = true;
    }
  } else {
    filled.host = domain;
    filled.scheme = "https";
  }
  return finishHost(filled, false, rules);
}

/** resolver.go IsLocalhost: "localhost" or a loopback IP, after removing a port. */
function isLocalhost(domain: string): boolean {
  let host = domain;
  const split = splitHostPort(domain);
  if (split !== undefined) host = split.host;
  if (host === "localhost") return true;
  if (isIPv4(host)) return host.split(".")[0] === "127";
  if (isIPv6(host)) {
    try {
      const normalized = new URL(`http://[${host}]`).hostname;
      return normalized === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(normalized);
    } catch {
      return false;
    }
  }
  return false;
}

function splitPort(hostport: string): string {
  return splitHostPort(hostport)?.port ?? "";
}

/**
 * The host names in [host."…"] section headers, in file order, as hosts.go getSortedHosts lists
 * them: only table headers count (a host given as a dotted key or inline table is not used), and
 * a header is skipped when it names the same host as the one just before (its subtables).
 */
function hostTableOrder(text: string): string[] {
  const order: string[] = [];
  let last: string | undefined;
  let inMultiline: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (inMultiline !== undefined) {
      if (line.includes(inMultiline)) inMultiline = undefined;
      continue;
    }
    const trimmed = line.trimStart();
    if (trimmed.startsWith("[") && !trimmed.startsWith("[[")) {
      const parts = parseHeaderKey(trimmed.slice(1));
      if (parts !== undefined && parts.length >= 2 && parts[0] === "host" && parts[1] !== last) {
        last = parts[1];
        order.push(parts[1] ?? "");
      }
      continue;
    }
    for (const delimiter of ['"""', "'''"]) {
      if (line.split(delimiter).length % 2 === 0) inMultiline = delimiter;
    }
  }
  return order;
}

/** Dotted key of a table header (after "["): bare, "basic" or 'literal' parts. */
function parseHeaderKey(s: string): string[] | undefined {
  const parts: string[] = [];
  let i = 0;
  const ws = () => {
    while (s[i] === " " || s[i] === "\t") i++;
  };
  while (true) {
    ws();
    const c = s[i];
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
      const raw = s.slice(i, j + 1);
      try {
        parts.push(JSON.parse(raw) as string);
      } catch {
        parts.push(raw.slice(1, -1));
      }
      i = j + 1;
    } else if (c === "'") {
      const j = s.indexOf("'", i + 1);
      if (j < 0) return undefined;
      parts.push(s.slice(i + 1, j));
      i = j + 1;
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(s.slice(i));
      if (m === null) return undefined;
      parts.push(m[0]);
      i += m[0].length;
    }
    ws();
    if (s[i] === ".") {
      i++;
      continue;
    }
    return s[i] === "]" ? parts : undefined;
  }
}

/** Go's time.ParseDuration grammar: "300ms", "1.5h", "2h45m"; "0" alone is allowed. */
function isGoDuration(s: string): boolean {
  return s === "0" || /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.test(s);
}

function isTable(v: TomlValue | undefined): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date);
}

function tomlType(v: TomlValue): string {
  if (Array.isArray(v)) return "an array";
  // The value itself is not shown: a misplaced header value may be a token.
  if (typeof v === "string") return "a string";
  if (typeof v === "number" || typeof v === "bigint") return "a number";
  if (typeof v === "boolean") return "a boolean";
  if (v instanceof Date) return "a date/time";
  return "a table";
}

function errorCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string" ? err.code : undefined;
}
