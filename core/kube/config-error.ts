import { FileReadError } from "../../core/fs/index.js";

/** A kubeconfig or service-account problem: the message names the file, the context and the key. */
export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
  /** The kubeconfig (or service-account) file the problem is in. */
  readonly file: string | undefined;
  readonly context: string | undefined;
  /** The key that is wrong, like `users["admin"].user.client-key-data`. */
  readonly key: string | undefined;

  constructor(message: string, where: { file?: string | undefined; context?: string | undefined; key?: string | undefined } = {}) {
    super(message);
    this.file = where.file;
    this.context = where.context;
    this.key = where.key;
  }
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a directory",
  ENOTDIR: "a parent of it is not a directory",
  ELOOP: "too many symbolic links",
};

/** Why a file could not be read, in words (the errno code in parentheses for searching). */
export function readFailure(err: unknown): string {
  // core/fs says why in words already: "is a FIFO (named pipe), not a regular file".
  if (err instanceof FileReadError) return err.problem === "missing" ? "no such file (ENOENT)" : err.message.slice(err.path.length + 2);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return "unreadable";
  const words = READ_ERRORS[code];
  return words === undefined ? code : `${words} (${code})`;
}
