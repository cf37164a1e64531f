// Network plumbing both services share: the bounded HTTP server and host:port handling.
export * from "./http-server.js";
export * from "./host-port.js";
