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
