import { CAUSES } from "../../core/protocol/index.js";

export { CAUSES } from "../../core/protocol/index.js";

export type Cause = (typeof CAUSES)[number];

/** What a failed pull can be labelled: everything but `ok`. */
export type FailureCause = Exclude<Cause, "ok">;

/**
 * One sentence per cause for a person who has only the label. Specific answers (with the image,
 * host or quota that was seen) are written by explain; these are the fallback and the legend.
 */
export const CAUSE_SUMMARY: Record<Cause, string> = {
  ok: "The node can pull the image.",
  "invalid-reference": "The image name is not a valid reference, so nothing was asked of any registry.",
  "not-found": "The registry answered that the repository, tag or digest does not exist.",
  "auth-required": "The registry wants credentials and the pull did not send any that it accepted.",
  "auth-denied": "The registry rejected the credentials that were sent, or they lack pull access.",
  "secret-invalid": "The pull secret is missing, of the wrong type, not decodable, or has no entry for this registry.",
  "rate-limited": "The registry refused the pull because a pull rate limit was reached.",
  dns: "The node cannot resolve the registry's host name.",
  "network-timeout": "The node resolved the registry but connecting, the TLS handshake or a response timed out, or a proxy failed.",
  "connection-refused": "The registry's address refused or reset the TCP connection.",
  tls: "The TLS connection to the registry failed: unknown authority, expired or wrong-host certificate, or HTTP spoken where HTTPS was expected.",
  "registry-unavailable": "The registry answered with a server error (5xx) or broke off the transfer.",
  "platform-mismatch": "The image has no variant for the node's OS and architecture.",
  "pull-timeout": "The pull started but did not finish in time.",
  "disk-full": "The node's image filesystem has no space left for the image.",
  "never-pull": "The pod's pull policy is Never and the image is not on the node.",
  unknown: "The message does not say why the pull failed.",
};

export function isCause(value: unknown): value is Cause {
  return typeof value === "string" && (CAUSES as readonly string[]).includes(value);
}
