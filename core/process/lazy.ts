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
