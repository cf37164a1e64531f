import { createServer } from "node:net";

// Asks the kernel for a free loopback port. The port is released before the
// caller binds it, so a race is possible; callers retry when their bind fails.
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("freePort: no TCP address after listen"));
      });
    });
  });
}
