// The registry room: the registry HTTP client, credentials and containerd's
// per-host configuration. Other folders import only this file.
export * from "./client.js";
export * from "./credentials.js";
export { redactUrls } from "./errors.js";
export { CaFileError, readCaFile } from "./host-files.js";
export * from "./hosts.js";
