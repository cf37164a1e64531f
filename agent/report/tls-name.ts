// The TLS name an agent checks the aggregator's certificate against. grpc-js sends the target's
// host as the TLS server name (SNI); Node 26 refuses an IP address there (SNI carries host names
// only, RFC 6066 section 3), so an aggregator reached by address (127.0.0.1 embedded, a pod IP)
// could not be reached over TLS at all. For an address we send a reserved name instead (.invalid,
// RFC 2606: never a real host; our aggregator serves one certificate whatever the SNI) and still
// check the certificate against the address itself, as Node does for an address target.

import { isIP } from "node:net";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import { splitHostPort } from "../../core/net/index.js";

const SNI_FOR_ADDRESS = "aggregator-by-address.invalid";

export interface AggregatorTlsName {
  /** Channel options to add (grpc.ssl_target_name_override), empty for a host name. */
  channelOptions: Record<string, string>;
  /** The identity check for createSsl, undefined for a host name (grpc-js checks the name). */
  checkServerIdentity: ((host: string, cert: PeerCertificate) => Error | undefined) | undefined;
}

/** For an aggregator address (host:port): how to name it in TLS. */
export function aggregatorTlsName(address: string): AggregatorTlsName {
  const host = splitHostPort(address)?.host ?? address;
  if (isIP(host) === 0) return { channelOptions: {}, checkServerIdentity: undefined };
  return {
    channelOptions: { "grpc.ssl_target_name_override": SNI_FOR_ADDRESS },
    // grpc-js passes the override name here; the certificate must name the address we dialled.
    checkServerIdentity: (_sni, cert) => checkServerIdentity(host, cert),
  };
}
