// kubelet's image credential providers (KEP-2133): its config, kubelet's matchImages rule, the
// flags that name them, and whether one covers an image. Pure but for read.ts.
export { parseCredentialProviderConfig, mergeConfigs, ProviderConfigError, CONFIG_API_VERSIONS, PLUGIN_API_VERSIONS } from "./config.js";
export type { CredentialProvider, CredentialProviderConfig } from "./config.js";
export { matchesImage, providerFor, repositoryToMatch, globMatch } from "./match.js";
export type { ProviderMatch } from "./match.js";
export { readKubeletProviderFlags } from "./kubelet-flags.js";
export type { KubeletProviderFlags } from "./kubelet-flags.js";
export { readCredentialProviderSetup, nodeProviderFs } from "./read.js";
export type { ProviderFs, ProviderSetup } from "./read.js";
export { providerCoverage } from "./coverage.js";
export type { ProviderCoverage } from "./coverage.js";
