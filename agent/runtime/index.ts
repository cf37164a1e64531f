export { RuntimeClient } from "./client.js";
export type { SocketProbe } from "./endpoint.js";
export { KNOWN_SOCKETS, parseEndpoint, resolveEndpoint } from "./endpoint.js";
export { CriError } from "./errors.js";
export type { NodeImages } from "./node-images.js";
export { readNodeImages } from "./node-images.js";
export type * from "./types.js";
export type { ImageUser, ImageView } from "./view.js";
export { buildImageViews, sandboxImageFromStatusInfo } from "./view.js";
