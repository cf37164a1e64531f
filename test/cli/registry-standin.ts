// A small registry of ours for CLI tests that need no lab: healthy for one repository, and for
// another one it refuses every request with a body that repeats what it was sent (the
// Authorization header and the decoded password), with terminal control characters in it, the
// way a careless registry or proxy might.

import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { buildImage } from "../lab/image.js";

export interface RegistryStandIn {
  /** 127.0.0.1:PORT */
  host: string;
  /** Every Authorization header the registry was sent. */
  authorizations: string[];
  stop(): Promise<void>;
}

/** The token /token issues: a registry repeats it in its error for /v2/tokenecho/. */
export const ISSUED_TOKEN = "issued-token-5d1c9e8a7b";

/** Characters a terminal acts on: ESC (a colour and a title change), BEL and CR. */
const TERMINAL_CONTROLS = "\u001b[31m\u001b]0;pwned\u0007\rOVERWRITTEN";

export async function startRegistryStandIn(): Promise<RegistryStandIn> {
  const image = buildImage({ label: "standin" });
  const blobs = new Map([[image.configDigest, image.config], ...image.layers.map((l) => [l.digest, l.data] as const)]);
  const authorizations: string[] = [];
  const sockets = new Set<Socket>();
  let host = "";
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const auth = req.headers.authorization;
    if (auth !== undefined) authorizations.push(auth);
    const send = (status: number, type: string, body: Buffer, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { "Content-Type": type, "Content-Length": body.length, ...headers });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (path.startsWith("/v2/echo/")) {
      if (auth === undefined) {
        return send(401, "application/json", Buffer.from('{"errors":[{"code":"UNAUTHORIZED","message":"login first"}]}'), {
          "WWW-Authenticate": 'Basic realm="standin"',
        });
      }
      const decoded = auth.startsWith("Basic ") ? Buffer.from(auth.slice(6), "base64").toString("utf8") : auth;
      const message = `denied ${TERMINAL_CONTROLS}: you sent ${auth} (that is ${decoded}, password ${decoded.split(":")[1] ?? ""})`;
      return send(403, "application/json", Buffer.from(JSON.stringify({ errors: [{ code: "DENIED", message }] })));
    }
    if (path === "/token") return send(200, "application/json", Buffer.from(JSON.stringify({ token: ISSUED_TOKEN, expires_in: 300 })));
    if (path.startsWith("/v2/tokenecho/")) {
      if (auth === undefined || !auth.startsWith("Bearer ")) {
        return send(401, "application/json", Buffer.from('{"errors":[{"code":"UNAUTHORIZED","message":"token first"}]}'), {
          "WWW-Authenticate": `Bearer realm="http://${host}/token",service="standin",scope="repository:tokenecho/app:pull"`,
        });
      }
      const message = `denied: ${auth} is not allowed; token ${auth.slice(7)} lacks the scope`;
      return send(403, "application/json", Buffer.from(JSON.stringify({ errors: [{ code: "DENIED", message }] })));
    }
    if (path === "/v2/") return send(200, "application/json", Buffer.from("{}"));
    if (path.startsWith("/v2/shop/app/manifests/")) {
      return send(200, "application/vnd.oci.image.manifest.v1+json", image.manifest, { "Docker-Content-Digest": image.manifestDigest });
    }
    const blob = /^\/v2\/shop\/app\/blobs\/(.+)$/.exec(path);
    const data = blob?.[1] === undefined ? undefined : blobs.get(blob[1]);
    if (data !== undefined) return send(200, "application/octet-stream", data);
    send(404, "application/json", Buffer.from(JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message: `${TERMINAL_CONTROLS} not here` }] })));
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  host = `127.0.0.1:${address.port}`;
  return {
    host,
    authorizations,
    stop: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, "close");
    },
  };
}
