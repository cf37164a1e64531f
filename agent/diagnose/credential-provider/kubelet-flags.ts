/** Where kubelet was told to find its image credential providers. */
export interface KubeletProviderFlags {
  /** --image-credential-provider-config: a file, or (kubelet ≥ 1.34) a directory of them. */
  configPath?: string;
  /** --image-credential-provider-bin-dir: where the plugin executables are. */
  binDir?: string;
}

const CONFIG_FLAG = "--image-credential-provider-config";
const BIN_DIR_FLAG = "--image-credential-provider-bin-dir";

/**
 * Reads the two flags from kubelet's command line as pflag does: `--flag=value` or `--flag value`,
 * the last occurrence wins, and nothing after a bare `--` is a flag.
 */
export function readKubeletProviderFlags(argv: readonly string[]): KubeletProviderFlags {
  const out: KubeletProviderFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") break;
    for (const [flag, key] of [
      [CONFIG_FLAG, "configPath"],
      [BIN_DIR_FLAG, "binDir"],
    ] as const) {
      if (arg === flag && i + 1 < argv.length) out[key] = argv[++i] ?? "";
      else if (arg.startsWith(`${flag}=`)) out[key] = arg.slice(flag.length + 1);
    }
  }
  if (out.configPath === "") delete out.configPath;
  if (out.binDir === "") delete out.binDir;
  return out;
}
