export type { HostFilesystem, ImageFilesystem, MountInfo, MountLister } from "./disk.js";
export { listMounts, mountFor, parseMountInfo, readHostFilesystem, readImageFilesystems } from "./disk.js";
export type {
  CertificateInfo,
  DnsProbeOptions,
  DnsResult,
  ProbeErrorKind,
  ProbeStep,
  TcpProbeOptions,
  TcpResult,
  TlsProbeOptions,
  TlsProblem,
  TlsResult,
} from "./network.js";
export { ProbeError, probeDns, probeTcp, probeTls } from "./network.js";
export type { HostCertificate, HostProbe, HostProbeStep, ProbeStepName, RegistryProbe, RegistryProbeOptions } from "./registry-probe.js";
export { DEFAULT_CERT_WARN_DAYS, DEFAULT_PROBE_CONCURRENCY, probeRegistries, probeRegistry, registriesOfImages, registryDomain } from "./registry-probe.js";
