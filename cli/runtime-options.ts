import { RuntimeClient } from "../agent/runtime/index.js";
import { logger } from "../core/log/index.js";
import { UsageError } from "./errors.js";

/** Flags shared by every verb that talks to the container runtime. */
export interface RuntimeFlags {
  criEndpoint?: string;
  timeout?: string;
}

/**
 * Seconds as people write them ("30", "1.5") → whole milliseconds, rounded up: HTTP clients refuse
 * a fraction of a millisecond, and rounding down could make a tiny timeout 0 (no timeout at all).
 */
export function parseTimeoutSeconds(value: string | undefined, flag = "--timeout"): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(n > 0 && n <= 3600)) {
    throw new UsageError(`${flag} "${value}" must be a number of seconds above 0 and at most 3600`);
  }
  return Math.ceil(n * 1000);
}

async function connectRuntime(flags: RuntimeFlags, env: NodeJS.ProcessEnv): Promise<RuntimeClient> {
  const timeoutMs = parseTimeoutSeconds(flags.timeout);
  return RuntimeClient.connect({
    endpoint: flags.criEndpoint,
    envEndpoint: env["CRI_ENDPOINT"],
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}

/** Runs `fn` with a connected client and always closes it, so the process can exit. */
export async function withRuntime<T>(flags: RuntimeFlags, env: NodeJS.ProcessEnv, fn: (client: RuntimeClient) => Promise<T>): Promise<T> {
  const client = await connectRuntime(flags, env);
  logger().debug("using CRI endpoint", { endpoint: client.endpoint.target, source: client.endpoint.source });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
