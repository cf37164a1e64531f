// DNS, TCP and TLS probes: each step of reaching a registry, timed, with failures named.
export { ProbeError, type ProbeErrorKind, type ProbeStep } from "./probe-error.js";
export { probeDns, type DnsResult, type DnsProbeOptions } from "./dns.js";
export { probeTcp, type TcpResult, type TcpProbeOptions } from "./tcp.js";
export { probeTls, type CertificateInfo, type TlsProblem, type TlsProbeOptions, type TlsResult } from "./tls.js";
