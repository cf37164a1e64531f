/**
 * The one connection pool to the API server, and the exchange every call goes through: TLS from
 * the KubeConnection, the credential on every request, timeouts, bounded bodies, and every
 * failure turned into a KubeApiError that names the request. undici is loaded on the first
 * request, so a CLI verb that never talks to the API does not pay for it.
 */

import type { Dispatcher, Pool } from "undici";
import { undiciConnector, undiciPool } from "../process/index.js";
import type { KubeConnection } from "./config.js";
import { KubeConfigError } from "./config-error.js";
import { describeNetworkError, KubeApiError, malformedError, parseRetryAfter, statusError } from "./errors.js";

export type Verb = "GET" | "POST" | "PATCH";
export type LogFn = (level: "debug" | "info" | "warn", message: string) => void;

export interface KubeRequest {
  verb: Verb;
  /** API path with its query, e.g. /api/v1/pods?limit=500 (the server's own path prefix is added). */
  path: string;
  body?: string;
  contentType?: string;
  signal?: AbortSignal;
  /** Overrides the request timeout: a watch waits for its body much longer than a GET. */
  bodyTimeoutMs?: number;
  /** Whether the whole exchange is bounded by the request timeout (not for watches). */
  deadline?: boolean;
}

export interface KubeResponse {
  status: number;
  headers: Dispatcher.ResponseData["headers"];
  body: Dispatcher.ResponseData["body"];
  /** The path as errors show it. */
  shownPath: string;
  verb: Verb;
  /** Aborts when the request timeout has passed (absent for watches). */
  deadline: AbortSignal | undefined;
}

const ERROR_BODY_LIMIT = 64 * 1024;
const POOL_CONNECTIONS = 16;
/** Tokens remembered for scrubbing: a rotated one (hourly, for service accounts) soon goes out of use. */
const REMEMBERED_SECRETS = 8;

/** A request path for messages: continue tokens are long and opaque, so they are elided. */
export function showPath(path: string): string {
  return path.replace(/([?&]continue=)[^&]*/, "$1…");
}

export class KubeHttp {
  private pool: Pool | undefined;
  private readonly closer = new AbortController();
  private readonly origin: string;
  private readonly prefix: string;
  private readonly secrets = new Set<string>();

  constructor(
    readonly conn: KubeConnection,
    readonly requestTimeoutMs: number,
    private readonly userAgent: string,
    readonly log: LogFn,
  ) {
    const url = new URL(conn.server);
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/+$/, "");
    if (conn.basic !== undefined) this.remember(conn.basic.password);
  }

  /** Aborts when the client is closed: watches and in-flight requests stop. */
  get closedSignal(): AbortSignal {
    return this.closer.signal;
  }

  private remember(secret: string | undefined): void {
    if (secret === undefined || secret.length < 4) return;
    // Most recent last; the oldest go, so months of token rotation do not pile up here.
    this.secrets.delete(secret);
    this.secrets.add(secret);
    while (this.secrets.size > REMEMBERED_SECRETS) {
      const oldest = this.secrets.values().next();
      if (oldest.done === true) break;
      this.secrets.delete(oldest.value);
    }
  }

  /** Removes every credential this client has sent from a text bound for an error or a log. */
  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join("[redacted]");
    return out.replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, "$1 [redacted]");
  }

  private dispatcher(): Pool {
    if (this.pool !== undefined) return this.pool;
    const [PoolClass, buildConnector] = [undiciPool(), undiciConnector()];
    const { conn } = this;
    const connector = buildConnector({
      timeout: this.requestTimeoutMs,
      ...(conn.ca !== undefined ? { ca: conn.ca } : {}),
      ...(conn.clientCert !== undefined && conn.clientKey !== undefined ? { cert: conn.clientCert, key: conn.clientKey } : {}),
      ...(conn.insecureSkipTlsVerify === true ? { rejectUnauthorized: false } : {}),
    });
    const serverName = conn.tlsServerName;
    // undici names the TLS server after the request's host; tls-server-name must win over it.
    const connect: typeof connector = serverName === undefined ? connector : (opts, cb) => connector({ ...opts, servername: serverName }, cb);
    this.pool = new PoolClass(this.origin, {
      connect,
      connections: POOL_CONNECTIONS,
      headersTimeout: this.requestTimeoutMs,
      bodyTimeout: this.requestTimeoutMs,
    });
    return this.pool;
  }

  private trustDescription(): string {
    if (this.conn.insecureSkipTlsVerify === true) return "none (insecure-skip-tls-verify)";
    return this.conn.ca !== undefined ? `the CA from ${this.conn.source}` : `the system's CAs (${this.conn.source} gives no CA)`;
  }

  private async authorization(verb: Verb, shown: string): Promise<string | undefined> {
    const { conn } = this;
    if (conn.token !== undefined) {
      let token: string | undefined;
      try {
        token = await conn.token();
      } catch (err) {
        const why = err instanceof KubeConfigError ? err.message : `cannot get the bearer token (${(err as Error)?.message ?? String(err)})`;
        throw new KubeApiError({ verb, path: shown, status: 0, reason: undefined, network: "credentials", detail: this.scrub(why), cause: err });
      }
      if (token !== undefined && token !== "") {
        this.remember(token);
        return `Bearer ${token}`;
      }
    }
    if (conn.basic !== undefined) return `Basic ${Buffer.from(`${conn.basic.username}:${conn.basic.password}`).toString("base64")}`;
    return undefined;
  }

  /** Sends one request; resolves with any HTTP status, rejects with KubeApiError (status 0) when no answer came. */
  async send(req: KubeRequest): Promise<KubeResponse> {
    const shownPath = showPath(req.path);
    if (this.closer.signal.aborted) {
      throw new KubeApiError({
        verb: req.verb,
        path: shownPath,
        status: 0,
        reason: undefined,
        network: "other",
        detail: "the Kubernetes API client is closed",
      });
    }
    const headers: Record<string, string> = { accept: "application/json", "user-agent": this.userAgent };
    const auth = await this.authorization(req.verb, shownPath);
    if (this.closer.signal.aborted) {
      throw new KubeApiError({
        verb: req.verb,
        path: shownPath,
        status: 0,
        reason: undefined,
        network: "other",
        detail: "the Kubernetes API client is closed",
      });
    }
    if (auth !== undefined) headers.authorization = auth;
    if (req.contentType !== undefined) headers["content-type"] = req.contentType;
    // close() destroys the pool, which ends every request in flight; the client's own close signal
    // is not joined in here: on Node 20, AbortSignal.any keeps a record on a long-lived signal per call.
    const deadline = req.deadline === false ? undefined : AbortSignal.timeout(this.requestTimeoutMs);
    const signals = [req.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length <= 1 ? signals[0] : AbortSignal.any(signals);
    try {
      const res = await this.dispatcher().request({
        origin: this.origin,
        path: `${this.prefix}${req.path}`,
        method: req.verb,
        headers,
        ...(signal !== undefined ? { signal } : {}),
        ...(req.body !== undefined ? { body: req.body } : {}),
        ...(req.bodyTimeoutMs !== undefined ? { bodyTimeout: req.bodyTimeoutMs } : {}),
      });
      return { status: res.statusCode, headers: res.headers, body: res.body, shownPath, verb: req.verb, deadline };
    } catch (err) {
      throw this.networkError(req.verb, shownPath, err, deadline);
    }
  }

  /** The KubeApiError for a failure without an HTTP answer (or a body cut short). */
  networkError(verb: Verb, shownPath: string, err: unknown, deadline?: AbortSignal): KubeApiError {
    if (err instanceof KubeApiError) return err;
    if (deadline?.aborted === true) {
      return new KubeApiError({
        verb,
        path: shownPath,
        status: 0,
        reason: undefined,
        network: "timeout",
        detail: `${this.conn.server}: no complete answer within ${this.requestTimeoutMs / 1000} s`,
        cause: err,
      });
    }
    if (this.closer.signal.aborted) {
      return new KubeApiError({
        verb,
        path: shownPath,
        status: 0,
        reason: undefined,
        network: "other",
        detail: "the Kubernetes API client is closed",
        cause: err,
      });
    }
    const { network, cause } = describeNetworkError(err, this.trustDescription());
    return new KubeApiError({
      verb,
      path: shownPath,
      status: 0,
      reason: undefined,
      network,
      detail: `cannot reach ${this.conn.server}: ${this.scrub(cause)}`,
      cause: err,
    });
  }

  /** The KubeApiError for a non-2xx answer, reading (a bounded start of) its body. */
  async statusError(res: KubeResponse): Promise<KubeApiError> {
    let text = "";
    try {
      text = (await readLimited(res.body, ERROR_BODY_LIMIT, true)).toString("utf8");
    } catch {
      // The status says what matters; a body cut short only loses detail.
    }
    const retryAfter = parseRetryAfter(headerValue(res.headers, "retry-after"), Date.now());
    return statusError(res.verb, res.shownPath, res.status, text, retryAfter, (s) => this.scrub(s));
  }

  /** Sends and parses a JSON answer of at most `limit` bytes; non-2xx rejects with the Status it carried. */
  async json(req: KubeRequest, limit: number): Promise<unknown> {
    const res = await this.send(req);
    if (res.status < 200 || res.status > 299) throw await this.statusError(res);
    let raw: Buffer;
    try {
      raw = await readLimited(res.body, limit, false);
    } catch (err) {
      if (err instanceof TooLarge) throw malformedError(res.verb, res.shownPath, res.status, `the response is larger than ${Math.round(limit / 1048576)} MiB`);
      throw this.networkError(res.verb, res.shownPath, err, res.deadline);
    }
    try {
      return JSON.parse(raw.toString("utf8"));
    } catch {
      const type = headerValue(res.headers, "content-type");
      throw malformedError(
        res.verb,
        res.shownPath,
        res.status,
        `the response is not JSON (content-type ${type ?? "absent"}): ${JSON.stringify(this.scrub(raw.subarray(0, 200).toString("utf8")))}`,
      );
    }
  }

  /** Sends and checks for 2xx; the answer's body is drained and dropped. */
  async expectOk(req: KubeRequest): Promise<void> {
    const res = await this.send(req);
    if (res.status < 200 || res.status > 299) throw await this.statusError(res);
    try {
      await res.body.dump({ limit: 4 << 20 });
    } catch {
      // The server said yes; what followed does not matter.
    }
  }

  async close(): Promise<void> {
    this.closer.abort();
    const pool = this.pool;
    this.pool = undefined;
    if (pool !== undefined) await pool.destroy().catch(() => undefined);
  }
}

class TooLarge extends Error {}

/** Reads a body up to `limit` bytes; beyond it, the body is destroyed and (unless `truncate`) TooLarge thrown. */
async function readLimited(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }, limit: number, truncate: boolean): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    parts.push(chunk);
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      if (truncate) return Buffer.concat(parts).subarray(0, limit);
      throw new TooLarge();
    }
  }
  return Buffer.concat(parts);
}

function headerValue(headers: KubeResponse["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
