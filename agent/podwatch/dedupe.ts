// One diagnosis per distinct pull, not per pod: fifty replicas of a Deployment with a bad tag are
// one registry question, and asking it fifty times would spend Docker Hub quota for nothing.

import { ImageReferenceError, tryParseReference } from "../../core/image/index.js";
import type { OpenFailure } from "./failures.js";

export interface DiagnosisKeyInput {
  image: string;
  namespace: string;
  pullSecrets: readonly string[];
}

/**
 * Everything that decides how a pull goes: the image (normalized, so "nginx" and
 * "docker.io/library/nginx:latest" are one), and the credentials offered — secrets are namespaced,
 * so "regcred" in two namespaces may be two different logins.
 */
export function diagnosisKey({ image, namespace, pullSecrets }: DiagnosisKeyInput): string {
  const ref = tryParseReference(image);
  const name = ref instanceof ImageReferenceError ? image : ref.normalized;
  const secrets = [...new Set(pullSecrets)].sort();
  // JSON keeps the parts apart whatever characters they hold.
  return JSON.stringify([name, namespace, secrets]);
}

export interface DiagnosisCacheOptions {
  /** How long a diagnosis answers for its key. */
  ttlMs: number;
  /** Entries kept; the least recently used go first. */
  maxEntries: number;
}

export interface SharedResult<T> {
  value: T;
  /** True only for the call that ran `produce`; callers served from the cache or a shared run get false. */
  fresh: boolean;
}

interface Entry<T> {
  value: T;
  storedAt: number;
}

export class DiagnosisCache<T> {
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  /** Map order is recency order: the first key is the least recently used. */
  private readonly entries = new Map<string, Entry<T>>();
  private readonly inFlight = new Map<string, Promise<T>>();

  constructor(options: DiagnosisCacheOptions) {
    this.ttlMs = Math.max(0, options.ttlMs);
    this.maxEntries = Math.max(1, Math.floor(options.maxEntries));
  }

  get(key: string, now: number): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.expired(entry, now)) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: T, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, storedAt: now });
    this.evict(now);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached value, or the result of `produce`, run at most once at a time per key: callers
   * arriving while it runs wait for the same promise. A rejection reaches every waiting caller
   * and is not cached, so the next call tries again.
   */
  async shared(key: string, now: number, produce: () => Promise<T>): Promise<SharedResult<T>> {
    const cached = this.get(key, now);
    if (cached !== undefined) return { value: cached, fresh: false };
    const running = this.inFlight.get(key);
    if (running !== undefined) return { value: await running, fresh: false };

    const run = start(produce);
    this.inFlight.set(key, run);
    try {
      const value = await run;
      this.set(key, value, now);
      return { value, fresh: true };
    } finally {
      if (this.inFlight.get(key) === run) this.inFlight.delete(key);
    }
  }

  private expired(entry: Entry<T>, now: number): boolean {
    return now - entry.storedAt >= this.ttlMs;
  }

  private evict(now: number): void {
    for (const [key, entry] of this.entries) {
      if (this.expired(entry, now)) this.entries.delete(key);
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }
}

/** A `produce` that throws before returning a promise fails its callers the same way as one that rejects. */
function start<T>(produce: () => Promise<T>): Promise<T> {
  try {
    return produce();
  } catch (err) {
    return Promise.reject(err);
  }
}

export interface Impact {
  pods: number;
  containers: number;
}

/** How many pods and containers share each key, e.g. to say "3 pods on node-1 fail with this image". */
export function countByKey(failures: readonly OpenFailure[], keyOf: (failure: OpenFailure) => string): Map<string, Impact> {
  const pods = new Map<string, Set<string>>();
  const counts = new Map<string, Impact>();
  for (const failure of failures) {
    const key = keyOf(failure);
    let seen = pods.get(key);
    if (seen === undefined) {
      seen = new Set();
      pods.set(key, seen);
    }
    seen.add(failure.podKey);
    const impact = counts.get(key) ?? { pods: 0, containers: 0 };
    impact.containers++;
    impact.pods = seen.size;
    counts.set(key, impact);
  }
  return counts;
}
