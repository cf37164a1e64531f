import { type FaultMode, type FaultServer, startFaultServer } from "../lab/faults.js";

/** Runs `fn` against a Docker-Hub stand-in in the given mode, and always stops it. */
export async function withHub<T>(mode: FaultMode, fn: (server: FaultServer) => Promise<T>): Promise<T> {
  const server = await startFaultServer(mode);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}
