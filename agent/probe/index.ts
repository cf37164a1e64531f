export { readImageFilesystems, readHostFilesystem, mountFor, listMounts } from "./disk.js";
export type { ImageFilesystem, HostFilesystem, MountInfo, MountLister } from "./disk.js";
