// Pull credentials as kubelet sees them: .dockerconfigjson / .dockercfg files, Secret manifests,
// and the keyring rules that pick the entries for an image. The pieces live in dockerconfig.ts,
// secret.ts and keyring.ts; this file is their one door (index.ts re-exports it).

export type { DockerConfig, RegistryAuthEntry } from "./dockerconfig.js";
export { CredentialError, DOCKER_CONFIG_MAX_BYTES, describeCredential, parseDockerConfigJson, readDockerConfigFile } from "./dockerconfig.js";
export { credentialKeyMismatch, matchCredentials, normalizeRegistryAuthKey } from "./keyring.js";
export { kubeletRegistryCredential, kubeletUserPassword } from "./kubelet-credential.js";
export { parseSecretManifest, SECRET_MANIFEST_MAX_BYTES } from "./secret.js";
