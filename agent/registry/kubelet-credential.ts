// The one place that says which parts of a pull-Secret entry a pull really uses.

import { describeCredential, type RegistryAuthEntry } from "./dockerconfig.js";
import type { RegistryCredential } from "./http-types.js";

/**
 * kubelet hands the runtime a Secret entry's username and password only (its keyring builds the
 * AuthConfig from them, docs/facts/kubelet.md): identitytoken and registrytoken never reach the
 * pull, so an entry with only a token is no credential at all. Everything that acts "as the pull
 * would" (diagnose, pre-pull, Secret re-validation, the quota check) goes through here.
 */
export function kubeletUserPassword(entry: RegistryAuthEntry): { username?: string; password?: string } {
  return {
    ...(entry.username !== undefined ? { username: entry.username } : {}),
    ...(entry.password !== undefined ? { password: entry.password } : {}),
  };
}

/** The entry as the registry client should present it, by kubelet's rule; `source` names it for evidence. */
export function kubeletRegistryCredential(entry: RegistryAuthEntry, source: string = describeCredential(entry)): RegistryCredential {
  return { source, ...kubeletUserPassword(entry) };
}
