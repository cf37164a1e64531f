// The registry room: the registry HTTP client, credentials and containerd's
// per-host configuration. Other folders import only this file.
export type {
  AuthChallenge,
  Manifest,
  ManifestDescriptor,
  ProxyRoute,
  RateLimit,
  RegistryClientOptions,
  RegistryCredential,
  RegistryEndpoint,
  RegistryNetwork,
} from "./client.js";
export { parseRateLimitHeaders, parseRetryAfter, parseWwwAuthenticate, RegistryClient, RegistryError } from "./client.js";
export type { DockerConfig, RegistryAuthEntry } from "./credentials.js";
export {
  CredentialError,
  credentialKeyMismatch,
  DOCKER_CONFIG_MAX_BYTES,
  describeCredential,
  kubeletRegistryCredential,
  kubeletUserPassword,
  matchCredentials,
  normalizeRegistryAuthKey,
  parseDockerConfigJson,
  parseSecretManifest,
  readDockerConfigFile,
  SECRET_MANIFEST_MAX_BYTES,
} from "./credentials.js";
export { redactUrls } from "./errors.js";
export { CaFileError, caCertificates, readCaFile } from "./host-files.js";
export type { HostsConfig, RegistryHost } from "./hosts.js";
export { defaultRegistryHost, describeRegistryHost, HostsConfigError, readHostsConfig } from "./hosts.js";
export { dialDirect, dialTunnel, ProxyError, trustContext } from "./http-connect.js";
