import { CriError } from "../agent/runtime/index.js";

/** Bad usage or bad input: exit code 2 with a message that names what is wrong. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_USAGE = 2;

/** An endpoint that cannot be reached at all is bad input; a runtime that fails is a problem found. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT_USAGE;
  if (err instanceof CriError) {
    return ["bad-endpoint", "socket-missing", "permission-denied", "not-cri"].includes(err.kind) ? EXIT_USAGE : EXIT_PROBLEM;
  }
  return EXIT_PROBLEM;
}

export function errorKind(err: unknown): string {
  if (err instanceof UsageError) return "usage";
  if (err instanceof CriError) return err.kind;
  return "internal";
}
