// Network plumbing both services share: the bounded HTTP server and host:port handling.

export type { HostPort } from "./host-port.js";
export { hostAndPort, joinHostPort, splitHostPort } from "./host-port.js";
export type { HttpServer, Route } from "./http-server.js";
export { parseListen, serveHttp, startHttpServer } from "./http-server.js";
export { isLoopbackAddress, isLoopbackListen } from "./loopback.js";
