// The pull credentials of a pod, read through the API the way kubelet reads them: the pod's
// imagePullSecrets (the service account's are copied into the pod at admission; they are read here
// only when the pod names none, which is when a later change to the service account matters).
// Reading Secrets is an opt-in grant, so "not allowed" is an answer, never a crash.

import type { KubeApi, Pod } from "../kube/index.js";
import { KubeApiError } from "../kube/index.js";
import { CredentialError, type DockerConfig, parseSecretManifest } from "../registry/index.js";
import type { SecretLookup } from "./hygiene.js";

export interface PodCredentials {
  /** The Secrets that could be read and parsed, in the pod's order (kubelet tries them in order). */
  configs: DockerConfig[];
  /** Every Secret name the pull would use. */
  names: string[];
  lookups: Map<string, SecretLookup>;
  /** Why the pull secrets do not work as written (missing, wrong type, undecodable). */
  problem?: string;
  /** Secrets the agent was not allowed to read: the diagnosis cannot speak for them. */
  unreadable: string[];
}

export interface SecretReaderOptions {
  api: KubeApi;
  /** The opt-in: without it no Secret or service account is read. */
  readSecrets: boolean;
  /** Namespaces to look in when a Secret is missing (a copy elsewhere is the usual mistake). */
  otherNamespaces: () => string[];
  /** How long an answer is reused; Secrets change rarely, pods fail in bursts. */
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

type Read = { kind: "found"; config: DockerConfig } | { kind: "invalid"; problem: string } | { kind: "missing" } | { kind: "unreadable"; reason: string };

const MAX_NAMESPACES_SEARCHED = 10;

/** Reads and caches pull Secrets; bounded by entries and age. */
export class SecretReader {
  private readonly cache = new Map<string, { at: number; read: Promise<Read> }>();
  private readonly now: () => number;

  constructor(private readonly opts: SecretReaderOptions) {
    this.now = opts.now ?? Date.now;
  }

  async forPod(pod: Pod): Promise<PodCredentials> {
    const namespace = pod.metadata.namespace ?? "default";
    let names = (pod.spec.imagePullSecrets ?? []).map((s) => s.name).filter((n) => n !== "");
    const out: PodCredentials = { configs: [], names, lookups: new Map(), unreadable: [] };
    if (!this.opts.readSecrets) {
      out.unreadable = names;
      for (const n of names) out.lookups.set(n, { state: "unreadable", reason: "reading Secrets is off (kube.readSecrets)" });
      return out;
    }
    if (names.length === 0) {
      names = await this.serviceAccountSecrets(namespace, pod.spec.serviceAccountName ?? "default");
      out.names = names;
    }
    const problems: string[] = [];
    for (const name of names) {
      const read = await this.read(namespace, name);
      switch (read.kind) {
        case "found":
          out.configs.push(read.config);
          out.lookups.set(name, { state: "found" });
          break;
        case "invalid":
          out.lookups.set(name, { state: "found" });
          problems.push(read.problem);
          break;
        case "missing": {
          const elsewhere = await this.elsewhere(namespace, name);
          out.lookups.set(name, elsewhere.length ? { state: "missing", elsewhere } : { state: "missing" });
          problems.push(
            `pull Secret ${namespace}/${name} does not exist, so kubelet pulled without it` +
              (elsewhere.length ? ` (a Secret of that name is in ${elsewhere.join(", ")}; Secrets are namespaced)` : ""),
          );
          break;
        }
        case "unreadable":
          out.lookups.set(name, { state: "unreadable", reason: read.reason });
          out.unreadable.push(name);
          break;
      }
    }
    // kubelet uses whichever Secrets work; only when none of them does is the Secret the problem.
    if (problems.length > 0 && out.configs.length === 0 && out.unreadable.length === 0) out.problem = problems.join("; ");
    return out;
  }

  /** A Secret read again now (for re-validation), bypassing the cache. */
  async fresh(namespace: string, name: string): Promise<Read> {
    this.cache.delete(`${namespace}/${name}`);
    return this.read(namespace, name);
  }

  private async serviceAccountSecrets(namespace: string, account: string): Promise<string[]> {
    try {
      const sa = await this.opts.api.getServiceAccount(namespace, account);
      return (sa.imagePullSecrets ?? []).map((s) => s.name).filter((n) => n !== "");
    } catch {
      // A missing or unreadable service account changes nothing kubelet does: no extra secrets.
      return [];
    }
  }

  private async elsewhere(namespace: string, name: string): Promise<string[]> {
    const found: string[] = [];
    const others = [...new Set(this.opts.otherNamespaces())].filter((n) => n !== namespace).slice(0, MAX_NAMESPACES_SEARCHED);
    for (const other of others) {
      const read = await this.read(other, name);
      if (read.kind === "found" || read.kind === "invalid") found.push(other);
    }
    return found;
  }

  private read(namespace: string, name: string): Promise<Read> {
    const key = `${namespace}/${name}`;
    const now = this.now();
    const cached = this.cache.get(key);
    if (cached !== undefined && now - cached.at < this.opts.ttlMs) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached.read;
    }
    const read = this.fetch(namespace, name);
    this.cache.set(key, { at: now, read });
    while (this.cache.size > this.opts.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    return read;
  }

  private async fetch(namespace: string, name: string): Promise<Read> {
    try {
      const secret = await this.opts.api.getSecret(namespace, name);
      try {
        return { kind: "found", config: parseSecretManifest(JSON.stringify(secret), `Secret ${namespace}/${name}`) };
      } catch (err) {
        if (err instanceof CredentialError) return { kind: "invalid", problem: err.message };
        throw err;
      }
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return { kind: "missing" };
      if (err instanceof KubeApiError && (err.status === 403 || err.status === 401)) {
        return { kind: "unreadable", reason: `the agent may not read Secrets in ${namespace} (apply the opt-in RBAC rule): ${err.reason ?? err.status}` };
      }
      // A broken connection is not a verdict on the Secret; the next lookup tries again.
      this.cache.delete(`${namespace}/${name}`);
      return { kind: "unreadable", reason: `reading Secret ${namespace}/${name} failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
}
