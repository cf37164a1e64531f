// The proxy subresources of the stand-in, as the real API server serves them:
//   /api/v1/namespaces/NS/pods/NAME[:PORT]/proxy/PATH      → http://<pod IP>:PORT/PATH
//   /api/v1/namespaces/NS/services/NAME[:PORT]/proxy/PATH  → the Service's endpoint for PORT
// with the caller's query and body, the Authorization header removed (the API server keeps the
// caller's credentials to itself), and the backend's status, headers and body passed back. A
// backend that cannot be reached is the API server's 503. RBAC names them pods/proxy and
// services/proxy, with verb get for GET and create for POST.

import { type IncomingMessage, request, type ServerResponse } from "node:http";

/** What the proxy reads of a pod: its IP (the agent's decoded Pod type leaves it out). */
interface ProxiedPod {
  status?: { podIP?: string };
}

export interface ProxyRoute {
  resource: "pods" | "services";
  namespace: string;
  name: string;
  port: string | undefined;
  rest: string;
}

export function parseProxyPath(pathname: string): ProxyRoute | undefined {
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/(pods|services)\/([^/]+)\/proxy(\/.*)?$/.exec(pathname);
  if (!m) return undefined;
  const [name, port] = decodeURIComponent(m[3] ?? "").split(":");
  return { resource: m[2] as "pods" | "services", namespace: decodeURIComponent(m[1] ?? ""), name: name ?? "", port, rest: m[4] ?? "/" };
}

/** Services the stand-in proxies to: namespace/name → port name or number → base URL. */
export class ServiceEndpoints {
  private readonly services = new Map<string, Record<string, string>>();

  put(namespace: string, name: string, ports: Record<string, string>): void {
    this.services.set(`${namespace}/${name}`, { ...ports });
  }

  target(namespace: string, name: string, port: string | undefined): string | undefined {
    const ports = this.services.get(`${namespace}/${name}`);
    if (!ports) return undefined;
    return port === undefined ? Object.values(ports)[0] : ports[port];
  }
}

export interface ProxyAnswer {
  /** "pod" or "service" not found, as the API server's 404 names it. */
  notFound?: string;
  /** The backend could not be reached: the API server's 503 message. */
  unreachable?: string;
}

/** The backend URL of a proxy route, or why there is none. */
export function proxyTarget(route: ProxyRoute, pod: ProxiedPod | undefined, services: ServiceEndpoints): { url: string } | ProxyAnswer {
  if (route.resource === "pods") {
    if (!pod) return { notFound: "pods" };
    const ip = pod.status?.podIP;
    if (!ip) return { unreachable: `address not allowed: pod ${route.name} has no IP yet` };
    return { url: `http://${ip}:${route.port ?? "80"}` };
  }
  const url = services.target(route.namespace, route.name, route.port);
  return url === undefined ? { notFound: "services" } : { url };
}

/** Forwards the request to `base` + the route's path and query; resolves once the answer is passed back. */
export function forward(req: IncomingMessage, res: ServerResponse, base: string, route: ProxyRoute, search: string, body: Buffer): Promise<void> {
  const target = new URL(route.rest + search, base);
  const headers = { ...req.headers, host: target.host };
  delete headers.authorization;
  return new Promise((resolve) => {
    const out = request(target, { method: req.method, headers }, (backend) => {
      res.writeHead(backend.statusCode ?? 502, backend.headers);
      backend.pipe(res);
      backend.on("end", () => resolve());
      backend.on("error", () => resolve());
    });
    out.on("error", (err) => {
      const message = `error trying to reach service: dial tcp ${target.host}: ${(err as NodeJS.ErrnoException).code === "ECONNREFUSED" ? "connect: connection refused" : err.message}`;
      const status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: "ServiceUnavailable", code: 503 };
      if (!res.headersSent) res.writeHead(503, { "Content-Type": "application/json" });
      res.end(`${JSON.stringify(status)}\n`);
      resolve();
    });
    out.end(body);
  });
}
