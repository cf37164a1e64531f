// CRI-O's registry configuration, containers-registries.conf(5) as containers/image reads it:
// /etc/containers/registries.conf, then registries.conf.d/*.conf in name order, each file's
// [[registry]] tables replacing those of the same prefix and its top-level keys replacing the
// earlier ones. A reference is matched to the [[registry]] with the longest prefix ("*.example.com"
// matches subdomains); it is pulled from that entry's mirrors (subject to mirror-by-digest-only
// and pull-from-mirror), then from `location` with the prefix rewritten; `blocked` refuses it;
// `insecure` allows plain HTTP and unverified TLS. The version 1 tables ([registries.search],
// [registries.insecure], [registries.block]) are read too (docs/facts/runtime-view.md).

import type * as SmolToml from "smol-toml";
import { FileReadError } from "../../core/fs/index.js";
import { lazyModule } from "../../core/process/index.js";
import type { RootFs } from "./root-fs.js";

const toml = lazyModule<typeof SmolToml>("smol-toml");
const CONF_LIMIT = 1024 * 1024;

const REGISTRIES_CONF = "/etc/containers/registries.conf";
const REGISTRIES_CONF_D = "/etc/containers/registries.conf.d";

export interface RegistryEndpointConf {
  location: string;
  insecure: boolean;
  /** For mirrors: "all" (default), "digest-only" or "tag-only". */
  pullFromMirror?: string;
}

export interface RegistryEntry {
  prefix: string;
  location: string;
  insecure: boolean;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: RegistryEndpointConf[];
  /** The file that set it. */
  file: string;
}

export interface RegistriesConf {
  files: string[];
  unqualifiedSearch: string[];
  shortNameMode: string | undefined;
  registries: RegistryEntry[];
  problems: string[];
}

export interface PullSource {
  /** The reference pulled from this source: "mirror.example/team/app:1.0". */
  reference: string;
  insecure: boolean;
  mirror: boolean;
}

type Table = Record<string, unknown>;

/** Parses one file (pure); throws with the reason when containers/image would refuse it. */
function parseRegistriesConf(text: string, file: string): Omit<RegistriesConf, "files" | "problems"> & { hasSearch: boolean } {
  const t = toml().parse(text) as Table;
  const registries: RegistryEntry[] = [];
  for (const r of tables(t["registry"])) registries.push(entryOf(r, file));
  const v1 = isTable(t["registries"]) ? t["registries"] : undefined;
  let search = strings(t["unqualified-search-registries"]);
  let hasSearch = t["unqualified-search-registries"] !== undefined;
  if (v1 !== undefined) {
    if (registries.length > 0 || hasSearch)
      throw new Error("mixes the version 1 [registries.*] tables with version 2 settings, which containers/image refuses");
    for (const host of strings(tableOf(v1["insecure"])["registries"])) upsert(registries, host, file).insecure = true;
    for (const host of strings(tableOf(v1["block"])["registries"])) upsert(registries, host, file).blocked = true;
    const v1Search = tableOf(v1["search"])["registries"];
    if (v1Search !== undefined) {
      search = strings(v1Search);
      hasSearch = true;
    }
  }
  const mode = t["short-name-mode"];
  return { unqualifiedSearch: search, hasSearch, shortNameMode: typeof mode === "string" ? mode : undefined, registries };
}

function entryOf(r: Table, file: string): RegistryEntry {
  const location = str(r["location"]) ?? "";
  const prefix = str(r["prefix"]) ?? location;
  if (prefix === "") throw new Error("a [[registry]] has neither prefix nor location");
  if (/^[a-z]+:\/\//i.test(location)) throw new Error(`location "${location}" must not name a scheme`);
  return {
    prefix: prefix.replace(/\/+$/, ""),
    location: location.replace(/\/+$/, ""),
    insecure: r["insecure"] === true,
    blocked: r["blocked"] === true,
    mirrorByDigestOnly: r["mirror-by-digest-only"] === true,
    mirrors: tables(r["mirror"]).map((m) => {
      const e: RegistryEndpointConf = { location: (str(m["location"]) ?? "").replace(/\/+$/, ""), insecure: m["insecure"] === true };
      const pull = str(m["pull-from-mirror"]);
      if (pull !== undefined) e.pullFromMirror = pull;
      return e;
    }),
    file,
  };
}

function upsert(list: RegistryEntry[], host: string, file: string): RegistryEntry {
  let e = list.find((r) => r.prefix === host);
  if (e === undefined) {
    e = { prefix: host, location: host, insecure: false, blocked: false, mirrorByDigestOnly: false, mirrors: [], file };
    list.push(e);
  }
  return e;
}

/** Reads the main file and the drop-ins inside the runtime's root; a file that cannot be used is a problem, not a stop. */
export async function loadRegistriesConf(fs: RootFs, main = REGISTRIES_CONF, dropInDir = REGISTRIES_CONF_D): Promise<RegistriesConf> {
  const out: RegistriesConf = { files: [], unqualifiedSearch: [], shortNameMode: undefined, registries: [], problems: [] };
  const dropIns = await fs
    .list(dropInDir)
    .then(({ entries }) =>
      entries
        .filter((e) => e.name.endsWith(".conf"))
        .map((e) => `${dropInDir}/${e.name}`)
        .sort(),
    )
    .catch(() => [] as string[]);
  for (const file of [main, ...dropIns]) {
    let text: string;
    try {
      text = (await fs.readText(file, CONF_LIMIT)).text;
    } catch (err) {
      if (!(err instanceof FileReadError)) throw err;
      if (!(file === main && err.problem === "missing")) out.problems.push(`${err.message}; left out`);
      continue;
    }
    try {
      merge(out, parseRegistriesConf(text, file));
      out.files.push(file);
    } catch (err) {
      out.problems.push(`${fs.name(file)}: ${(err as Error).message.split("\n")[0]}; CRI-O refuses to pull while it is so, pullmedic leaves it out`);
    }
  }
  return out;
}

function merge(into: RegistriesConf, file: ReturnType<typeof parseRegistriesConf>): void {
  const byPrefix = new Map(into.registries.map((r) => [r.prefix, r]));
  for (const r of file.registries) byPrefix.set(r.prefix, r);
  into.registries = [...byPrefix.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  if (file.hasSearch) into.unqualifiedSearch = file.unqualifiedSearch;
  if (file.shortNameMode !== undefined) into.shortNameMode = file.shortNameMode;
}

/** The [[registry]] whose prefix matches `reference` (fully qualified, "host/path[:tag|@digest]") longest. */
export function findRegistry(conf: Pick<RegistriesConf, "registries">, reference: string): RegistryEntry | undefined {
  let best: RegistryEntry | undefined;
  for (const r of conf.registries) {
    if (!prefixMatches(reference, r.prefix)) continue;
    if (best === undefined || r.prefix.length > best.prefix.length) best = r;
  }
  return best;
}

function prefixMatches(ref: string, prefix: string): boolean {
  if (prefix.startsWith("*.")) {
    const domain = ref.split("/")[0] ?? "";
    return domain.endsWith(prefix.slice(1));
  }
  if (ref.length < prefix.length || !ref.startsWith(prefix)) return false;
  if (ref.length === prefix.length) return true;
  return "/:@".includes(ref[prefix.length] as string);
}

/**
 * Where containers/image pulls `reference` from, in order; throws when a [[registry]] blocks it.
 * `digested`: the reference pins a digest (mirrors marked digest-only serve only those).
 */
export function pullSources(conf: Pick<RegistriesConf, "registries">, reference: string, digested: boolean): PullSource[] {
  const entry = findRegistry(conf, reference);
  if (entry === undefined) return [{ reference, insecure: false, mirror: false }];
  if (entry.blocked) throw new Error(`${reference} is blocked by the [[registry]] prefix "${entry.prefix}" in ${entry.file}`);
  // A wildcard prefix matched the whole registry host: that is what a location replaces.
  const matched = entry.prefix.startsWith("*.") ? (reference.split("/")[0] ?? "").length : entry.prefix.length;
  const rewrite = (location: string): string => (location === "" ? reference : `${location}${reference.slice(matched)}`);
  const mirrors = entry.mirrors.filter((m) => {
    if (entry.mirrorByDigestOnly || m.pullFromMirror === "digest-only") return digested;
    if (m.pullFromMirror === "tag-only") return !digested;
    return true;
  });
  return [
    ...mirrors.map((m) => ({ reference: rewrite(m.location), insecure: m.insecure, mirror: true })),
    { reference: rewrite(entry.location), insecure: entry.insecure, mirror: false },
  ];
}

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function tableOf(v: unknown): Table {
  return isTable(v) ? v : {};
}

function tables(v: unknown): Table[] {
  return Array.isArray(v) ? v.filter(isTable) : [];
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}
