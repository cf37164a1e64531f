// The one way pullmedic reads a file it was pointed at (configuration, hosts.toml, a docker config,
// a CA bundle, a token, the runtime's resolver files): regular files only, a size cap checked
// before anything is read, and never a wait without end. A FIFO, a device such as /dev/zero or a
// directory given where a file belongs is refused by name instead of hanging the process or
// filling its memory.

import { constants, type Stats } from "node:fs";
import { open } from "node:fs/promises";

export type FileProblem = "missing" | "permission" | "not-regular" | "too-large" | "timeout" | "io";

export class FileReadError extends Error {
  constructor(
    readonly path: string,
    readonly problem: FileProblem,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = "FileReadError";
  }
}

export interface ReadFileOptions {
  /** Larger files are refused before reading; the cap is checked again while reading (a file that grows). */
  maxBytes: number;
  /** A hung network mount can block open() or read(); the caller gets an answer after this. Default 5 s. */
  timeoutMs?: number;
}

/** O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
const DEFAULT_TIMEOUT_MS = 5000;
/** The first buffer for a file whose size stat cannot tell (/proc files say 0). */
const INITIAL_UNKNOWN_SIZE = 4096;

export async function readRegularFile(path: string, opts: ReadFileOptions): Promise<Buffer> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new FileReadError(path, "timeout", `no answer from the filesystem within ${timeoutMs} ms (a hung network mount?)`)),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    return await Promise.race([readBounded(path, opts.maxBytes), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function readTextFile(path: string, opts: ReadFileOptions): Promise<string> {
  return (await readRegularFile(path, opts)).toString("utf8");
}

async function readBounded(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, OPEN_FLAGS).catch((err: NodeJS.ErrnoException) => {
    throw openError(path, err);
  });
  try {
    const stats = await handle.stat();
    const kind = notRegular(stats);
    if (kind !== undefined) throw new FileReadError(path, "not-regular", `is ${kind}, not a regular file`);
    if (stats.size > maxBytes) throw tooLarge(path, stats.size, maxBytes);
    // Read one byte past the size: a file that grew since stat (or a /proc file, whose size says
    // 0) is caught, and the buffer doubles up to one byte past the cap. Sized by stat rather than
    // a 64 KiB floor: a trust store directory is a few hundred files of 2 KiB, and zero-filling
    // 64 KiB for each cost a one-shot diagnose about 18 MiB of memory and its collections.
    let chunk = Buffer.alloc(Math.min(maxBytes + 1, stats.size > 0 ? stats.size + 1 : INITIAL_UNKNOWN_SIZE));
    let used = 0;
    for (;;) {
      if (used === chunk.length) {
        if (used > maxBytes) throw tooLarge(path, used, maxBytes);
        chunk = Buffer.concat([chunk, Buffer.alloc(Math.min(chunk.length, maxBytes + 1 - chunk.length))]);
      }
      const { bytesRead } = await handle.read(chunk, used, chunk.length - used, null);
      if (bytesRead === 0) break;
      used += bytesRead;
    }
    if (used > maxBytes) throw tooLarge(path, used, maxBytes);
    return chunk.subarray(0, used);
  } catch (err) {
    if (err instanceof FileReadError) throw err;
    throw new FileReadError(path, "io", `cannot be read: ${(err as Error).message}`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function notRegular(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO (named pipe)";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  return "not a regular file";
}

function tooLarge(path: string, size: number, maxBytes: number): FileReadError {
  return new FileReadError(path, "too-large", `is ${size} bytes or more, over the ${maxBytes}-byte limit for this file`);
}

function openError(path: string, err: NodeJS.ErrnoException): FileReadError {
  if (err.code === "ENOENT" || err.code === "ENOTDIR") return new FileReadError(path, "missing", "no such file");
  if (err.code === "EACCES" || err.code === "EPERM") return new FileReadError(path, "permission", "permission denied");
  if (err.code === "EISDIR") return new FileReadError(path, "not-regular", "is a directory, not a regular file");
  if (err.code === "ENXIO") return new FileReadError(path, "not-regular", "is a socket or device without a reader, not a regular file");
  return new FileReadError(path, "io", `cannot be opened (${err.code ?? err.message})`);
}
