// Which Docker Hub credential the quota check presents: the entry kubelet would pick for a Docker
// Hub image, reduced to what a pull would send (username and password).

import { DOCKER_HUB_DOMAIN, parseReference } from "../../core/image/index.js";
import { type DockerConfig, kubeletRegistryCredential, matchCredentials, type RegistryAuthEntry, type RegistryCredential } from "../registry/index.js";
import { QUOTA_CHECK_REFERENCE, QUOTA_CHECK_REPOSITORY } from "./check.js";

export interface QuotaCredential {
  entry: RegistryAuthEntry;
  /** Undefined when the entry holds nothing a pull would send (a token only). */
  credential: RegistryCredential | undefined;
}

/** The entry of `config` for the quota check's Docker Hub image, or undefined when none matches. */
export function quotaCredential(config: DockerConfig, source?: string): QuotaCredential | undefined {
  const entry = matchCredentials(config, parseReference(`${DOCKER_HUB_DOMAIN}/${QUOTA_CHECK_REPOSITORY}:${QUOTA_CHECK_REFERENCE}`))[0];
  if (entry === undefined) return undefined;
  const sent = entry.username !== undefined || entry.password !== undefined;
  return { entry, credential: sent ? kubeletRegistryCredential(entry, source) : undefined };
}
