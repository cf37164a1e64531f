// kubelet's image credential providers (KEP-2133): its config, kubelet's matchImages rule, the
// flags that name them, and whether one covers an image. Pure but for read.ts.

export type { CredentialProvider, CredentialProviderConfig } from "./config.js";
export { CONFIG_API_VERSIONS, mergeConfigs, PLUGIN_API_VERSIONS, ProviderConfigError, parseCredentialProviderConfig } from "./config.js";
export type { ProviderCoverage } from "./coverage.js";
export { providerCoverage } from "./coverage.js";
export type { KubeletProviderFlags } from "./kubelet-flags.js";
export { readKubeletProviderFlags } from "./kubelet-flags.js";
export type { ProviderMatch } from "./match.js";
export { globMatch, matchesImage, providerFor, repositoryToMatch } from "./match.js";
export type { ProviderFs, ProviderSetup } from "./read.js";
export { nodeProviderFs, readCredentialProviderSetup } from "./read.js";
