// The registry room: image references, the registry HTTP client, credentials and containerd's
// per-host configuration. Other folders import only this file.
export {
  ReferenceError,
  parseReference,
  tryParseReference,
  registryOfImage,
  sameImageName,
  tagOrDefault,
  manifestReference,
} from "./reference.js";
export type { ImageReference } from "./reference.js";
export { PlatformError, formatPlatform, nodePlatform, parsePlatform, platformMatches } from "./platform.js";
export type { Platform } from "./platform.js";
export * from "./client.js";
export { redactUrls } from "./errors.js";
export * from "./credentials.js";
export * from "./hosts.js";
