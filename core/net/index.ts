// Network plumbing both services share: the bounded HTTP server and host:port handling.

export * from "./host-port.js";
export * from "./http-server.js";
export { isLoopbackAddress, isLoopbackListen } from "./loopback.js";
