// The one error type the network probes reject with, so a caller (diagnose, the CLI)
// decides on `step` and `kind` instead of parsing messages.

export type ProbeStep = "dns" | "tcp" | "tls";
export type ProbeErrorKind = "dns" | "timeout" | "refused" | "reset" | "unreachable" | "tls" | "http-to-https";

export class ProbeError extends Error {
  readonly step: ProbeStep;
  readonly kind: ProbeErrorKind;
  /** The system or OpenSSL code behind the failure (ECONNREFUSED, ENOTFOUND, ERR_SSL_…), when there was one. */
  readonly code: string | undefined;
  /** Time from the start of the probe to the failure. */
  readonly ms: number;

  constructor(step: ProbeStep, kind: ProbeErrorKind, message: string, extra: { code?: string | undefined; ms: number; cause?: unknown }) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = "ProbeError";
    this.step = step;
    this.kind = kind;
    this.code = extra.code;
    this.ms = extra.ms;
  }
}

/** Milliseconds since `start` (a performance.now() value), to a tenth: finer is noise. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

export function requireTimeout(fn: string, timeoutMs: number): void {
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError(`${fn}: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
}

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** "[::1]" → "::1": URLs and host:port strings bracket IPv6 literals; sockets and resolvers do not. */
export function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
