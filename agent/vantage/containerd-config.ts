// containerd's config.toml as containerd reads it, for what decides pulls: the CRI registry
// section's config_path, and the older registry.mirrors / registry.configs. Versions 1 (plugin
// "cri"), 2 (plugin "io.containerd.grpc.v1.cri") and 3 (containerd 2.x, plugin
// "io.containerd.cri.v1.images"). `imports` are read breadth first after the file that names them,
// relative paths from that file's directory, globs expanded, each file once; every later file
// replaces whole plugin sections of the earlier ones (containerd's mergeConfig)
// (docs/facts/runtime-view.md).

import { posix } from "node:path";
import type * as SmolToml from "smol-toml";
import { FileReadError } from "../../core/fs/index.js";
import { lazyModule } from "../../core/process/index.js";
import type { RootFs } from "./root-fs.js";

const toml = lazyModule<typeof SmolToml>("smol-toml");

const CONFIG_LIMIT = 4 * 1024 * 1024;
const MAX_FILES = 64;
const REGISTRY_PLUGINS = ["io.containerd.cri.v1.images", "io.containerd.grpc.v1.cri", "cri"];

export interface LegacyTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify?: boolean;
}

/** The CRI registry settings, from config.toml or from the CRI verbose Status. Never credentials. */
export interface ContainerdRegistry {
  /** config_path as set; "" or undefined when not set. */
  configPath: string | undefined;
  /** registry.mirrors: registry host (or "*") → endpoints in order. */
  mirrors: Record<string, string[]>;
  /** registry.configs.<host>.tls */
  tls: Record<string, LegacyTls>;
  /** Hosts with registry.configs.<host>.auth set: named, never shown. */
  authHosts: string[];
}

export interface ContainerdConfig {
  /** The files read, in merge order. */
  files: string[];
  version: number;
  /** The registry settings; undefined when no file sets any. */
  registry: ContainerdRegistry | undefined;
  /** The plugin the registry section was found under. */
  plugin: string | undefined;
  problems: string[];
}

type Table = Record<string, unknown>;

export async function loadContainerdConfig(fs: RootFs, path: string): Promise<ContainerdConfig> {
  const files: string[] = [];
  const problems: string[] = [];
  const merged: { version: number; plugins: Table } = { version: 1, plugins: {} };
  const pending = [path];
  const seen = new Set<string>();
  while (pending.length > 0 && files.length < MAX_FILES) {
    const file = pending.shift() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const table = await readToml(fs, file, problems, file === path);
    if (table === undefined) continue;
    files.push(file);
    if (typeof table["version"] === "number") merged.version = table["version"];
    const plugins = table["plugins"];
    // Plugin sections are replaced whole, never merged key by key.
    if (isTable(plugins)) Object.assign(merged.plugins, plugins);
    pending.push(...(await importsOf(fs, file, table["imports"], problems)));
  }
  const found = registryOf(merged.plugins);
  return { files, version: merged.version, registry: found?.registry, plugin: found?.plugin, problems };
}

async function readToml(fs: RootFs, file: string, problems: string[], main: boolean): Promise<Table | undefined> {
  let text: string;
  try {
    text = (await fs.readText(file, CONFIG_LIMIT)).text;
  } catch (err) {
    if (!(err instanceof FileReadError)) throw err;
    // A missing main file is containerd's defaults; a missing import fails containerd's start.
    if (!(main && err.problem === "missing")) problems.push(`${err.message}; ${main ? "containerd's defaults are assumed" : "left out"}`);
    return undefined;
  }
  try {
    return toml().parse(text) as Table;
  } catch (err) {
    const line = (err as { line?: number }).line;
    problems.push(
      `${fs.name(file)}: not valid TOML${line !== undefined ? ` at line ${line}` : ""} (${firstLine(err)}); containerd cannot have started with it, so ${main ? "containerd's defaults are assumed" : "it is left out"}`,
    );
    return undefined;
  }
}

async function importsOf(fs: RootFs, file: string, value: unknown, problems: string[]): Promise<string[]> {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    problems.push(`${fs.name(file)}: imports is not a list of paths; left out`);
    return [];
  }
  const out: string[] = [];
  for (const raw of value as string[]) {
    const abs = posix.isAbsolute(raw) ? raw : posix.join(posix.dirname(file), raw);
    out.push(...(/[*?[]/.test(posix.basename(abs)) ? await glob(fs, abs) : [abs]));
  }
  return out;
}

/** A glob in the last path component (the form containerd's imports use: "/etc/containerd/conf.d/*.toml"), sorted as Go's filepath.Glob. */
async function glob(fs: RootFs, pattern: string): Promise<string[]> {
  const dir = posix.dirname(pattern);
  const re = new RegExp(
    `^${posix
      .basename(pattern)
      .replace(/[.+^${}()|\\]/g, "\\$&")
      .replace(/\*/g, "[^/]*")
      .replace(/\?/g, "[^/]")}$`,
  );
  try {
    const { entries } = await fs.list(dir);
    return entries
      .map((e) => e.name)
      .filter((n) => re.test(n))
      .sort()
      .map((n) => posix.join(dir, n));
  } catch {
    return [];
  }
}

function registryOf(plugins: Table): { registry: ContainerdRegistry; plugin: string } | undefined {
  for (const plugin of REGISTRY_PLUGINS) {
    const section = plugins[plugin];
    const registry = isTable(section) ? section["registry"] : undefined;
    if (isTable(registry)) return { registry: fromToml(registry), plugin };
  }
  return undefined;
}

function fromToml(t: Table): ContainerdRegistry {
  const out: ContainerdRegistry = { configPath: str(t["config_path"]), mirrors: {}, tls: {}, authHosts: [] };
  for (const [host, m] of entries(t["mirrors"])) out.mirrors[host] = strings(m["endpoint"]);
  for (const [host, c] of entries(t["configs"])) {
    const tls = c["tls"];
    if (isTable(tls)) {
      out.tls[host] = clean({
        caFile: str(tls["ca_file"]),
        certFile: str(tls["cert_file"]),
        keyFile: str(tls["key_file"]),
        insecureSkipVerify: bool(tls["insecure_skip_verify"]),
      });
    }
    if (isTable(c["auth"])) out.authHosts.push(host);
  }
  return out;
}

/** The same settings from the CRI verbose Status "config" (containerd's effective, merged config). */
export function registryFromStatus(info: Record<string, string>): ContainerdRegistry | undefined {
  let config: unknown;
  try {
    config = JSON.parse(info["config"] ?? "");
  } catch {
    return undefined;
  }
  const registry = isTable(config) ? config["registry"] : undefined;
  if (!isTable(registry)) return undefined;
  const out: ContainerdRegistry = { configPath: str(registry["configPath"]), mirrors: {}, tls: {}, authHosts: [] };
  for (const [host, m] of entries(registry["mirrors"])) out.mirrors[host] = strings(m["endpoint"]);
  for (const [host, c] of entries(registry["configs"])) {
    const tls = c["tls"];
    if (isTable(tls)) {
      out.tls[host] = clean({
        caFile: str(tls["caFile"]),
        certFile: str(tls["certFile"]),
        keyFile: str(tls["keyFile"]),
        insecureSkipVerify: bool(tls["insecureSkipVerify"]),
      });
    }
    if (isTable(c["auth"])) out.authHosts.push(host);
  }
  return out;
}

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function entries(v: unknown): [string, Table][] {
  return isTable(v) ? Object.entries(v).filter((e): e is [string, Table] => isTable(e[1])) : [];
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function bool(v: unknown): boolean | undefined {
  return typeof v === "boolean" ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}

function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}
