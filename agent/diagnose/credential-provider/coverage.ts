import { providerFor } from "./match.js";
import type { ProviderSetup } from "./read.js";

/**
 * "A kubelet credential provider covers this image": what explain and diagnose need to say "the
 * node gets its credentials from this plugin" instead of "create a Secret".
 */
export interface ProviderCoverage {
  provider: string;
  /** The matchImages glob that covers the image. */
  matchedBy: string;
  configPath: string;
  binDir: string | undefined;
  /** The plugin's request/response version, for running it by hand. */
  apiVersion: string;
  args: string[];
  envNames: string[];
  /** false when the executable is missing: the plugin cannot have supplied anything. */
  binaryPresent: boolean;
}

export function providerCoverage(setup: ProviderSetup | undefined, image: string): ProviderCoverage | undefined {
  if (setup?.config === undefined) return undefined;
  const match = providerFor(setup.config, image);
  if (match === undefined) return undefined;
  const p = match.provider;
  return {
    provider: p.name,
    matchedBy: match.matchedBy,
    configPath: setup.configPath,
    binDir: setup.binDir,
    apiVersion: p.apiVersion,
    args: p.args,
    envNames: p.envNames,
    binaryPresent: setup.binaries.find((b) => b.name === p.name)?.present ?? false,
  };
}
