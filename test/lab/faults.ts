// Stand-ins for what cannot run in the lab: Docker Hub's quota headers and 429s, a registry
// behind a failing load balancer, one that stalls, one that sends blobs slowly. Each answers
// with the status lines, headers and JSON error bodies the real thing sends, and otherwise
// serves the given images as a minimal read-only registry would.

import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { type BuiltImage, type BuiltIndex, buildImage, MEDIA_TYPES } from "./image.js";

/**
 * What both Docker Hub stand-ins share: the token endpoint, and Hub's quota-check repository
 * `ratelimitpreview/test:latest`, served without the test pushing an image.
 */
export interface HubOptions {
  /**
   * Token requests with HTTP Basic must carry exactly this account, or get auth.docker.io's 401
   * `{"details":"incorrect username or password"}`. Anonymous token requests still succeed.
   */
  account?: { username: string; password: string };
  /** The token endpoint answers every request with this status (e.g. 503) instead of a token. */
  tokenStatus?: number;
}

export type FaultMode =
  /**
   * Docker Hub: a Bearer challenge from /v2/, tokens from /token, and manifests that carry the
   * ratelimit-* headers. Each manifest GET uses one pull (HEAD does not, as on Hub); at zero,
   * a manifest GET gets 429 TOOMANYREQUESTS and a HEAD a bare 429, unless `headAtZero` is 200:
   * Hub's documented quota check, a HEAD, keeps answering 200 with `ratelimit-remaining: 0`.
   */
  | ({ kind: "rate-limited"; limit: number; remaining: number; windowSeconds: number; source: string; headAtZero?: 200 | 429 } & HubOptions)
  /**
   * Docker Hub whose manifest responses carry exactly `headers` in place of the counted quota
   * headers: `{}` for an unlimited source or paid account, empty values, or malformed ones
   * (`ratelimit-limit: lots`, `;w=`, negative counts, repeated headers as arrays).
   */
  | ({ kind: "hub-headers"; headers: Record<string, string | string[]> } & HubOptions)
  /** Every /v2/ request gets this status (default 503): 502/503 as an HTML page from a load balancer, 500 as the registry's JSON error. */
  | { kind: "unavailable"; status?: 500 | 502 | 503 }
  /** Accepts connections, reads requests, never answers. */
  | { kind: "stall" }
  /** A working registry whose blob bodies arrive at this rate. */
  | { kind: "trickle"; bytesPerSecond: number }
  /** A working read-only registry without auth. */
  | { kind: "serve" };

export interface FaultImage {
  repo: string; // "library/nginx"
  tag: string;
  image: BuiltImage | BuiltIndex;
}

export interface FaultServer {
  url: string; // http://127.0.0.1:PORT
  host: string; // 127.0.0.1:PORT
  /**
   * Requests in arrival order (the most recent MAX_LOGGED_REQUESTS); path includes the query.
   * `authorization` is there only when the request sent that header, so tests can see which
   * requests carried a credential.
   */
  requests: { method: string; path: string; authorization?: string }[];
  stop(): Promise<void>;
}

/** The service Docker Hub names in its challenges; clients send it back to the token endpoint. */
export const HUB_SERVICE = "registry.docker.io";
export const TOO_MANY_REQUESTS_MESSAGE = "You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit";
/** Docker Hub's documented quota check reads the headers of this repository's manifest. */
export const QUOTA_CHECK_REPO = "ratelimitpreview/test";
const QUOTA_CHECK_TAG = "latest";
/** auth.docker.io's answer to wrong Basic credentials. */
const BAD_CREDENTIALS_BODY = JSON.stringify({ details: "incorrect username or password" });
const MAX_LOGGED_REQUESTS = 10_000;
const MAX_TOKENS = 1_000;
const TOKEN_LIFETIME_SECONDS = 300;

// The distribution grammar (distribution-spec "Pulling manifests").
const REPO_NAME = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

interface StoredManifest {
  mediaType: string;
  body: Buffer;
  digest: string;
}

interface Repository {
  manifests: Map<string, StoredManifest>; // by tag and by digest
  blobs: Map<string, Buffer>; // by digest
}

export async function startFaultServer(mode: FaultMode, images: FaultImage[] = []): Promise<FaultServer> {
  checkMode(mode);
  const hubMode = mode.kind === "rate-limited" || mode.kind === "hub-headers";
  // Hub always has the quota-check image; tests of the check should not have to push one.
  const withProbe = hubMode && !images.some((i) => i.repo === QUOTA_CHECK_REPO && i.tag === QUOTA_CHECK_TAG);
  const repos = storeImages(withProbe ? [...images, { repo: QUOTA_CHECK_REPO, tag: QUOTA_CHECK_TAG, image: quotaProbeImage() }] : images);
  const requests: { method: string; path: string; authorization?: string }[] = [];
  const sockets = new Set<Socket>();
  const quota = mode.kind === "rate-limited" ? { remaining: mode.remaining } : undefined;
  const tokens = new Set<string>();
  let base = "";

  // No request or header timeouts: a stalled exchange must stay stalled until the test ends it.
  const server = createServer({ requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 5_000 }, (req, res) => {
    const authorization = req.headers.authorization;
    requests.push({ method: req.method ?? "", path: req.url ?? "", ...(authorization === undefined ? {} : { authorization }) });
    if (requests.length > MAX_LOGGED_REQUESTS) requests.shift();
    // Reading the body lets a client finish sending; nothing here needs its content.
    req.resume();
    const path = new URL(req.url ?? "/", "http://fault.invalid").pathname;
    switch (mode.kind) {
      case "stall":
        return;
      case "unavailable":
        if (path === "/v2" || path.startsWith("/v2/")) return unavailable(res, mode.status ?? 503);
        return sendText(res, 404, "404 page not found\n");
      case "serve":
        return registry(req, res, path, repos, {});
      case "trickle":
        return registry(req, res, path, repos, { bytesPerSecond: mode.bytesPerSecond });
      case "rate-limited":
      case "hub-headers":
        return hub(req, res, path, { mode, quota: quota ?? { remaining: 0 }, tokens, repos, realm: `${base}/token` });
    }
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const address = server.address();
      if (address !== null && typeof address === "object") resolve(address.port);
      else reject(new Error("fault server: no TCP address after listen"));
    });
  });
  const host = `127.0.0.1:${port}`;
  base = `http://${host}`;

  let stopping: Promise<void> | undefined;
  return {
    url: base,
    host,
    requests,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Stalled and trickling exchanges hold their sockets open; close() alone would wait for them.
        for (const socket of sockets) socket.destroy();
      })),
  };
}

function checkMode(mode: FaultMode): void {
  const whole = (name: string, value: number, min: number): void => {
    if (!(Number.isInteger(value) && value >= min)) throw new RangeError(`fault server ${mode.kind}: ${name} must be a whole number ≥ ${min}, got ${value}`);
  };
  if (mode.kind === "rate-limited") {
    whole("limit", mode.limit, 0);
    whole("remaining", mode.remaining, 0);
    whole("windowSeconds", mode.windowSeconds, 1);
    if (mode.source === "" || /[\r\n]/.test(mode.source)) throw new RangeError("fault server rate-limited: source must be a non-empty single-line string");
  }
  if (mode.kind === "hub-headers") {
    for (const [name, value] of Object.entries(mode.headers)) {
      if ([value].flat().some((v) => /[\r\n]/.test(v))) throw new RangeError(`fault server hub-headers: header ${name} must be single-line`);
    }
  }
  if ((mode.kind === "rate-limited" || mode.kind === "hub-headers") && mode.tokenStatus !== undefined) {
    if (!(Number.isInteger(mode.tokenStatus) && mode.tokenStatus >= 300 && mode.tokenStatus <= 599)) {
      throw new RangeError(`fault server ${mode.kind}: tokenStatus must be an HTTP error status (300-599), got ${mode.tokenStatus}`);
    }
  }
  if (mode.kind === "trickle" && !(Number.isFinite(mode.bytesPerSecond) && mode.bytesPerSecond > 0)) {
    throw new RangeError(`fault server trickle: bytesPerSecond must be positive, got ${mode.bytesPerSecond}`);
  }
}

function storeImages(images: FaultImage[]): Map<string, Repository> {
  const repos = new Map<string, Repository>();
  const putImage = (repo: Repository, image: BuiltImage): void => {
    repo.manifests.set(image.manifestDigest, { mediaType: MEDIA_TYPES.manifest, body: image.manifest, digest: image.manifestDigest });
    repo.blobs.set(image.configDigest, image.config);
    for (const layer of image.layers) repo.blobs.set(layer.digest, layer.data);
  };
  for (const { repo: name, tag, image } of images) {
    if (!REPO_NAME.test(name)) throw new RangeError(`fault server: "${name}" is not a valid repository name`);
    if (!TAG.test(tag)) throw new RangeError(`fault server: "${tag}" is not a valid tag`);
    let repo = repos.get(name);
    if (!repo) {
      repo = { manifests: new Map(), blobs: new Map() };
      repos.set(name, repo);
    }
    if (image.kind === "image") {
      putImage(repo, image);
      repo.manifests.set(tag, { mediaType: MEDIA_TYPES.manifest, body: image.manifest, digest: image.manifestDigest });
    } else {
      for (const child of image.images) putImage(repo, child);
      const index = { mediaType: MEDIA_TYPES.index, body: image.index, digest: image.digest };
      repo.manifests.set(image.digest, index);
      repo.manifests.set(tag, index);
    }
  }
  return repos;
}

// ---- responses -------------------------------------------------------------------------

function registryError(code: string, message: string, detail: unknown = null): string {
  return JSON.stringify({ errors: [{ code, message, detail }] });
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(body)),
    "Docker-Distribution-Api-Version": "registry/2.0",
    ...headers,
  });
  // HTTP HEAD answers carry the headers of the error and no body, so a client sees only the status.
  res.end(req.method === "HEAD" ? undefined : body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)) });
  res.end(text);
}

function unavailable(res: ServerResponse, status: 500 | 502 | 503): void {
  if (status === 500) {
    // The registry itself failing: distribution's catch-all error code.
    const body = registryError("UNKNOWN", "unknown error");
    res.writeHead(500, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": String(Buffer.byteLength(body)),
      "Docker-Distribution-Api-Version": "registry/2.0",
    });
    res.end(body);
    return;
  }
  // A proxy in front of a dead registry answers with its own HTML page and no registry headers.
  const title = status === 502 ? "502 Bad Gateway" : "503 Service Unavailable";
  const why = status === 502 ? "The upstream registry sent an invalid response." : "No upstream registry is available to serve this request.";
  const body = `<!DOCTYPE html>\n<html>\n<head><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n<p>${why}</p>\n</body>\n</html>\n`;
  res.writeHead(status, { "Content-Type": "text/html", "Content-Length": String(Buffer.byteLength(body)), Connection: "close" });
  res.end(body);
}

type Route =
  | { kind: "base" }
  | { kind: "manifest"; name: string; reference: string }
  | { kind: "blob"; name: string; digest: string }
  | { kind: "tags"; name: string }
  | { kind: "unknown" };

function route(path: string): Route {
  if (path === "/v2" || path === "/v2/") return { kind: "base" };
  const item = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
  if (item?.[1] && item[2] && item[3]) {
    return item[2] === "manifests" ? { kind: "manifest", name: item[1], reference: item[3] } : { kind: "blob", name: item[1], digest: item[3] };
  }
  const tags = /^\/v2\/(.+)\/tags\/list$/.exec(path);
  if (tags?.[1]) return { kind: "tags", name: tags[1] };
  return { kind: "unknown" };
}

/** Before a found manifest is served: answer instead (Hub's quota), or add headers to it. */
type ManifestGate = () => { answered: true } | { answered: false; headers: Record<string, string | string[]> };

/** What a read-only registry answers. */
function registry(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  repos: Map<string, Repository>,
  opts: { bytesPerSecond?: number; beforeManifest?: ManifestGate },
): void {
  const r = route(path);
  if (r.kind === "unknown") return sendJson(req, res, 404, registryError("NOT_FOUND", "no such endpoint"));
  if (req.method !== "GET" && req.method !== "HEAD") {
    return sendJson(req, res, 405, registryError("UNSUPPORTED", "this registry is read-only"), { Allow: "GET, HEAD" });
  }
  if (r.kind === "base") return sendJson(req, res, 200, "{}");

  const repo = repos.get(r.name);
  if (!repo) return sendJson(req, res, 404, registryError("NAME_UNKNOWN", "repository name not known to registry", { name: r.name }));

  if (r.kind === "tags") {
    const tags = [...repo.manifests.keys()].filter((key) => !key.includes(":")).sort();
    return sendJson(req, res, 200, JSON.stringify({ name: r.name, tags }));
  }

  if (r.kind === "manifest") {
    const manifest = repo.manifests.get(r.reference);
    if (!manifest) return sendJson(req, res, 404, registryError("MANIFEST_UNKNOWN", "manifest unknown", { tag: r.reference }));
    const gate = opts.beforeManifest?.() ?? { answered: false, headers: {} };
    if (gate.answered) return;
    res.writeHead(200, {
      "Content-Type": manifest.mediaType,
      "Content-Length": String(manifest.body.length),
      "Docker-Content-Digest": manifest.digest,
      "Docker-Distribution-Api-Version": "registry/2.0",
      Etag: `"${manifest.digest}"`,
      ...gate.headers,
    });
    res.end(req.method === "HEAD" ? undefined : manifest.body);
    return;
  }

  const blob = repo.blobs.get(r.digest);
  if (!blob) return sendJson(req, res, 404, registryError("BLOB_UNKNOWN", "blob unknown to registry", { digest: r.digest }));
  res.writeHead(200, {
    "Content-Type": "application/octet-stream",
    "Content-Length": String(blob.length),
    "Docker-Content-Digest": r.digest,
    "Docker-Distribution-Api-Version": "registry/2.0",
    Etag: `"${r.digest}"`,
  });
  if (req.method === "HEAD") return void res.end();
  if (opts.bytesPerSecond === undefined) return void res.end(blob);
  trickle(res, blob, opts.bytesPerSecond);
}

// Sends about a tenth of a second's worth at a time; stops early when the client goes away.
function trickle(res: ServerResponse, data: Buffer, bytesPerSecond: number): void {
  const chunk = Math.max(1, Math.ceil(bytesPerSecond / 10));
  const intervalMs = (1000 * chunk) / bytesPerSecond;
  let offset = 0;
  let timer: NodeJS.Timeout | undefined;
  res.on("close", () => clearTimeout(timer));
  const tick = (): void => {
    if (res.destroyed) return;
    const end = Math.min(offset + chunk, data.length);
    res.write(data.subarray(offset, end));
    offset = end;
    if (offset >= data.length) res.end();
    else timer = setTimeout(tick, intervalMs);
  };
  tick();
}

function hub(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  ctx: {
    mode: Extract<FaultMode, { kind: "rate-limited" | "hub-headers" }>;
    quota: { remaining: number };
    tokens: Set<string>;
    repos: Map<string, Repository>;
    realm: string;
  },
): void {
  if (path === "/token") {
    if (req.method !== "GET") return sendJson(req, res, 405, registryError("UNSUPPORTED", "the token endpoint takes GET"));
    if (ctx.mode.tokenStatus !== undefined) return sendJson(req, res, ctx.mode.tokenStatus, JSON.stringify({ details: "token service unavailable" }));
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const account = ctx.mode.account;
    if (basic !== undefined && account !== undefined && Buffer.from(basic, "base64").toString("utf8") !== `${account.username}:${account.password}`) {
      return sendJson(req, res, 401, BAD_CREDENTIALS_BODY);
    }
    // Tokens are opaque to clients; only this server reads them back.
    const token = `lab-${randomBytes(16).toString("hex")}`;
    ctx.tokens.add(token);
    if (ctx.tokens.size > MAX_TOKENS) {
      const oldest = ctx.tokens.values().next();
      if (!oldest.done) ctx.tokens.delete(oldest.value);
    }
    const body = JSON.stringify({ token, access_token: token, expires_in: TOKEN_LIFETIME_SECONDS, issued_at: new Date().toISOString() });
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)) });
    res.end(body);
    return;
  }

  const r = route(path);
  const authorization = req.headers.authorization ?? "";
  const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  if (r.kind !== "unknown" && (token === undefined || !ctx.tokens.has(token))) {
    const name = r.kind === "base" ? undefined : r.name;
    const scope = name === undefined ? "" : `,scope="repository:${name}:pull"`;
    const detail = name === undefined ? null : [{ Type: "repository", Class: "", Name: name, Action: "pull" }];
    return sendJson(req, res, 401, registryError("UNAUTHORIZED", "authentication required", detail), {
      "Www-Authenticate": `Bearer realm="${ctx.realm}",service="${HUB_SERVICE}"${scope}`,
    });
  }

  const mode = ctx.mode;
  if (mode.kind === "hub-headers") {
    registry(req, res, path, ctx.repos, { beforeManifest: () => ({ answered: false, headers: mode.headers }) });
    return;
  }
  const { limit, windowSeconds, source } = mode;
  const quotaHeaders = (): Record<string, string> => ({
    "Ratelimit-Limit": `${limit};w=${windowSeconds}`,
    "Ratelimit-Remaining": `${ctx.quota.remaining};w=${windowSeconds}`,
    "Docker-Ratelimit-Source": source,
  });
  registry(req, res, path, ctx.repos, {
    beforeManifest: () => {
      if (ctx.quota.remaining <= 0 && !(req.method === "HEAD" && mode.headAtZero === 200)) {
        sendJson(req, res, 429, registryError("TOOMANYREQUESTS", TOO_MANY_REQUESTS_MESSAGE), quotaHeaders());
        return { answered: true };
      }
      // Hub counts manifest GETs; HEAD is how clients check the quota without using it.
      if (req.method === "GET") ctx.quota.remaining -= 1;
      return { answered: false, headers: quotaHeaders() };
    },
  });
}

/** A small single-platform image standing in for Hub's `ratelimitpreview/test:latest`. */
let probeImage: BuiltImage | undefined;
function quotaProbeImage(): BuiltImage {
  probeImage ??= buildImage({ files: { "README.txt": "Docker Hub quota check image (lab stand-in)\n" }, label: "ratelimitpreview" });
  return probeImage;
}
