/**
 * Docker Hub's documented quota check (docs/facts/docker-hub.md): a pull token for
 * `ratelimitpreview/test`, then a HEAD of its `latest` manifest, whose ratelimit-* headers say
 * how many pulls are left. A HEAD uses no pull, so the check never spends what it measures;
 * for the same reason it never falls back to a GET.
 */

import { DOCKER_HUB_REGISTRY_URL, tryParseReference } from "../../core/image/index.js";
import { RegistryClient, type RegistryCredential, RegistryError, type RegistryNetwork } from "../registry/index.js";
import { type QuotaHeaders, readQuotaHeaders } from "./headers.js";
import type { QuotaReading } from "./reading.js";

export const QUOTA_CHECK_REPOSITORY = "ratelimitpreview/test";
export const QUOTA_CHECK_REFERENCE = "latest";

export interface QuotaCheckOptions {
  /** Default DOCKER_HUB_REGISTRY_URL; another URL lets a stand-in play Docker Hub. */
  registryUrl?: string;
  repository?: string;
  reference?: string;
  /** The node's Docker Hub credential; without it the anonymous (per-IP) quota is read. */
  credential?: RegistryCredential;
  /** Per network step. */
  timeoutMs: number;
  /** The runtime's network (agent/vantage): Docker Hub is asked as the runtime's pulls ask it, through its proxy. */
  network?: RegistryNetwork | undefined;
  now?: () => number;
}

export type QuotaErrorKind =
  /** The options cannot make a check: a URL, repository, reference or timeout that is not one. */
  | "bad-options"
  /** The check's HEAD was refused with 429 while the headers do not show the quota used up. */
  | "refused";

/** A check that could not be made or whose answer is not a quota; RegistryError covers the network and HTTP failures. */
export class QuotaError extends Error {
  override readonly name = "QuotaError";
  constructor(
    readonly kind: QuotaErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export async function checkDockerHubQuota(opts: QuotaCheckOptions): Promise<QuotaReading> {
  const registryUrl = opts.registryUrl ?? DOCKER_HUB_REGISTRY_URL;
  const repository = opts.repository ?? QUOTA_CHECK_REPOSITORY;
  const reference = opts.reference ?? QUOTA_CHECK_REFERENCE;
  const now = opts.now ?? Date.now;
  // The client checks the reference only when the HEAD is sent, after a ping and a token.
  const checked = tryParseReference(`${repository}${reference.includes(":") ? "@" : ":"}${reference}`);
  if (checked instanceof Error) throw badOptions(checked);
  let client: RegistryClient;
  try {
    client = new RegistryClient(
      { url: registryUrl, ...(opts.network !== undefined ? { network: opts.network } : {}) },
      { timeoutMs: opts.timeoutMs, now, ...(opts.credential ? { credential: opts.credential } : {}) },
    );
  } catch (err) {
    throw badOptions(err);
  }
  try {
    const auth = await client.authorize(repository);
    let raw: Record<string, string[]>;
    let refused: RegistryError | undefined;
    try {
      raw = (await client.headManifest(repository, reference, { getOnError: false })).quotaHeaders;
    } catch (err) {
      if (!(err instanceof RegistryError && err.step === "manifest" && err.status === 429)) throw err;
      refused = err;
      raw = err.quotaHeaders;
    }
    const headers: QuotaHeaders = readQuotaHeaders(new Map(Object.entries(raw)));
    if (refused !== undefined && headers.remaining !== 0) {
      const why = headers.unlimited
        ? "without quota headers, so not for the pull quota: most likely Docker Hub's abuse limit on requests per minute from this address"
        : headers.remaining === undefined
          ? `with quota headers that cannot be read (${headers.problems.join("; ")})`
          : `although the headers say ${headers.remaining} pulls remain: most likely Docker Hub's abuse limit on requests per minute from this address`;
      throw new QuotaError("refused", `the quota check was answered 429 Too Many Requests ${why} (${refused.message})`, { cause: refused });
    }
    return {
      source: headers.source,
      limit: headers.limit,
      remaining: headers.remaining,
      windowSeconds: headers.windowSeconds,
      unlimited: headers.unlimited,
      authenticated: !auth.anonymous,
      observedAt: now(),
      via: "check",
      problems: headers.problems,
    };
  } catch (err) {
    // The client throws RangeError for arguments it cannot send, before any request.
    if (err instanceof RangeError) throw badOptions(err);
    throw err;
  } finally {
    await client.close();
  }
}

function badOptions(err: unknown): QuotaError {
  const message = err instanceof Error ? err.message : String(err);
  return new QuotaError("bad-options", `cannot check the Docker Hub quota: ${message}`, { cause: err });
}
