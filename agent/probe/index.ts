export { readImageFilesystems, readHostFilesystem, mountFor, listMounts, parseMountInfo } from "./disk.js";
export type { ImageFilesystem, HostFilesystem, MountInfo, MountLister } from "./disk.js";
export * from "./network.js";
export * from "./registry-probe.js";
