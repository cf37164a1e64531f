// What the aggregator reads before it serves: the agents' bearer tokens (unless it runs without a
// token check) and the TLS certificate and key of its gRPC port.

import { readRegularFile } from "../core/fs/index.js";
import type { Logger } from "../core/log/index.js";
import type { AggregatorConfig } from "./config.js";
import { BearerTokens } from "./ingest/index.js";

/** The token file's tokens; undefined without a token check (allowUnauthenticated). */
export async function loadAgentTokens(config: AggregatorConfig, log: Logger, reloadMs: number | undefined): Promise<BearerTokens | undefined> {
  if (config.allowUnauthenticated) {
    log.warn("allowUnauthenticated: the aggregator accepts agents and pre-pull commands without a token; for a one-machine trial only, never in a cluster");
    return undefined;
  }
  if (config.tokenFile === undefined) throw new Error("tokenFile: required unless allowUnauthenticated is true");
  return BearerTokens.load(config.tokenFile, log, reloadMs);
}

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** Reads both files; an error names the setting and the file it could not read. */
export async function readTlsFiles(tls: NonNullable<AggregatorConfig["tls"]>): Promise<TlsFiles> {
  // A certificate chain or a key is a few KB; 1 MiB is far past any, and a FIFO or device is refused (core/fs).
  const read = (setting: string, file: string) =>
    readRegularFile(file, { maxBytes: 1024 * 1024 }).catch((err: Error) => Promise.reject(new Error(`${setting}: cannot read ${err.message}`)));
  const [cert, key] = await Promise.all([read("tls.certFile", tls.certFile), read("tls.keyFile", tls.keyFile)]);
  return { cert, key };
}
