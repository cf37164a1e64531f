/**
 * The registry HTTP client: the requests a pull makes (ping, token, manifest, tags, blob), each
 * answering with what it saw or a RegistryError a diagnosis can classify. One undici Agent per
 * client, so probes of one registry reuse connections; every network step has the one timeout.
 */

import { performance } from "node:perf_hooks";
import type { Platform } from "../../core/image/index.js";
import { VERSION } from "../../core/process/index.js";
import { type AuthChallenge, parseWwwAuthenticate } from "./challenge.js";
import { RegistryError, type RegistryStep } from "./errors.js";
import { checkDigest, checkEndpointUrl, checkHeaders, checkReference, checkRepo, isDigest } from "./http-args.js";
import { type AuthHeader, NO_AUTH, RegistryAuth } from "./http-auth.js";
import { parseJsonBody, readBodyLimited } from "./http-body.js";
import { contentLength, discard, type HttpAnswer, type HttpMethod, RegistryHttp } from "./http-exchange.js";
import { nextLink } from "./http-link.js";
import { canVerifyDigest, decodeManifest, digestOf, MANIFEST_ACCEPT, MANIFEST_BODY_LIMIT, type Manifest, mediaTypeOf, verifyDigest } from "./http-manifest.js";
import { type BlobSample, readSample } from "./http-sample.js";
import type { RegistryClientOptions, RegistryEndpoint } from "./http-types.js";
import { type Infer, shape } from "./json-shape.js";
import { headerValue, type RateLimit } from "./ratelimit.js";

export type { AuthChallenge } from "./challenge.js";
export { parseWwwAuthenticate } from "./challenge.js";
export { RegistryError } from "./errors.js";
export type { Manifest, ManifestDescriptor } from "./http-manifest.js";
export type { BlobSample } from "./http-sample.js";
export type { ProxyRoute, RegistryClientOptions, RegistryCredential, RegistryEndpoint, RegistryNetwork } from "./http-types.js";
export type { RateLimit } from "./ratelimit.js";
export { parseRateLimitHeaders, parseRetryAfter } from "./ratelimit.js";

export interface PingResult {
  /** 200 (open) or 401 (auth needed; see challenges). */
  status: number;
  ms: number;
  challenges: AuthChallenge[];
  /** `Docker-Distribution-API-Version`, e.g. "registry/2.0". */
  apiVersion: string | undefined;
}

export interface ManifestHead {
  status: number;
  digest: string | undefined;
  mediaType: string | undefined;
  size: number | undefined;
  ms: number;
  rateLimit: RateLimit | undefined;
  /** ratelimit-* and docker-ratelimit-source as sent, for a quota check that must tell none from unreadable. */
  quotaHeaders: Record<string, string[]>;
}

export interface AuthorizeResult {
  scheme: "none" | "basic" | "bearer";
  /** True when nothing of the user's credential is involved (no credential, or an anonymous token). */
  anonymous: boolean;
  /** Whole call, including the ping that learns the challenge when none is known yet. */
  ms: number;
  /** Time at the token server; absent when no token was needed or it came from the cache. */
  tokenMs?: number;
  /** For bearer: the token came from the cache. */
  cached?: boolean;
}

const DEFAULT_MAX_TAGS = 10_000;
const TAGS_PAGE_SIZE = 1000;
const TAGS_BODY_LIMIT = 16 * 1024 * 1024;
// The errors a HEAD cannot explain without a body; a GET costs a Docker Hub pull only when it succeeds.
const GET_ON_ERROR = new Set([400, 401, 403, 404]);
// Image configs hold history and env; a few MiB is already unusual.
const CONFIG_BODY_LIMIT = 8 * 1024 * 1024;
const configBody = shape.object({ os: shape.string().optional(), architecture: shape.string().optional(), variant: shape.string().optional() });
const tagsBody = shape.object({ name: shape.string().optional(), tags: shape.array(shape.string()).nullable().optional() });

interface Exchange {
  step: RegistryStep;
  method: HttpMethod;
  url: URL;
  repo: string | undefined;
  accept?: string;
  /** Whether a 401 may be answered by authenticating and sending once more. */
  authRetry: boolean;
}

export class RegistryClient {
  private readonly http: RegistryHttp;
  private readonly auth: RegistryAuth;
  private readonly apiRoot: string;
  private readonly namespace: string | undefined;
  private readonly originHeaders: Record<string, string>;
  private readonly userAgent: string;
  private readonly now: () => number;
  private lastPing: { url: URL; challenges: AuthChallenge[]; status: number } | undefined;
  private closed = false;

  constructor(endpoint: RegistryEndpoint, opts: RegistryClientOptions) {
    if (!(Number.isFinite(opts.timeoutMs) && opts.timeoutMs > 0)) {
      throw new RangeError(`RegistryClient: timeoutMs must be a positive number of milliseconds, got ${String(opts.timeoutMs)}`);
    }
    const base = checkEndpointUrl(endpoint.url);
    this.apiRoot = endpoint.overridePath === true ? base : `${base}/v2`;
    this.namespace = endpoint.namespace;
    this.originHeaders = checkHeaders(endpoint.headers ?? {});
    this.userAgent = opts.userAgent ?? `pullmedic/${VERSION}`;
    this.now = opts.now ?? Date.now;
    this.http = new RegistryHttp(endpoint, opts.timeoutMs, this.now, opts.onRateLimit);
    this.auth = new RegistryAuth(this.http, opts.credential, this.now, this.userAgent);
  }

  /** GET /v2/ without credentials: 200 and 401 resolve (the status tells which); anything else rejects. */
  async ping(): Promise<PingResult> {
    const started = performance.now();
    const url = this.url("/");
    const answer = await this.exchange({ step: "ping", method: "GET", url, repo: undefined, authRetry: false }, { anonymous: true });
    if (answer.status !== 200 && answer.status !== 401) throw await this.http.statusError(answer);
    const wwwAuthenticate = answer.headers["www-authenticate"];
    const challenges = wwwAuthenticate === undefined ? [] : parseWwwAuthenticate(wwwAuthenticate);
    await discard(answer.body);
    if (answer.status === 401) this.auth.remember(challenges);
    this.lastPing = { url, challenges, status: answer.status };
    return { status: answer.status, ms: performance.now() - started, challenges, apiVersion: headerValue(answer.headers, "docker-distribution-api-version") };
  }

  /**
   * Gets whatever the registry wants for pulling `repo` (a cached or new bearer token, or Basic)
   * and says what was done. Rejects when the registry wants Basic and there is no credential.
   */
  async authorize(repo: string): Promise<AuthorizeResult> {
    checkRepo(repo);
    const started = performance.now();
    const ms = (): number => performance.now() - started;
    if (this.auth.usesRegistryToken()) return { scheme: "bearer", anonymous: false, ms: ms() };
    if (this.auth.knownChallenge === undefined && this.lastPing === undefined) await this.ping();
    const challenge = this.auth.knownChallenge;
    if (challenge === undefined) {
      if (this.lastPing?.status === 401) throw this.authImpossible("the registry asks for an authentication scheme other than Basic or Bearer");
      return { scheme: "none", anonymous: true, ms: ms() };
    }
    if (challenge.scheme === "basic") {
      if (!this.auth.hasBasicCredential()) throw this.authImpossible("the registry wants Basic credentials and none are configured");
      return { scheme: "basic", anonymous: false, ms: ms() };
    }
    const outcome = await this.auth.tokenFor(challenge, repo);
    const result: AuthorizeResult = { scheme: "bearer", anonymous: !outcome.auth.withCredential, ms: ms(), cached: outcome.cached };
    if (!outcome.cached) result.tokenMs = outcome.tokenMs;
    return result;
  }

  /** The 401 a request would get, said without sending it: no usable credential for what the registry wants. */
  private authImpossible(reason: string): RegistryError {
    const ping = this.lastPing;
    return new RegistryError({
      kind: "http",
      step: "ping",
      method: "GET",
      url: ping?.url ?? this.url("/"),
      status: 401,
      challenges: ping?.challenges ?? [],
      credentialSent: false,
      reason,
    });
  }

  /**
   * HEAD of a manifest: digest, media type and size, plus quota headers (a HEAD does not count as a
   * Docker Hub pull). On 400/401/403/404 a GET learns the registry's error code, unless `getOnError` is false.
   */
  async headManifest(repo: string, reference: string, opts: { getOnError?: boolean } = {}): Promise<ManifestHead> {
    checkRepo(repo);
    checkReference(reference);
    const started = performance.now();
    const url = this.url(`/${repo}/manifests/${reference}`);
    const answer = await this.exchange({ step: "manifest", method: "HEAD", url, repo, accept: MANIFEST_ACCEPT, authRetry: true });
    await discard(answer.body);
    if (answer.status >= 200 && answer.status <= 299) {
      return {
        status: answer.status,
        digest: headerValue(answer.headers, "docker-content-digest")?.trim() || undefined,
        mediaType: mediaTypeOf(headerValue(answer.headers, "content-type")),
        size: contentLength(answer),
        ms: performance.now() - started,
        rateLimit: answer.rateLimit,
        quotaHeaders: answer.quotaHeaders,
      };
    }
    if (opts.getOnError === false || !GET_ON_ERROR.has(answer.status)) throw await this.http.statusError(answer);
    const get = await this.exchange({ step: "manifest", method: "GET", url, repo, accept: MANIFEST_ACCEPT, authRetry: false });
    if (get.status < 200 || get.status > 299) throw await this.http.statusError(get);
    // The GET worked where the HEAD did not (some registries mishandle HEAD): answer from it.
    const raw = await this.readBody(get, MANIFEST_BODY_LIMIT, "manifest");
    const digest = headerValue(get.headers, "docker-content-digest")?.trim() || digestOf(raw, "sha256");
    return {
      status: get.status,
      digest,
      mediaType: mediaTypeOf(headerValue(get.headers, "content-type")),
      size: raw.length,
      ms: performance.now() - started,
      rateLimit: get.rateLimit ?? answer.rateLimit,
      quotaHeaders: Object.keys(get.quotaHeaders).length ? get.quotaHeaders : answer.quotaHeaders,
    };
  }

  /** GET of a manifest, decoded. A digest reference is checked against the body; so is a Docker-Content-Digest header. */
  async getManifest(repo: string, reference: string): Promise<Manifest> {
    checkRepo(repo);
    checkReference(reference);
    const url = this.url(`/${repo}/manifests/${reference}`);
    const answer = await this.exchange({ step: "manifest", method: "GET", url, repo, accept: MANIFEST_ACCEPT, authRetry: true });
    if (answer.status < 200 || answer.status > 299) throw await this.http.statusError(answer);
    const raw = await this.readBody(answer, MANIFEST_BODY_LIMIT, "manifest");
    const headerDigest = headerValue(answer.headers, "docker-content-digest")?.trim() || undefined;
    const digest = isDigest(reference) ? reference : (headerDigest ?? digestOf(raw, "sha256") ?? "");
    try {
      if (isDigest(reference)) verifyDigest(raw, reference, "manifest body");
      // The header is what the runtime will pin, so a wrong one matters; one in an algorithm Node lacks is taken on trust.
      if (headerDigest !== undefined && headerDigest !== reference && canVerifyDigest(headerDigest)) verifyDigest(raw, headerDigest, "Docker-Content-Digest");
      return decodeManifest(raw, headerValue(answer.headers, "content-type"), digest);
    } catch (err) {
      throw this.http.bodyError(answer, err);
    }
  }

  /**
   * The platform a single-platform image declares in its config blob (`os`, `architecture`,
   * `variant`); undefined when the config does not say. The digest of the config is verified.
   */
  async getImagePlatform(repo: string, manifest: Manifest & { kind: "image" }): Promise<Platform | undefined> {
    checkRepo(repo);
    const digest = manifest.config.digest;
    checkDigest("getImagePlatform: config digest", digest);
    const url = this.url(`/${repo}/blobs/${digest}`);
    const answer = await this.exchange({ step: "blob", method: "GET", url, repo, authRetry: true });
    if (answer.status < 200 || answer.status > 299) throw await this.http.statusError(answer);
    const raw = await this.readBody(answer, CONFIG_BODY_LIMIT, "image config");
    try {
      verifyDigest(raw, digest, "image config");
      const config = parseJsonBody(configBody, raw, "image config");
      if (config.os === undefined || config.architecture === undefined) return undefined;
      const platform: Platform = { os: config.os, architecture: config.architecture };
      if (config.variant !== undefined && config.variant !== "") platform.variant = config.variant;
      return platform;
    } catch (err) {
      throw this.http.bodyError(answer, err);
    }
  }

  /** All tags, following `Link: <…>; rel="next"`, stopping at `max` (default 10 000). */
  async listTags(repo: string, opts: { max?: number } = {}): Promise<string[]> {
    checkRepo(repo);
    const max = opts.max ?? DEFAULT_MAX_TAGS;
    if (!(Number.isInteger(max) && max >= 0)) throw new RangeError(`listTags: max must be a whole number ≥ 0, got ${String(max)}`);
    const tags: string[] = [];
    let url: URL | undefined = this.url(`/${repo}/tags/list`);
    url.searchParams.set("n", String(Math.min(TAGS_PAGE_SIZE, Math.max(1, max))));
    const seen = new Set<string>();
    while (url !== undefined && tags.length < max) {
      seen.add(url.href);
      const answer = await this.exchange({ step: "tags", method: "GET", url, repo, accept: "application/json", authRetry: true });
      if (answer.status < 200 || answer.status > 299) throw await this.http.statusError(answer);
      const raw = await this.readBody(answer, TAGS_BODY_LIMIT, "tag list");
      let page: Infer<typeof tagsBody>;
      try {
        page = parseJsonBody(tagsBody, raw, "tag list");
      } catch (err) {
        throw this.http.bodyError(answer, err);
      }
      // One at a time, and no further than `max`: spreading a page of a few hundred thousand tags
      // into push() overflows the call stack.
      for (const tag of page.tags ?? []) {
        if (tags.length >= max) break;
        tags.push(tag);
      }
      url = this.nextPage(answer, seen);
    }
    return tags;
  }

  /**
   * Reads the start of a blob to measure throughput: stops at `maxBytes` or `maxMs`, whichever
   * comes first. Redirects to storage are followed without our Authorization header.
   */
  async sampleBlob(repo: string, digest: string, opts: { maxBytes: number; maxMs: number }): Promise<BlobSample> {
    checkRepo(repo);
    checkDigest("sampleBlob", digest);
    const url = this.url(`/${repo}/blobs/${digest}`);
    const answer = await this.exchange({ step: "blob", method: "GET", url, repo, authRetry: true });
    if (answer.status < 200 || answer.status > 299) throw await this.http.statusError(answer);
    return readSample(this.http, answer, digest, opts);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.http.close();
  }

  /** Sends with the auth the registry is known to want; on a 401, authenticates per its challenge and sends once more. */
  private async exchange(ex: Exchange, opts: { anonymous?: boolean } = {}): Promise<HttpAnswer> {
    if (this.closed) throw new Error("RegistryClient: used after close()");
    const first = opts.anonymous === true ? NO_AUTH : await this.auth.headerFor(ex.repo);
    const answer = await this.send(ex, first);
    if (answer.status !== 401 || !ex.authRetry) return answer;
    const wwwAuthenticate = answer.headers["www-authenticate"];
    const challenges = wwwAuthenticate === undefined ? [] : parseWwwAuthenticate(wwwAuthenticate);
    const retry = await this.auth.afterUnauthorized(challenges, ex.repo, first).catch(async (err: unknown) => {
      await discard(answer.body);
      throw err;
    });
    if (retry === undefined) return answer;
    await discard(answer.body);
    return this.send(ex, retry);
  }

  private send(ex: Exchange, auth: AuthHeader): Promise<HttpAnswer> {
    const headers: Record<string, string> = { "User-Agent": this.userAgent };
    if (ex.accept !== undefined) headers["Accept"] = ex.accept;
    const originHeaders = { ...this.originHeaders };
    if (auth.header !== undefined) originHeaders["Authorization"] = auth.header;
    return this.http.send({ step: ex.step, method: ex.method, url: ex.url, headers, originHeaders, credentialSent: auth.withCredential });
  }

  private async readBody(answer: HttpAnswer, limit: number, what: string): Promise<Buffer> {
    try {
      return await readBodyLimited(answer.body, limit, what);
    } catch (err) {
      throw this.http.bodyError(answer, err);
    }
  }

  private nextPage(answer: HttpAnswer, seen: Set<string>): URL | undefined {
    const next = nextLink(answer.headers["link"], answer.url);
    if (next === undefined) return undefined;
    if (next === "malformed") throw this.http.malformed(answer, `unreadable Link header ${JSON.stringify(String(answer.headers["link"]).slice(0, 200))}`);
    // Credentials go only to the registry's own origin, and a page must not lead back to one already read.
    if (next.origin !== answer.url.origin) throw this.http.malformed(answer, `Link rel="next" leaves the registry (${next.origin})`);
    if (this.namespace !== undefined && !next.searchParams.has("ns")) next.searchParams.set("ns", this.namespace);
    if (seen.has(next.href)) throw this.http.malformed(answer, 'Link rel="next" points to a page already read');
    return next;
  }

  private url(path: string): URL {
    const url = new URL(`${this.apiRoot}${path}`);
    if (this.namespace !== undefined) url.searchParams.set("ns", this.namespace);
    return url;
  }
}
