import { readFile } from "node:fs/promises";
import { UsageError } from "./errors.js";

/** The file a flag names; one that cannot be read is bad usage (exit 2), named by flag and path. */
export async function readFlagFile(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${flag} ${path}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
}
