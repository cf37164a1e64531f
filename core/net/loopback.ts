// Loopback: where a server may listen, or a peer may come from, without anyone else reaching it.

import { isIP } from "node:net";
import { splitHostPort } from "./host-port.js";

/** host:port whose host is a loopback address (127.0.0.0/8, ::1) or the name localhost. */
export function isLoopbackListen(listen: string): boolean {
  const host = splitHostPort(listen)?.host.toLowerCase();
  return host !== undefined && (host === "localhost" || isLoopbackAddress(host));
}

/** A peer's address (as a socket reports it) on the loopback interface: 127.0.0.0/8, ::1, or IPv4 loopback mapped into IPv6. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.toLowerCase().replace(/^::ffff:/, "");
  if (isIP(a) === 4) return a.startsWith("127.");
  return a === "::1" || a === "0:0:0:0:0:0:0:1";
}
