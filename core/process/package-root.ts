import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The folder holding package.json and proto/: two levels above a source file, three above its
 * build in dist/. Found by walking up so both layouts work.
 */
export function findPackageRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "proto"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find pullmedic's package root above ${fileURLToPath(from)}`);
    dir = parent;
  }
}
