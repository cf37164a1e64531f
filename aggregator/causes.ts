// The cause labels a failure can carry (docs/contracts.md, "Cause labels"): the agent's fixed set,
// which only grows, plus "pending" for a diagnosis still running. A metric label takes these and
// nothing else: any other value an agent sends is counted as "other", so a peer cannot grow the
// metric's series without bound. The agent's list and this one are kept equal by a test.

export const KNOWN_CAUSES: ReadonlySet<string> = new Set([
  "invalid-reference",
  "not-found",
  "auth-required",
  "auth-denied",
  "secret-invalid",
  "rate-limited",
  "dns",
  "network-timeout",
  "connection-refused",
  "tls",
  "registry-unavailable",
  "platform-mismatch",
  "pull-timeout",
  "disk-full",
  "never-pull",
  "unknown",
  "pending",
]);

/** The label a cause is counted under: itself when known, else "other". */
export function causeLabel(cause: string): string {
  return KNOWN_CAUSES.has(cause) ? cause : "other";
}
