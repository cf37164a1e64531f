import { DOCKER_CONFIG_MAX_BYTES, SECRET_MANIFEST_MAX_BYTES } from "../agent/registry/index.js";
import { readTextFile } from "../core/fs/index.js";
import { UsageError } from "./errors.js";

/** How large the file each flag names may be; a file past it is refused before it is read. */
const MAX_BYTES_BY_FLAG: Readonly<Record<string, number>> = {
  "--docker-config": DOCKER_CONFIG_MAX_BYTES,
  "--secret": SECRET_MANIFEST_MAX_BYTES,
};
/** Any other file a flag names (a token file, a list): a megabyte is already a mistake. */
const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * The file a flag names, read with core/fs: a regular file under its size cap, so a FIFO, a device
 * or a hung mount never hangs the command. One that cannot be read is bad usage (exit 2), named by
 * flag and path.
 */
export async function readFlagFile(flag: string, path: string): Promise<string> {
  try {
    return await readTextFile(path, { maxBytes: MAX_BYTES_BY_FLAG[flag] ?? DEFAULT_MAX_BYTES });
  } catch (err) {
    throw new UsageError(`cannot read ${flag} ${(err as Error).message}`);
  }
}
