export type { HostFilesystem, ImageFilesystem, MountInfo, MountLister } from "./disk.js";
export { listMounts, mountFor, parseMountInfo, readHostFilesystem, readImageFilesystems } from "./disk.js";
export * from "./network.js";
export * from "./registry-probe.js";
