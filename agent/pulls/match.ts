// Which pods wait for which pull. A pull is known by its manifest and the registry host and
// repository its labels name (the host without its port: containerd drops it from the label);
// a pod names a reference. Two tags of one repository pulled at the same moment cannot be told
// apart this way: pods waiting for either are shown on both.

import { tryParseReference } from "../../core/image/index.js";
import type { ImageSource } from "./catalog.js";

/** A container of a pod on this node waiting for its image (the pod watch's word). */
export interface WaitingContainer {
  /** namespace/name */
  pod: string;
  podKey: string;
  container: string;
  image: string;
}

export interface PullIdentity {
  manifest: string;
  sources: ImageSource[];
  indexes: string[];
}

/** "127.0.0.1:5000" → "127.0.0.1", "[::1]:5000" → "::1": how containerd's label names a host. */
function hostWithoutPort(domain: string): string {
  if (domain.startsWith("[")) return domain.slice(1, domain.indexOf("]"));
  const colon = domain.lastIndexOf(":");
  return colon < 0 ? domain : domain.slice(0, colon);
}

export function imageMatchesPull(image: string, pull: PullIdentity): boolean {
  const ref = tryParseReference(image);
  if (ref instanceof Error) return false;
  if (ref.digest !== undefined) return ref.digest === pull.manifest || pull.indexes.includes(ref.digest);
  const host = hostWithoutPort(ref.domain);
  return pull.sources.some((s) => s.host === host && s.repository === ref.path);
}

/** The containers waiting for this pull. */
export function waitingFor(pull: PullIdentity, waiting: readonly WaitingContainer[]): WaitingContainer[] {
  const matches = new Map<string, boolean>();
  return waiting.filter((w) => {
    let m = matches.get(w.image);
    if (m === undefined) {
      m = imageMatchesPull(w.image, pull);
      matches.set(w.image, m);
    }
    return m;
  });
}
