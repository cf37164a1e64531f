/**
 * createKubeApi: the KubeApi the agent uses, over one connection pool to the API server. Each call
 * is one request (the pod watch is many: see watch.ts); each answer is decoded defensively, and
 * each failure is a KubeApiError naming the request.
 */

import { KubeApiError, type KubeConnection, KubeHttp, type KubeRequest, type LogFn, malformedError, showPath } from "../../core/kube/index.js";
import { VERSION } from "../../core/process/index.js";
import { DecodeError, decodeEvent, decodeList, decodeNode, decodeSecret, decodeServiceAccount, sortEventsOldestFirst } from "./decode.js";
import type { KubeApi, KubeEvent, KubeNode, NodeCondition, Secret, ServiceAccount } from "./types.js";
import { type WatchSettings, watchPods } from "./watch.js";

export interface KubeApiOptions {
  /** Every request but a watch: connect, headers and whole body. Default 30 000. */
  requestTimeoutMs?: number;
  /** Sent as the watch's timeoutSeconds; the client gives up on a silent stream a little after. Default 300. */
  watchTimeoutSeconds?: number;
  /** Reconnect back-off: doubles from baseMs up to maxMs, with jitter. Default 500 ms .. 30 s. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Pods per list page. Default 500. */
  listPageSize?: number;
  log?: LogFn;
  /** Default pullmedic/<version>. */
  userAgent?: string;
}

// A page of 500 pods (decoded, then dropped) or a Node with its image list stays well below this.
const RESPONSE_LIMIT = 64 * 1024 * 1024;
const SMALL_RESPONSE_LIMIT = 8 * 1024 * 1024;
const EVENT_PAGES = 20;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`createKubeApi: ${name} must be a positive number, got ${String(value)}`);
  return value;
}

/** A path segment, encoded; an empty name (or . and ..) would address another resource, so it is refused. */
function segment(verb: string, what: string, value: string): string {
  if (typeof value !== "string" || value === "" || value === "." || value === "..") {
    throw new KubeApiError({ verb, path: `(${what})`, status: 0, reason: "Invalid", detail: `${what} must be a non-empty name, got ${JSON.stringify(value)}` });
  }
  return encodeURIComponent(value);
}

function decoded<T>(req: KubeRequest, decode: (v: unknown) => T, value: unknown): T {
  try {
    return decode(value);
  } catch (err) {
    if (err instanceof DecodeError) throw malformedError(req.verb, showPath(req.path), 200, err.message);
    throw err;
  }
}

class KubeClient implements KubeApi {
  readonly server: string;
  private readonly http: KubeHttp;
  private readonly settings: WatchSettings;

  constructor(conn: KubeConnection, opts: KubeApiOptions) {
    this.server = conn.server;
    const log: LogFn = opts.log ?? (() => undefined);
    const requestTimeoutMs = positive("requestTimeoutMs", opts.requestTimeoutMs, 30_000);
    const watchTimeoutSeconds = Math.ceil(positive("watchTimeoutSeconds", opts.watchTimeoutSeconds, 300));
    const baseMs = positive("backoff.baseMs", opts.backoff?.baseMs, 500);
    const maxMs = Math.max(baseMs, positive("backoff.maxMs", opts.backoff?.maxMs, 30_000));
    this.http = new KubeHttp(conn, requestTimeoutMs, opts.userAgent ?? `pullmedic/${VERSION}`, log);
    this.settings = {
      watchTimeoutSeconds,
      // The server ends a watch after timeoutSeconds; a stream silent well past that is dead.
      watchIdleMs: watchTimeoutSeconds * 1000 + Math.max(10_000, watchTimeoutSeconds * 100),
      backoffBaseMs: baseMs,
      backoffMaxMs: maxMs,
      listPageSize: Math.floor(positive("listPageSize", opts.listPageSize, 500)),
      responseLimit: RESPONSE_LIMIT,
    };
  }

  watchPods(options: Parameters<KubeApi["watchPods"]>[0]): Promise<void> {
    return watchPods(this.http, this.settings, options);
  }

  async listPodEvents(namespace: string, podUid: string): Promise<KubeEvent[]> {
    const base = `/api/v1/namespaces/${segment("GET", "namespace", namespace)}/events`;
    if (typeof podUid !== "string" || podUid === "")
      throw new KubeApiError({ verb: "GET", path: base, status: 0, reason: "Invalid", detail: "the pod uid is empty" });
    const events: KubeEvent[] = [];
    let token: string | undefined;
    // Events of one pod are few (kubelet counts repeats); the page cap only guards against a server that never ends.
    for (let page = 0; page < EVENT_PAGES; page++) {
      const query = new URLSearchParams({ fieldSelector: `involvedObject.uid=${podUid}`, limit: String(this.settings.listPageSize) });
      if (token !== undefined) query.set("continue", token);
      const req: KubeRequest = { verb: "GET", path: `${base}?${query.toString()}` };
      const list = decoded(req, (v) => decodeList(v, "EventList", decodeEvent), await this.http.json(req, RESPONSE_LIMIT));
      for (const skipped of list.skipped) this.http.log("debug", `${req.verb} ${showPath(req.path)}: skipped an event: ${skipped.message}`);
      events.push(...list.items);
      token = list.continueToken;
      if (token === undefined) break;
    }
    return sortEventsOldestFirst(events);
  }

  async getSecret(namespace: string, name: string): Promise<Secret> {
    const req: KubeRequest = {
      verb: "GET",
      path: `/api/v1/namespaces/${segment("GET", "namespace", namespace)}/secrets/${segment("GET", "secret name", name)}`,
    };
    return decoded(req, decodeSecret, await this.http.json(req, SMALL_RESPONSE_LIMIT));
  }

  async getServiceAccount(namespace: string, name: string): Promise<ServiceAccount> {
    const req: KubeRequest = {
      verb: "GET",
      path: `/api/v1/namespaces/${segment("GET", "namespace", namespace)}/serviceaccounts/${segment("GET", "service account name", name)}`,
    };
    return decoded(req, decodeServiceAccount, await this.http.json(req, SMALL_RESPONSE_LIMIT));
  }

  async createEvent(namespace: string, event: KubeEvent): Promise<KubeEvent> {
    const ns = segment("POST", "namespace", namespace);
    const body: KubeEvent = { ...event, apiVersion: event.apiVersion ?? "v1", kind: event.kind ?? "Event", metadata: { ...event.metadata, namespace } };
    const req: KubeRequest = { verb: "POST", path: `/api/v1/namespaces/${ns}/events`, body: JSON.stringify(body), contentType: "application/json" };
    return decoded(req, decodeEvent, await this.http.json(req, SMALL_RESPONSE_LIMIT));
  }

  async patchEvent(namespace: string, name: string, patch: Partial<KubeEvent>): Promise<KubeEvent> {
    const req: KubeRequest = {
      verb: "PATCH",
      path: `/api/v1/namespaces/${segment("PATCH", "namespace", namespace)}/events/${segment("PATCH", "event name", name)}`,
      body: JSON.stringify(patch),
      contentType: "application/merge-patch+json",
    };
    return decoded(req, decodeEvent, await this.http.json(req, SMALL_RESPONSE_LIMIT));
  }

  async getNode(name: string): Promise<KubeNode> {
    const req: KubeRequest = { verb: "GET", path: `/api/v1/nodes/${segment("GET", "node name", name)}` };
    return decoded(req, decodeNode, await this.http.json(req, RESPONSE_LIMIT));
  }

  async patchNodeConditions(name: string, conditions: NodeCondition[]): Promise<void> {
    // Strategic merge: the server merges status.conditions by `type`, so other owners' conditions stay.
    await this.http.expectOk({
      verb: "PATCH",
      path: `/api/v1/nodes/${segment("PATCH", "node name", name)}/status`,
      body: JSON.stringify({ status: { conditions } }),
      contentType: "application/strategic-merge-patch+json",
    });
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

/** A KubeApi for one API server. Nothing is loaded or connected until the first call. */
export function createKubeApi(conn: KubeConnection, opts: KubeApiOptions = {}): KubeApi {
  return new KubeClient(conn, opts);
}
