import { createRequire } from "node:module";

const requireHere = createRequire(import.meta.url);

/**
 * A dependency loaded on first use. An agent runs on every node and a CLI verb should start in
 * a blink, so modules that cost tens of milliseconds to load (winston, yaml, a TOML parser) are
 * only loaded by the code path that needs them.
 */
export function lazyModule<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(id) as T);
}

/**
 * undici's dispatcher classes, required from their own files rather than through undici's index.
 * The index also loads undici's fetch, WebSocket and cookies, and those touch a Node global that
 * loads Node's own bundled copy of undici: two HTTP clients compiled for one request. undici 7
 * declares no "exports" map, so its files are reachable by path; an upgrade that moves them fails
 * every registry and Kubernetes API test at once. Measured on Node 26 with the compile cache: the
 * index takes about 27 MB of memory to load, these three files about 16 MB (CPU in test/bench).
 */
export const undiciAgent = undiciDispatcher<typeof import("undici").Agent>("lib/dispatcher/agent.js");
export const undiciPool = undiciDispatcher<typeof import("undici").Pool>("lib/dispatcher/pool.js");
export const undiciConnector = lazyModule<typeof import("undici").buildConnector>("undici/lib/core/connect.js");

/** A dispatcher class, once its request(), stream()… are on every dispatcher: undici's index adds them, so this does. */
function undiciDispatcher<T>(path: string): () => T {
  const load = lazyModule<T>(`undici/${path}`);
  return () => {
    const { prototype } = requireHere("undici/lib/dispatcher/dispatcher.js") as { prototype: object };
    if (!Object.hasOwn(prototype, "request")) Object.assign(prototype, requireHere("undici/lib/api/index.js"));
    return load();
  };
}
