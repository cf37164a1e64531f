// kubelet's image credential providers (KEP-2133): its config, kubelet's matchImages rule, the
// flags that name them, and whether one covers an image. Pure but for read.ts.

export { ProviderConfigError, parseCredentialProviderConfig } from "./config.js";
export type { ProviderCoverage } from "./coverage.js";
export { providerCoverage } from "./coverage.js";
export { readKubeletProviderFlags } from "./kubelet-flags.js";
export { globMatch, matchesImage, providerFor, repositoryToMatch } from "./match.js";
export { readCredentialProviderSetup } from "./read.js";
