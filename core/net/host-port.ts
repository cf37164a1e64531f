// host:port as Go's net.SplitHostPort reads it. containerd, kubelet and CRI-O are Go programs; where
// we decide what they would do with a "host:port" string we must split it the way they do, edge
// cases included (docs/facts/go-net.md).

export interface HostPort {
  /** Without brackets: "::1", "reg.io". */
  host: string;
  /** As written, possibly empty ("reg.io:" has port ""); not checked to be a number. */
  port: string;
}

/**
 * Go's net.SplitHostPort: undefined where Go returns an error — no port ("reg.io", "[::1]"), too
 * many colons ("::1:5000", "[::1]:5:0"), a stray "[" or "]".
 */
export function splitHostPort(hostport: string): HostPort | undefined {
  const last = hostport.lastIndexOf(":");
  if (last < 0) return undefined;
  let host: string;
  let from = 0;
  let to = 0;
  if (hostport.startsWith("[")) {
    const close = hostport.indexOf("]");
    // The closing bracket must be followed by the last colon and nothing else before it.
    if (close < 0 || close + 1 !== last) return undefined;
    host = hostport.slice(1, close);
    from = 1;
    to = close + 1;
  } else {
    host = hostport.slice(0, last);
    if (host.includes(":")) return undefined;
  }
  if (hostport.indexOf("[", from) >= 0 || hostport.indexOf("]", to) >= 0) return undefined;
  return { host, port: hostport.slice(last + 1) };
}

/** Go's net.JoinHostPort: brackets around a host that holds a colon (IPv6). */
export function joinHostPort(host: string, port: string | number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * For display and fix commands: the host without brackets and a numeric port, `defaultPort` when
 * none is written or Go would refuse the string ("[::1]" → ::1 and 443).
 */
export function hostAndPort(hostport: string, defaultPort: number): { host: string; port: number } {
  const split = splitHostPort(hostport);
  const port = split && /^\d{1,5}$/.test(split.port) ? Number(split.port) : defaultPort;
  return { host: split?.host ?? hostport.replace(/^\[(.*)\]$/, "$1"), port };
}
