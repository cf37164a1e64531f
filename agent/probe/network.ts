// DNS, TCP and TLS probes: each step of reaching a registry, timed, with failures named.

export { type DnsProbeOptions, type DnsResult, probeDns } from "./dns.js";
export { ProbeError, type ProbeErrorKind, type ProbeStep } from "./probe-error.js";
export { probeTcp, type TcpProbeOptions, type TcpResult } from "./tcp.js";
export { type CertificateInfo, probeTls, type TlsProbeOptions, type TlsProblem, type TlsResult } from "./tls.js";
