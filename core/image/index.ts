// The image domain: references as kubelet and containerd parse them, and platforms.

export {
  DEFAULT_DOCKER_HUB_DOMAINS,
  DOCKER_HUB_API_HOST,
  DOCKER_HUB_AUTH_SERVER,
  DOCKER_HUB_DOMAIN,
  DOCKER_HUB_LEGACY_DOMAIN,
  DOCKER_HUB_REGISTRY_URL,
  isDockerHub,
} from "./dockerhub.js";
export type { Platform } from "./platform.js";
export { formatPlatform, nodePlatform, PlatformError, parsePlatform, platformMatches } from "./platform.js";
export type { ImageReference } from "./reference.js";
export { ImageReferenceError, manifestReference, parseReference, registryOfImage, sameImageName, tagOrDefault, tryParseReference } from "./reference.js";
