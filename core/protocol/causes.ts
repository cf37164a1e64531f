// The cause labels: part of the agent ⇄ aggregator contract, so both sides read this one list.
/**
 * The fixed set of answers diagnose and explain give (docs/contracts.md, "Cause labels"). Reports, metrics
 * and the aggregator group failures by these strings, so they are a contract: add, never rename.
 */
export const CAUSES = [
  "ok",
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
] as const;
