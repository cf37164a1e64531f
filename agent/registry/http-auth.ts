/**
 * Registry authentication: remembers the registry's challenge, obtains bearer tokens from its
 * token server (distribution `auth/token.md`, and the OAuth2 form for identity tokens), keeps
 * them per scope until they expire, and knows at every moment whether what it sends carries the
 * user's credential, which is what tells "auth required" from "auth denied".
 */

import { performance } from "node:perf_hooks";
import { rememberSecret } from "../../core/log/index.js";
import { type AuthChallenge, preferredChallenge } from "./challenge.js";
import { RegistryError } from "./errors.js";
import { parseJsonBody, readBodyLimited } from "./http-body.js";
import { discard, type HttpAnswer, type RegistryHttp } from "./http-exchange.js";
import type { RegistryCredential } from "./http-types.js";
import { type Infer, shape } from "./json-shape.js";

/** What goes into a request's Authorization header, and what it means for evidence. */
export interface AuthHeader {
  scheme: "none" | "basic" | "bearer";
  header: string | undefined;
  /** The header carries the user's credential (Basic, a registry token, or a token obtained with either). */
  withCredential: boolean;
}

export interface TokenOutcome {
  auth: AuthHeader;
  /** Time spent at the token server; 0 when the token came from the cache. */
  tokenMs: number;
  cached: boolean;
}

interface CachedToken {
  token: string;
  expiresAt: number;
  withCredential: boolean;
}

export const NO_AUTH: AuthHeader = { scheme: "none", header: undefined, withCredential: false };
// token.md: expires_in defaults to 60 s when the server leaves it out.
const DEFAULT_TOKEN_SECONDS = 60;
const TOKEN_CACHE_MAX = 128;
const TOKEN_BODY_LIMIT = 1024 * 1024;
// containerd falls back from the OAuth2 POST to the GET form on these (GCR 404, Artifactory 401, ACR 400, 405).
const POST_FALLBACK = new Set([400, 401, 404, 405]);
const CLIENT_ID = "pullmedic";

const tokenResponse = shape.object({
  token: shape.string().optional(),
  access_token: shape.string().optional(),
  expires_in: shape.unknown().optional(),
  issued_at: shape.unknown().optional(),
});

export class RegistryAuth {
  /** The challenge the registry last sent; undefined until a ping or a 401 told us. */
  private challenge: AuthChallenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  /** The scopes last asked for a repository, for registries whose challenge scope is not plain `repository:<repo>:pull`. */
  private readonly repoScopes = new Map<string, string[]>();

  constructor(
    private readonly http: RegistryHttp,
    private readonly credential: RegistryCredential | undefined,
    private readonly now: () => number,
    private readonly userAgent: string,
  ) {}

  get knownChallenge(): AuthChallenge | undefined {
    return this.challenge;
  }

  /** Learns the scheme from a ping or a 401 so later requests authenticate up front. */
  remember(challenges: AuthChallenge[]): AuthChallenge | undefined {
    const chosen = preferredChallenge(challenges);
    if (chosen !== undefined) this.challenge = chosen;
    return chosen;
  }

  hasBasicCredential(): boolean {
    return this.credential?.username !== undefined && this.credential.password !== undefined;
  }

  /** What to send for a request on `repo` (undefined for registry-wide requests) before any 401. */
  async headerFor(repo: string | undefined): Promise<AuthHeader> {
    const registryToken = this.credential?.registryToken;
    if (registryToken !== undefined) return { scheme: "bearer", header: `Bearer ${registryToken}`, withCredential: true };
    const challenge = this.challenge;
    if (challenge?.scheme === "basic") return this.basic() ?? NO_AUTH;
    if (challenge?.scheme !== "bearer" || repo === undefined) return NO_AUTH;
    return (await this.tokenFor(challenge, repo)).auth;
  }

  usesRegistryToken(): boolean {
    return this.credential?.registryToken !== undefined;
  }

  /** The pull token for `repo`, for the scopes last asked for it (at first `repository:<repo>:pull`), cached or new. */
  tokenFor(challenge: AuthChallenge, repo: string): Promise<TokenOutcome> {
    return this.token(challenge, this.repoScopes.get(repo) ?? [pullScope(repo)], repo);
  }

  /**
   * After a 401: what to send on the one retry, or undefined when a retry cannot change the
   * answer (no credential for Basic, Basic already rejected, a fixed registry token, an unknown scheme).
   */
  async afterUnauthorized(challenges: AuthChallenge[], repo: string | undefined, sent: AuthHeader): Promise<AuthHeader | undefined> {
    const challenge = this.remember(challenges);
    if (challenge === undefined) return undefined;
    if (challenge.scheme === "basic") {
      if (sent.scheme === "basic") return undefined;
      return this.basic();
    }
    if (this.credential?.registryToken !== undefined) return undefined;
    const fromChallenge = (challenge.params["scope"] ?? "").split(" ").filter((s) => s !== "");
    const scopes = fromChallenge.length > 0 ? fromChallenge : repo === undefined ? [] : [pullScope(repo)];
    // The token we sent (if any) was refused, so the cache is skipped: a fresh one may carry a renewed grant.
    return (await this.token(challenge, scopes, repo, { refresh: true })).auth;
  }

  /** A token for `scopes` from the cache or the token server. */
  private async token(challenge: AuthChallenge, scopes: string[], repo: string | undefined, opts: { refresh?: boolean } = {}): Promise<TokenOutcome> {
    const realm = challenge.params["realm"];
    const service = challenge.params["service"];
    const key = JSON.stringify([realm, service, [...scopes].sort()]);
    if (repo !== undefined) this.rememberScopes(repo, scopes);
    if (opts.refresh !== true) {
      const cached = this.fresh(key);
      if (cached !== undefined) return { auth: bearer(cached), tokenMs: 0, cached: true };
    }
    this.tokens.delete(key);
    const started = performance.now();
    const fetched = await this.fetchToken(realm, service, scopes);
    this.tokens.set(key, fetched);
    while (this.tokens.size > TOKEN_CACHE_MAX) this.tokens.delete(this.tokens.keys().next().value ?? "");
    return { auth: bearer(fetched), tokenMs: performance.now() - started, cached: false };
  }

  private fresh(key: string): CachedToken | undefined {
    const cached = this.tokens.get(key);
    if (cached === undefined) return undefined;
    if (this.now() < cached.expiresAt) return cached;
    this.tokens.delete(key);
    return undefined;
  }

  private rememberScopes(repo: string, scopes: string[]): void {
    this.repoScopes.delete(repo);
    this.repoScopes.set(repo, scopes);
    while (this.repoScopes.size > TOKEN_CACHE_MAX) this.repoScopes.delete(this.repoScopes.keys().next().value ?? "");
  }

  private basic(): AuthHeader | undefined {
    const c = this.credential;
    if (c?.username === undefined || c.password === undefined) return undefined;
    return { scheme: "basic", header: basicHeader(c.username, c.password), withCredential: true };
  }

  private async fetchToken(realm: string | undefined, service: string | undefined, scopes: string[]): Promise<CachedToken> {
    const realmUrl = parseRealm(realm);
    const identityToken = this.credential?.identityToken;
    if (identityToken !== undefined) {
      const answer = await this.postRefreshToken(realmUrl, service, scopes, identityToken);
      if (!POST_FALLBACK.has(answer.status)) return this.readToken(answer, true);
      await discard(answer.body);
      // The GET form takes the identity token as the Basic password, as containerd does.
      const username = this.credential?.username ?? "<token>";
      return this.readToken(await this.getToken(realmUrl, service, scopes, basicHeader(username, identityToken)), true);
    }
    const basic = this.basic();
    return this.readToken(await this.getToken(realmUrl, service, scopes, basic?.header), basic !== undefined);
  }

  private getToken(realm: URL, service: string | undefined, scopes: string[], authorization: string | undefined): Promise<HttpAnswer> {
    const url = new URL(realm);
    if (service !== undefined) url.searchParams.append("service", service);
    for (const scope of scopes) url.searchParams.append("scope", scope);
    return this.http.send({
      step: "token",
      method: "GET",
      url,
      headers: { "User-Agent": this.userAgent, Accept: "application/json" },
      ...(authorization !== undefined ? { originHeaders: { Authorization: authorization } } : {}),
      credentialSent: authorization !== undefined,
    });
  }

  private postRefreshToken(realm: URL, service: string | undefined, scopes: string[], refreshToken: string): Promise<HttpAnswer> {
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: CLIENT_ID });
    if (service !== undefined) form.set("service", service);
    if (scopes.length > 0) form.set("scope", scopes.join(" "));
    return this.http.send({
      step: "token",
      method: "POST",
      url: realm,
      headers: {
        "User-Agent": this.userAgent,
        Accept: "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: form.toString(),
      credentialSent: true,
    });
  }

  private async readToken(answer: HttpAnswer, withCredential: boolean): Promise<CachedToken> {
    if (answer.status < 200 || answer.status > 299) throw await this.http.statusError(answer);
    let body: Infer<typeof tokenResponse>;
    try {
      body = parseJsonBody(tokenResponse, await readBodyLimited(answer.body, TOKEN_BODY_LIMIT, "token response"), "token response");
    } catch (err) {
      throw this.http.bodyError(answer, err);
    }
    const token = nonEmpty(body.token) ?? nonEmpty(body.access_token);
    if (token === undefined) throw this.http.malformed(answer, 'token response has neither "token" nor "access_token"');
    rememberSecret(token);
    return { token, expiresAt: expiry(body.expires_in, body.issued_at, this.now()), withCredential };
  }
}

/**
 * When a token stops being used. `issued_at` can only shorten the life: a token server whose
 * clock runs ahead of ours must not make us keep a token longer than it said. A token that by
 * `issued_at` expired before it arrived says more about a skewed clock than about the token,
 * so then the time of receipt counts, or every request would fetch a new one.
 */
function expiry(expiresIn: unknown, issuedAt: unknown, now: number): number {
  const seconds = typeof expiresIn === "number" && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_TOKEN_SECONDS;
  const fromReceipt = now + seconds * 1000;
  const issued = typeof issuedAt === "string" ? Date.parse(issuedAt) : Number.NaN;
  const fromIssue = issued + seconds * 1000;
  return Number.isNaN(issued) || fromIssue <= now ? fromReceipt : Math.min(fromReceipt, fromIssue);
}

function parseRealm(realm: string | undefined): URL {
  if (realm === undefined || realm === "") {
    throw new RegistryError({
      kind: "protocol",
      step: "token",
      method: "GET",
      url: "(no realm)",
      credentialSent: false,
      reason: "the Bearer challenge has no realm, so there is no token server to ask",
    });
  }
  try {
    const url = new URL(realm);
    if (url.protocol === "https:" || url.protocol === "http:") return url;
  } catch {
    // reported below
  }
  throw new RegistryError({
    kind: "protocol",
    step: "token",
    method: "GET",
    url: realm,
    credentialSent: false,
    reason: "the Bearer challenge realm is not an http(s) URL",
  });
}

function bearer(token: CachedToken): AuthHeader {
  return { scheme: "bearer", header: `Bearer ${token.token}`, withCredential: token.withCredential };
}

function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

function pullScope(repo: string): string {
  return `repository:${repo}:pull`;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}
