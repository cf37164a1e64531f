// The dashboard's static files (aggregator/web/), served from that folder and nothing outside it.

import { readFile, realpath, stat } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import type { Answer } from "./answer.js";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/** The dashboard folder's real path; undefined when it is missing (no dashboard, the API works). */
export async function dashboardRoot(webDir: string): Promise<string | undefined> {
  return realpath(webDir).catch(() => undefined);
}

/** A file of the dashboard folder, or undefined: nothing outside it is ever read. */
export async function staticFile(webRoot: string | undefined, path: string): Promise<Answer | undefined> {
  if (webRoot === undefined) return undefined;
  let rel: string;
  try {
    rel = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (rel === "/") rel = "/index.html";
  if (rel.includes("\0") || rel.includes("\\") || rel.split("/").some((part) => part === ".." || part.startsWith("."))) return undefined;
  const full = resolve(webRoot, `.${rel}`);
  if (!full.startsWith(webRoot + sep)) return undefined;
  // Symbolic links are followed only when they stay inside the folder.
  const real = await realpath(full).catch(() => undefined);
  if (real === undefined || !real.startsWith(webRoot + sep)) return undefined;
  const info = await stat(real).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  const body = await readFile(real);
  return { status: 200, type: CONTENT_TYPES[extname(real).toLowerCase()] ?? "application/octet-stream", body, headers: { "Cache-Control": "no-cache" } };
}
