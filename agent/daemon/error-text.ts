/** A thrown value in words, for a log line or a check's error. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
