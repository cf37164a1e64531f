/**
 * One HTTP exchange with a registry (or its token server, or the storage it redirects to):
 * timeouts, redirects that keep credentials on their origin, quota headers noted on every
 * response, and every failure turned into a RegistryError that says what happened.
 */

import type { Readable } from "node:stream";
import { rootCertificates, connect as tlsConnect } from "node:tls";
import type { Agent, Dispatcher } from "undici";
import { undiciAgent } from "../../core/process/index.js";
import { parseWwwAuthenticate } from "./challenge.js";
import { RegistryError, type RegistryFailureKind, type RegistryStep } from "./errors.js";
import { decodeErrorBody, MalformedResponse, readBodyPrefix } from "./http-body.js";
import { dialDirect, ProxyError, proxyAuthorization, registryConnector } from "./http-connect.js";
import { classifyNetworkError, type NetworkFailure } from "./http-failure.js";
import type { ProxyRoute, RegistryEndpoint } from "./http-types.js";
import { type HeaderBag, headerValue, parseRateLimitHeaders, parseRetryAfter, quotaHeaderValues, type RateLimit } from "./ratelimit.js";

export type HttpMethod = "GET" | "HEAD" | "POST";

export interface HttpRequest {
  step: RegistryStep;
  method: HttpMethod;
  url: URL;
  /** Sent on every hop. */
  headers: Record<string, string>;
  /** Sent only to the origin of `url`: Authorization and hosts.toml headers never follow a redirect elsewhere. */
  originHeaders?: Record<string, string>;
  body?: string;
  /** Whether `originHeaders` carry our credential (Basic, or a token obtained with it). */
  credentialSent: boolean;
}

export interface HttpAnswer {
  status: number;
  headers: HeaderBag;
  body: Readable;
  /** The URL that answered, after redirects. */
  url: URL;
  /** Whether the answering request still carried the credential (false once a redirect left the origin). */
  credentialSent: boolean;
  method: HttpMethod;
  step: RegistryStep;
  rateLimit: RateLimit | undefined;
  /** ratelimit-* and docker-ratelimit-source as sent. */
  quotaHeaders: Record<string, string[]>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const ERROR_BODY_LIMIT = 64 * 1024;
// Go's TLS server and nginx answer plain HTTP on a TLS port with a 400 saying so.
const PLAIN_HTTP_TO_TLS = /HTTP request to an HTTPS server|plain HTTP request was sent to HTTPS port/i;

export class RegistryHttp {
  /** Made (and undici loaded) on the first request: verbs that never talk HTTP (explain) do not pay for it. */
  private agent: Agent | undefined;

  constructor(
    private readonly endpoint: RegistryEndpoint,
    private readonly timeoutMs: number,
    private readonly now: () => number,
    private readonly onRateLimit: ((r: RateLimit) => void) | undefined,
  ) {}

  private dispatcher(): Agent {
    this.agent ??= this.makeAgent(undiciAgent());
    return this.agent;
  }

  private makeAgent(AgentClass: typeof Agent): Agent {
    const { endpoint, timeoutMs } = this;
    const timeouts = { headersTimeout: timeoutMs, bodyTimeout: timeoutMs };
    // The runtime's network: its roots (hosts.toml CAs on top), its resolver, its proxy.
    if (endpoint.network !== undefined) {
      return new AgentClass({
        ...timeouts,
        connect: registryConnector(endpoint.network, { ca: endpoint.ca ?? [], skipVerify: endpoint.skipVerify === true }, timeoutMs),
      });
    }
    return new AgentClass({
      ...timeouts,
      connect: {
        timeout: timeoutMs,
        // Passing `ca` replaces Node's roots, so they are added back: hosts.toml CAs extend the trust, like containerd's.
        ...(endpoint.ca !== undefined && endpoint.ca.length > 0 ? { ca: [...rootCertificates, ...endpoint.ca] } : {}),
        ...(endpoint.skipVerify === true ? { rejectUnauthorized: false } : {}),
      },
    });
  }

  /** The proxy a plain-http request goes to (https goes through a tunnel the connector opens). */
  private httpProxy(url: URL): ProxyRoute | undefined {
    return url.protocol === "http:" ? this.endpoint.network?.proxyFor(url) : undefined;
  }

  /** Sends, following redirects for GET and HEAD. Network failures reject with RegistryError; HTTP statuses resolve. */
  async send(req: HttpRequest): Promise<HttpAnswer> {
    let url = req.url;
    // Once a redirect leaves the origin, credentials stay behind even if a later hop comes back.
    let keepOriginHeaders = true;
    for (let hop = 0; ; hop++) {
      const headers = keepOriginHeaders ? { ...req.headers, ...req.originHeaders } : { ...req.headers };
      const credentialSent = keepOriginHeaders && req.credentialSent;
      const answer = await this.once({ ...req, url, credentialSent }, headers);
      const location = headerValue(answer.headers, "location");
      if (!REDIRECTS.has(answer.status) || location === undefined || req.method === "POST" || hop >= MAX_REDIRECTS) return answer;
      await discard(answer.body);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        // A storage redirect signs its query; unparsed, safeUrl cannot pick the secret parameters out.
        throw this.malformed(answer, `redirect Location ${JSON.stringify(location.replace(/[?#].*$/s, "").slice(0, 200))} is not a URL`);
      }
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        throw this.malformed(answer, `redirect to unsupported scheme ${next.protocol}`);
      }
      if (next.origin !== req.url.origin) keepOriginHeaders = false;
      url = next;
    }
  }

  private async once(req: HttpRequest, headers: Record<string, string>): Promise<HttpAnswer> {
    let res: Dispatcher.ResponseData;
    const proxy = this.httpProxy(req.url);
    try {
      const dispatcher = this.dispatcher();
      res = await dispatcher.request({
        ...(proxy !== undefined ? viaProxy(proxy, req.url, headers) : { origin: req.url.origin, path: `${req.url.pathname}${req.url.search}`, headers }),
        method: req.method,
        ...(req.body !== undefined ? { body: req.body } : {}),
      });
    } catch (err) {
      throw await this.networkError(req, proxy !== undefined ? atProxy(proxy, err) : err);
    }
    if (proxy !== undefined && res.statusCode === 407) {
      await discard(res.body);
      throw await this.networkError(req, new ProxyError(proxy.label, "auth", "answered 407 Proxy Authentication Required", 407));
    }
    const rateLimit = this.observeRateLimit(res.headers);
    return {
      status: res.statusCode,
      headers: res.headers,
      body: res.body,
      url: req.url,
      credentialSent: req.credentialSent,
      method: req.method,
      step: req.step,
      rateLimit,
      quotaHeaders: quotaHeaderValues(res.headers),
    };
  }

  private observeRateLimit(headers: HeaderBag): RateLimit | undefined {
    const rateLimit = parseRateLimitHeaders(headers, this.now());
    if (rateLimit !== undefined && this.onRateLimit !== undefined) {
      try {
        this.onRateLimit(rateLimit);
      } catch {
        // An observer's bug must not fail the registry check it is observing.
      }
    }
    return rateLimit;
  }

  /** The RegistryError for a response whose status the caller cannot use; reads (a bounded start of) the body for error codes. */
  async statusError(answer: HttpAnswer, extra: { reason?: string } = {}): Promise<RegistryError> {
    let raw: Buffer = Buffer.alloc(0);
    let readFailure: string | undefined;
    try {
      raw = await readBodyPrefix(answer.body, ERROR_BODY_LIMIT);
    } catch (err) {
      // The status already says what matters; a body cut short only loses detail.
      readFailure = classifyNetworkError(err).reason;
    }
    const { errors, text } = decodeErrorBody(raw);
    let kind: RegistryFailureKind = "http";
    let reason = extra.reason;
    if (answer.url.protocol === "http:" && answer.status === 400 && text !== undefined && PLAIN_HTTP_TO_TLS.test(text)) {
      kind = "http-to-https";
      reason = "the server speaks HTTPS on this port; use an https:// endpoint";
    }
    if (reason === undefined && readFailure !== undefined) reason = `error body unreadable: ${readFailure}`;
    const wwwAuthenticate = answer.headers["www-authenticate"];
    return new RegistryError({
      kind,
      step: answer.step,
      method: answer.method,
      url: answer.url,
      status: answer.status,
      errors,
      rateLimit: answer.rateLimit,
      quotaHeaders: answer.quotaHeaders,
      retryAfterSeconds: parseRetryAfter(headerValue(answer.headers, "retry-after"), this.now()),
      challenges: wwwAuthenticate === undefined ? [] : parseWwwAuthenticate(wwwAuthenticate),
      credentialSent: answer.credentialSent,
      reason,
      bodyText: text,
    });
  }

  /** A RegistryError of kind "protocol" about a response that arrived but cannot be used. */
  malformed(answer: HttpAnswer, problem: string): RegistryError {
    discard(answer.body).catch(() => undefined);
    return new RegistryError({
      kind: "protocol",
      step: answer.step,
      method: answer.method,
      url: answer.url,
      status: answer.status,
      rateLimit: answer.rateLimit,
      credentialSent: answer.credentialSent,
      reason: problem,
    });
  }

  /** Wraps what reading a body threw: a decoder's complaint or a broken stream. */
  bodyError(answer: HttpAnswer, err: unknown): RegistryError {
    if (err instanceof RegistryError) return err;
    if (err instanceof MalformedResponse) return this.malformed(answer, err.problem);
    const failure = classifyNetworkError(err);
    return new RegistryError({
      kind: failure.kind,
      step: answer.step,
      method: answer.method,
      url: answer.url,
      status: answer.status,
      code: failure.code,
      rateLimit: answer.rateLimit,
      credentialSent: answer.credentialSent,
      reason: `reading the body: ${failure.reason}`,
      cause: err,
    });
  }

  private async networkError(req: HttpRequest, err: unknown): Promise<RegistryError> {
    let failure = proxyFailure(err) ?? classifyNetworkError(err);
    // A TLS server hangs up on plain HTTP (or answers with a TLS alert, which is not HTTP).
    // Only a handshake can tell that from a flaky plain-HTTP server.
    if (req.url.protocol === "http:" && (failure.kind === "reset" || failure.kind === "protocol") && (await this.speaksTls(req.url))) {
      failure = { kind: "http-to-https", code: failure.code, reason: "the server speaks TLS on this port; use an https:// endpoint" };
    }
    return new RegistryError({
      kind: failure.kind,
      step: req.step,
      method: req.method,
      url: req.url,
      code: failure.code,
      credentialSent: req.credentialSent,
      reason: failure.reason,
      cause: err,
    });
  }

  private async speaksTls(url: URL): Promise<boolean> {
    // Through a proxy the connection was the proxy's, not the registry's: nothing to learn here.
    if (this.httpProxy(url) !== undefined) return false;
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const network = this.endpoint.network;
    const raw = network === undefined ? undefined : await dialDirect(host, Number(url.port || 80), { network, timeoutMs: this.timeoutMs }).catch(() => null);
    if (raw === null) return false;
    return new Promise((resolve) => {
      const socket = tlsConnect({
        ...(raw !== undefined ? { socket: raw } : { host, port: Number(url.port || 80) }),
        rejectUnauthorized: false,
        // SNI must be a name, not an address.
        ...(/^[0-9.]+$|:/.test(host) ? {} : { servername: host }),
      });
      const done = (answer: boolean): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => done(false), this.timeoutMs);
      socket.once("secureConnect", () => done(true));
      socket.once("error", () => done(false));
    });
  }

  async close(): Promise<void> {
    if (this.agent) await this.agent.close();
  }
}

/**
 * A plain-http request as Go sends it through a proxy: to the proxy, with the absolute URL as
 * its target, the registry's Host, and the proxy URL's credentials as Proxy-Authorization.
 */
function viaProxy(proxy: ProxyRoute, url: URL, headers: Record<string, string>): { origin: string; path: string; headers: Record<string, string> } {
  const auth = proxyAuthorization(proxy.url);
  return {
    origin: proxy.url.origin,
    path: `${url.protocol}//${url.host}${url.pathname}${url.search}`,
    headers: { ...headers, host: url.host, ...(auth !== undefined ? { "proxy-authorization": auth } : {}) },
  };
}

/** A plain-http request through a proxy that could not even reach the proxy: the proxy's failure. */
function atProxy(proxy: ProxyRoute, err: unknown): unknown {
  const failure = classifyNetworkError(err);
  const connecting = failure.kind === "refused" || failure.kind === "dns" || failure.code === "UND_ERR_CONNECT_TIMEOUT" || failure.code === "ETIMEDOUT";
  if (!connecting) return err;
  return new ProxyError(proxy.label, failure.kind === "refused" ? "refused" : failure.kind === "dns" ? "dns" : "timeout", failure.reason);
}

/** A failure at the proxy is the proxy's, whatever the socket said: a network failure of the path, named after the proxy. */
function proxyFailure(err: unknown): NetworkFailure | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (e instanceof ProxyError) return { kind: "timeout", code: `PROXY_${e.failure.toUpperCase()}`, reason: e.message };
  }
  return undefined;
}

/** Drains a body we do not need so its connection can be reused. */
export async function discard(body: Readable): Promise<void> {
  const dumpable = body as Readable & { dump?: (opts?: { limit: number }) => Promise<void> };
  try {
    if (typeof dumpable.dump === "function") await dumpable.dump({ limit: 64 * 1024 });
    else body.resume();
  } catch {
    // Draining is best effort; the socket is simply not reused.
  }
}

/** Content-Length when it is a plain number; chunked and malformed answers have none. */
export function contentLength(answer: HttpAnswer): number | undefined {
  const raw = headerValue(answer.headers, "content-length")?.trim();
  return raw !== undefined && /^[0-9]{1,15}$/.test(raw) ? Number(raw) : undefined;
}
