export type { HostFilesystem, ImageFilesystem, MountInfo } from "./disk.js";
export { mountFor, parseMountInfo, readHostFilesystem, readImageFilesystems } from "./disk.js";
export { ProbeError, probeDns, probeTcp, probeTls } from "./network.js";
export type { HostProbe, HostProbeStep, ProbeStepName, RegistryProbe } from "./registry-probe.js";
export { probeRegistries, probeRegistry, registriesOfImages, registryDomain } from "./registry-probe.js";
