import { readdir, stat } from "node:fs/promises";
import { join, posix } from "node:path";
import { FileReadError, readTextFile } from "../../../core/fs/index.js";
import { type CredentialProviderConfig, mergeConfigs, ProviderConfigError, parseCredentialProviderConfig } from "./config.js";
import { readKubeletProviderFlags } from "./kubelet-flags.js";

/** What the node's kubelet uses for image credential providers, read from its files. */
export interface ProviderSetup {
  /** As kubelet was given it (a path on the node). */
  configPath: string;
  binDir: string | undefined;
  /** undefined when no file could be read or parsed; `problems` says why. */
  config: CredentialProviderConfig | undefined;
  /** Each provider's executable and whether it is there (kubelet refuses to start without it). */
  binaries: { name: string; path: string; present: boolean }[];
  /** Unreadable or invalid files, missing executables: what would make kubelet ignore or refuse the setup. */
  problems: string[];
}

/** The file system as seen from the node's root; tests give a fake one. */
export interface ProviderFs {
  readFile(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
  isDirectory(path: string): Promise<boolean>;
  isFile(path: string): Promise<boolean>;
}

const nodeProviderFs: ProviderFs = {
  // kubelet's provider configuration is a few KB.
  readFile: (p) => readTextFile(p, { maxBytes: 1024 * 1024 }),
  readdir: (p) => readdir(p),
  isDirectory: async (p) => (await stat(p)).isDirectory(),
  isFile: async (p) => {
    try {
      return (await stat(p)).isFile();
    } catch {
      return false;
    }
  },
};

const CONFIG_EXTENSIONS = [".json", ".yaml", ".yml"];

/**
 * Given kubelet's command line and the root its paths are relative to (`/` on the node,
 * `/proc/<pid>/root` or a mounted node root from a pod), reads the credential provider config
 * and checks the plugin executables. undefined when kubelet uses no provider.
 */
export async function readCredentialProviderSetup(argv: readonly string[], rootDir = "/", fs: ProviderFs = nodeProviderFs): Promise<ProviderSetup | undefined> {
  const flags = readKubeletProviderFlags(argv);
  if (flags.configPath === undefined) return undefined;
  const problems: string[] = [];
  const configs = await readConfigs(under(rootDir, flags.configPath), flags.configPath, fs, problems);
  const config = mergeConfigs(configs);
  const binaries = [];
  for (const p of config?.providers ?? []) {
    const path = posix.join(flags.binDir ?? "", p.name);
    const present = flags.binDir !== undefined && (await fs.isFile(under(rootDir, path)));
    if (!present) problems.push(`plugin executable ${path} is missing (kubelet will not start its providers)`);
    binaries.push({ name: p.name, path, present });
  }
  if (flags.binDir === undefined) problems.push("--image-credential-provider-bin-dir is not set");
  return { configPath: flags.configPath, binDir: flags.binDir, config, binaries, problems };
}

async function readConfigs(path: string, shown: string, fs: ProviderFs, problems: string[]): Promise<CredentialProviderConfig[]> {
  let files: { path: string; shown: string }[];
  try {
    if (await fs.isDirectory(path)) {
      const names = (await fs.readdir(path)).filter((n) => CONFIG_EXTENSIONS.some((e) => n.endsWith(e))).sort();
      files = names.map((n) => ({ path: join(path, n), shown: posix.join(shown, n) }));
      if (files.length === 0) problems.push(`${shown} holds no .json, .yaml or .yml file`);
    } else {
      files = [{ path, shown }];
    }
  } catch (err) {
    problems.push(`${shown}: cannot read it (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    return [];
  }
  const configs: CredentialProviderConfig[] = [];
  for (const f of files) {
    try {
      configs.push(parseCredentialProviderConfig(await fs.readFile(f.path), f.shown));
    } catch (err) {
      const why = err instanceof FileReadError ? err.message.slice(err.path.length + 2) : ((err as NodeJS.ErrnoException).code ?? "error");
      problems.push(err instanceof ProviderConfigError ? err.message : `${f.shown}: cannot read it (${why})`);
    }
  }
  return configs;
}

/** A node path under the root; `..` cannot climb out of it. */
function under(rootDir: string, path: string): string {
  return join(rootDir, posix.normalize(`/${path}`));
}
