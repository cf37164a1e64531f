// DNS, TCP and TLS probes: each step of reaching a registry, timed, with failures named.

export { probeDns } from "./dns.js";
export { ProbeError } from "./probe-error.js";
export { probeTcp } from "./tcp.js";
export { probeTls } from "./tls.js";
