/**
 * Reads the start of a blob to measure throughput: long enough to see the rate, short enough
 * that a diagnosis never downloads a whole multi-GiB layer.
 */

import { performance } from "node:perf_hooks";
import { contentLength, type HttpAnswer, type RegistryHttp } from "./http-exchange.js";
import { digestHasher } from "./http-manifest.js";

export interface BlobSample {
  bytes: number;
  /** Time spent reading the body (after headers), the basis of `bytesPerSecond`. */
  ms: number;
  bytesPerSecond: number;
  /** The whole blob was read (and, when its digest algorithm is one Node computes, verified). */
  complete: boolean;
  /** Content-Length of the answering response, when sent. */
  totalBytes: number | undefined;
}

/** Stops at `maxBytes` or `maxMs`, whichever comes first, and drops the connection rather than draining the rest. */
export function readSample(http: RegistryHttp, answer: HttpAnswer, digest: string, opts: { maxBytes: number; maxMs: number }): Promise<BlobSample> {
  const totalBytes = contentLength(answer);
  const hasher = digestHasher(digest);
  const body = answer.body;
  const started = performance.now();
  let bytes = 0;
  return new Promise<BlobSample>((resolve, reject) => {
    let settled = false;
    const finish = (complete: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      body.removeAllListeners("data");
      if (!complete) body.destroy();
      const ms = performance.now() - started;
      if (complete && hasher !== undefined && !hasher.matches()) {
        reject(http.malformed(answer, `blob does not match its digest: expected ${digest}, got ${hasher.actual()}`));
        return;
      }
      resolve({ bytes, ms, bytesPerSecond: ms > 0 ? (bytes * 1000) / ms : 0, complete, totalBytes });
    };
    // A timer, not a check per chunk: a stalled body sends no chunks to check on.
    const timer = setTimeout(() => finish(false), Math.max(0, opts.maxMs));
    body.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      hasher?.update(chunk);
      // A last chunk that crosses maxBytes is let through so "end" can mark the blob complete.
      if (totalBytes !== undefined && bytes >= totalBytes) return;
      if (bytes >= opts.maxBytes) finish(false);
    });
    body.once("end", () => finish(true));
    body.on("error", (err: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(http.bodyError(answer, err));
    });
  });
}
