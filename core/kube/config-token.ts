/**
 * A bearer token kept in a file that is rewritten while we run (projected service-account tokens
 * rotate about hourly): re-read at most once per TOKEN_FILE_CACHE_MS, and a failed re-read keeps
 * the last token that was read, so a rotation caught half-way does not fail a request.
 */

import { rememberSecret } from "../../core/log/index.js";
import { KubeConfigError, readFailure } from "./config-error.js";

const TOKEN_FILE_CACHE_MS = 60_000;

export interface FileTokenOptions {
  path: string;
  readFile: (path: string) => Promise<string>;
  now: () => number;
  /** The token as already read (when the caller checked the file), cached from now. */
  initial?: string;
  /** A token to fall back on while the file cannot be read (kubeconfig `token` next to `tokenFile`). */
  fallback?: string;
  /** What the file is, for messages: "in-cluster service account token file". */
  describe: string;
}

export function fileToken(opts: FileTokenOptions): () => Promise<string | undefined> {
  let cached: { value: string; at: number } | undefined =
    opts.initial !== undefined && opts.initial !== "" ? { value: opts.initial, at: opts.now() } : undefined;
  let reading: Promise<string> | undefined;
  return async () => {
    if (cached !== undefined && opts.now() - cached.at < TOKEN_FILE_CACHE_MS) return cached.value;
    reading ??= opts.readFile(opts.path).finally(() => {
      reading = undefined;
    });
    try {
      const value = (await reading).trim();
      if (value === "") throw Object.assign(new Error("the file is empty"), { code: "EMPTY" });
      rememberSecret(value);
      cached = { value, at: opts.now() };
      return value;
    } catch (err) {
      if (cached !== undefined) return cached.value;
      if (opts.fallback !== undefined && opts.fallback !== "") return opts.fallback;
      const why = (err as { code?: unknown } | null)?.code === "EMPTY" ? "it is empty" : readFailure(err);
      throw new KubeConfigError(`cannot read the ${opts.describe} ${opts.path}: ${why}`, { file: opts.path });
    }
  };
}
