// The registry room: the registry HTTP client, credentials and containerd's
// per-host configuration. Other folders import only this file.
export type {
  AuthChallenge,
  AuthorizeResult,
  BlobSample,
  Manifest,
  ManifestDescriptor,
  ManifestHead,
  PingResult,
  RateLimit,
  RegistryClientOptions,
  RegistryCredential,
  RegistryEndpoint,
  RegistryErrorBody,
  RegistryFailureKind,
  RegistryStep,
} from "./client.js";
export { parseRateLimitHeaders, parseRetryAfter, parseWwwAuthenticate, RegistryClient, RegistryError } from "./client.js";
export type { DockerConfig, ParseDockerConfigOptions, RegistryAuthEntry } from "./credentials.js";
export {
  CredentialError,
  credentialKeyMismatch,
  DOCKER_HUB_AUTH_KEY,
  describeCredential,
  kubeletRegistryCredential,
  kubeletUserPassword,
  matchCredentials,
  normalizeRegistryAuthKey,
  parseDockerConfigJson,
  parseSecretManifest,
} from "./credentials.js";
export { redactUrls } from "./errors.js";
export type { HostCapability, HostsConfig, HostsOptions, RegistryHost } from "./hosts.js";
export { defaultRegistryHost, describeRegistryHost, HostsConfigError, readHostsConfig } from "./hosts.js";
