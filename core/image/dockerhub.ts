// Docker Hub's names, in one place. Image references say "docker.io"; the registry API answers on
// another host; docker login writes credentials under a third. Sources: docs/facts/docker-hub.md.

import type { ImageReference } from "./reference.js";

/** The domain image references name Docker Hub by, after normalization. */
export const DOCKER_HUB_DOMAIN = "docker.io";
/** Docker Hub's historical name; reference normalization folds it into DOCKER_HUB_DOMAIN. */
export const DOCKER_HUB_LEGACY_DOMAIN = "index.docker.io";
/** The host that serves /v2/ for docker.io images (containerd's default host for docker.io). */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";
export const DOCKER_HUB_REGISTRY_URL = `https://${DOCKER_HUB_API_HOST}`;
/** The key `docker login` writes Docker Hub credentials under; kubelet matches it to docker.io images. */
export const DOCKER_HUB_AUTH_SERVER = "https://index.docker.io/v1/";
/** Domains whose pulls count against Docker Hub's quota, unless configured otherwise. */
export const DEFAULT_DOCKER_HUB_DOMAINS: readonly string[] = [DOCKER_HUB_DOMAIN];

export function isDockerHub(ref: ImageReference, domains: readonly string[] = DEFAULT_DOCKER_HUB_DOMAINS): boolean {
  return domains.includes(ref.domain);
}
