// Pull Secrets go stale between pulls: a rotated password, a 12-hour registry token. Each Secret
// the node's pods use is tried against the registry of their images with a token request and a
// manifest HEAD (no pull, no Docker Hub quota), so the warning comes before the next pod fails.

import { type ImageReference, ImageReferenceError, tryParseReference } from "../../core/image/index.js";
import type { FailureCause } from "../diagnose/index.js";
import type { Pod } from "../kube/index.js";
import { type ChosenCredential, headFailure, Resolver } from "../prepull/index.js";
import { describeCredential, kubeletRegistryCredential, matchCredentials, type RateLimit } from "../registry/index.js";
import type { RegistryVantage } from "../vantage/index.js";
import type { SecretReader } from "./secrets.js";

export type SecretCheckState = "ok" | "rejected" | "invalid" | "missing" | "unreadable" | "unverified";

export interface SecretCheck {
  /** namespace/name */
  secret: string;
  registry: string;
  /** The image the HEAD asked for. */
  image: string;
  state: SecretCheckState;
  cause?: FailureCause;
  message: string;
  fix?: string;
  checkedAt: string;
  /** Pods on this node that pull with this Secret from this registry. */
  pods: string[];
}

interface Target {
  namespace: string;
  secret: string;
  ref: ImageReference;
  image: string;
  pods: string[];
}

/** One HEAD per Secret and registry: the credential is what is checked, not every image. */
function secretTargets(pods: Pod[]): Target[] {
  const targets = new Map<string, Target>();
  for (const pod of pods) {
    const namespace = pod.metadata.namespace ?? "default";
    const name = `${namespace}/${pod.metadata.name}`;
    for (const secret of (pod.spec.imagePullSecrets ?? []).map((s) => s.name)) {
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
        if (c.image === undefined) continue;
        const ref = tryParseReference(c.image);
        if (ref instanceof ImageReferenceError) continue;
        const key = `${namespace}/${secret}\0${ref.domain}`;
        const t = targets.get(key) ?? { namespace, secret, ref, image: c.image, pods: [] };
        if (!t.pods.includes(name)) t.pods.push(name);
        targets.set(key, t);
      }
    }
  }
  return [...targets.values()];
}

export async function checkPullSecrets(
  pods: Pod[],
  deps: {
    secrets: SecretReader;
    hostsDir: string;
    timeoutMs: number;
    containerdVersion: () => Promise<string | undefined>;
    onRateLimit: (r: RateLimit) => void;
    /** The runtime's view: the HEADs go where, and as, the runtime's pulls go. */
    vantage?: (() => Promise<RegistryVantage | undefined>) | undefined;
    now?: () => number;
  },
): Promise<SecretCheck[]> {
  const now = deps.now ?? Date.now;
  const resolver = new Resolver({
    hostsDir: deps.hostsDir,
    vantage: await deps.vantage?.(),
    containerdVersion: deps.containerdVersion,
    timeoutMs: deps.timeoutMs,
    now,
    onRateLimit: deps.onRateLimit,
  });
  const out: SecretCheck[] = [];
  try {
    for (const t of secretTargets(pods)) {
      const base = { secret: `${t.namespace}/${t.secret}`, registry: t.ref.domain, image: t.image, pods: t.pods.slice(0, 20) };
      const at = () => new Date(now()).toISOString();
      const read = await deps.secrets.fresh(t.namespace, t.secret);
      if (read.kind === "missing") {
        out.push({ ...base, state: "missing", cause: "secret-invalid", message: `pull Secret ${base.secret} does not exist`, checkedAt: at() });
        continue;
      }
      if (read.kind === "unreadable") {
        out.push({ ...base, state: "unreadable", message: read.reason, checkedAt: at() });
        continue;
      }
      if (read.kind === "invalid") {
        out.push({ ...base, state: "invalid", cause: "secret-invalid", message: read.problem, checkedAt: at() });
        continue;
      }
      const entry = matchCredentials(read.config, t.ref)[0];
      // A Secret with no entry for this registry is for another of the pod's images: nothing to check here.
      if (entry === undefined) continue;
      const credential: ChosenCredential = {
        registry: kubeletRegistryCredential(entry),
        cri: undefined,
        key: `${base.secret}\0${entry.rawKey}`,
      };
      const answer = await resolver.head(t.ref, credential);
      if (answer.ok) {
        out.push({ ...base, state: "ok", message: `${describeCredential(entry)} is accepted by ${t.ref.domain}`, checkedAt: at() });
        continue;
      }
      const failure = headFailure(t.image, t.ref, deps.hostsDir, answer.endpoint, answer.error);
      const rejected = failure.cause === "auth-denied" || failure.cause === "auth-required";
      out.push({
        ...base,
        state: rejected ? "rejected" : "unverified",
        cause: failure.cause,
        message: failure.summary,
        ...(failure.fix[0] !== undefined ? { fix: failure.fix[0] } : {}),
        checkedAt: at(),
      });
    }
  } finally {
    await resolver.close();
  }
  return out;
}
