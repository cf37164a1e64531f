import { formatDuration } from "../../core/text/index.js";
import { CAUSE_SUMMARY } from "./causes.js";
import { alternativesInWords, isHubAmbiguous, registryName, type Scene, tlsKind } from "./explain-scene.js";

/** One sentence (two when the words cannot decide), with the image, host or quota the message named. */
export function summarize(s: Scene): string {
  const main = providerSummary(s) ?? causeSummary(s);
  if (s.c.confident || s.c.cause === "unknown" || isHubAmbiguous(s)) return main;
  return `${main} The words alone cannot tell this from ${alternativesInWords(s.c.alternatives)}: pullmedic diagnose checks from the node.`;
}

function causeSummary(s: Scene): string {
  const img = s.facts.image;
  switch (s.c.cause) {
    case "invalid-reference":
      if (s.rule === "crio-short-name" && img) return `CRI-O will not guess a registry for the short name ${img}; the image needs a fully qualified name.`;
      if (img) return `${img} is not a valid image reference${s.refError ? `: ${s.refError.reason.replace(/\.$/, "")}` : ""}.`;
      return CAUSE_SUMMARY["invalid-reference"];
    case "not-found":
      return img ? `The registry has no ${img}: the repository, tag or digest does not exist.` : CAUSE_SUMMARY["not-found"];
    case "auth-required":
      if (isHubAmbiguous(s)) {
        return `${s.dockerHub ? "Docker Hub" : "The registry"} refused ${img ?? "the image"}: it is private or it does not exist (the answer is the same for both), and no accepted credentials were sent.`;
      }
      return `${registryName(s)} wants credentials for ${img ?? "this image"} and the pull sent none it accepted.`;
    case "auth-denied":
      if (s.rule === "ecr-token-expired")
        return `The ECR authorization token in the pull credentials for ${s.host ?? "the registry"} has expired (these tokens last 12 hours).`;
      if (s.rule === "acr-ip-not-allowed") return `${registryName(s)}'s firewall does not admit this node's address; its credentials were never the problem.`;
      return `${registryName(s)} rejected the credentials sent for ${img ?? "this image"}, or they lack pull access to it.`;
    case "secret-invalid":
      return secretSummary(s);
    case "rate-limited":
      return rateLimitSummary(s);
    case "dns":
      return `The node cannot resolve ${s.hostOnly ?? "the registry's host name"}.`;
    case "network-timeout":
      return networkSummary(s);
    case "connection-refused":
      return `${s.host ?? "The registry"} refused or reset the TCP connection${s.port !== 443 ? ` on port ${s.port}` : ""}.`;
    case "tls":
      return tlsSummary(s);
    case "registry-unavailable":
      return unavailableSummary(s);
    case "platform-mismatch":
      return `${img ?? "The image"} has no variant for ${s.facts.platform ?? "this node's OS and architecture"}.`;
    case "pull-timeout":
      return `Pulling ${img ?? "the image"} started but did not finish in time.`;
    case "disk-full":
      return `The node's image filesystem is full${img ? `; ${img} cannot be stored` : ""}.`;
    case "never-pull":
      if (s.rule === "kubelet-never-pull-not-ensured") {
        return `${img ?? "The image"} is on the node, but it was pulled with credentials this pod does not have, and the pull policy Never forbids kubelet to pull it with the pod's own.`;
      }
      return `${img ?? "The image"} is not on the node and the pod's imagePullPolicy is Never.`;
    case "unknown":
      return unknownSummary(s);
  }
}

function secretSummary(s: Scene): string {
  const names = s.facts.secretNames;
  if (names?.length) {
    return `kubelet could not read the pull secret${names.length > 1 ? "s" : ""} ${names.join(", ")}: missing, misspelt, or in another namespace; the pull goes ahead without ${names.length > 1 ? "them" : "it"}.`;
  }
  if (s.rule === "kubelet-image-not-ensured") return "The image is on the node, pulled with credentials this pod's pull secrets do not include.";
  return "The pull secret's credentials cannot be decoded: its auth entry is not base64 of user:password.";
}

function networkSummary(s: Scene): string {
  const host = s.host ?? "the registry";
  if (s.rule === "go-proxyconnect" || s.rule === "http-407-proxy-auth")
    return `The HTTP(S) proxy between the node and ${host} failed; the runtime never reached the registry.`;
  if (s.rule === "go-net-unreachable" || s.rule === "go-dial-blocked") return `The node has no route to ${host} (routing, firewall or egress policy).`;
  return `The node resolved ${host} but the connection or the answer timed out.`;
}

function unavailableSummary(s: Scene): string {
  if (s.rule === "gcr-shut-down") return `Container Registry (gcr.io) no longer serves this project; its images must be pulled from Artifact Registry.`;
  const broke = ["go-eof", "go-unexpected-eof", "go-http2-goaway", "go-http2-stream-error", "go-server-closed-idle"].includes(s.rule ?? "");
  const what = s.facts.status !== undefined ? `answered HTTP ${s.facts.status}` : broke ? "broke off the transfer" : "answered with a server error";
  return `${registryName(s)} ${what}; the registry side is failing, not this node.`;
}

function unknownSummary(s: Scene): string {
  const img = s.facts.image;
  const hint = s.c.hint;
  if (hint !== undefined) return hint.summary.replace("<image>", img ?? "the image");
  if (s.backOff) return `kubelet is waiting before it tries ${img ?? "the image"} again; the reason is in the earlier "Failed to pull image" event.`;
  return `The message does not say why ${img ?? "the pull"} failed${s.facts.grpcCode ? ` (the runtime answered gRPC ${s.facts.grpcCode})` : ""}.`;
}

function rateLimitSummary(s: Scene): string {
  if (s.rule === "kubelet-pull-qps") return "kubelet's own pull rate limit (registryPullQPS in its configuration) held the pull back; no registry refused it.";
  const rl = s.facts.rateLimit;
  const who = s.dockerHub ? "Docker Hub" : (s.host ?? "The registry");
  if (rl?.limit !== undefined) {
    const left = rl.remaining !== undefined ? `${rl.remaining} of ${rl.limit} left` : `limit ${rl.limit}`;
    const window = rl.windowSeconds !== undefined ? ` in a ${formatDuration(rl.windowSeconds * 1000)} window` : "";
    return `${who} refused the pull: rate limit reached (${left}${window}).`;
  }
  if (s.dockerHub) {
    return `Docker Hub refused the pull: pull rate limit reached (anonymous pulls: 100 per 6 h per IP address; a free account gets 200).`;
  }
  return `${who} refused the pull: rate limit reached${s.facts.status === 429 ? " (HTTP 429)" : ""}.`;
}

function tlsSummary(s: Scene): string {
  const host = s.host ?? "the registry";
  switch (tlsKind(s.rule)) {
    case "unknown-authority":
      return `The certificate of ${host} is signed by a CA this node does not trust.`;
    case "expired":
      return `The certificate of ${host} has expired or is not yet valid (check the node's clock too).`;
    case "wrong-host": {
      const names = s.facts.certificateNames;
      return names?.length
        ? `The certificate of ${host} is for ${names.slice(0, 5).join(", ")}, not for ${s.hostOnly ?? host}.`
        : `The certificate of ${host} does not name the host the node connected to.`;
    }
    case "plain-http":
      return `${host} speaks plain HTTP but the runtime expected HTTPS.`;
    case "https-expected":
      return `${host} speaks HTTPS but the runtime was configured to use plain HTTP.`;
    default:
      return `The TLS connection to ${host} failed.`;
  }
}

/**
 * When kubelet gets the image's credentials from a credential provider plugin, the auth answers
 * are about the plugin and the node's cloud identity, not about pull secrets.
 */
function providerSummary(s: Scene): string | undefined {
  const failed = s.facts.provider;
  const p = s.provider;
  const img = s.facts.image ?? "the image";
  if (failed !== undefined && (s.c.cause === "auth-required" || s.c.cause === "auth-denied" || p !== undefined)) {
    const exit = failed.exitStatus !== undefined ? ` (exit status ${failed.exitStatus})` : "";
    const verdict = s.c.cause === "auth-denied" ? "its cloud identity was refused" : "so the pull went without credentials";
    return `kubelet's image credential provider ${failed.name} failed${exit} for ${img}: ${verdict}.`;
  }
  if (p === undefined) return undefined;
  const where = `kubelet's credential provider ${p.provider} (matchImages ${p.matchedBy} in ${p.configPath})`;
  if (s.c.cause === "auth-required") {
    const why = p.binaryPresent ? "the plugin failed or returned nothing" : `its executable ${p.binDir ?? "<bin-dir>"}/${p.provider} is missing`;
    return `${where} covers ${img}, yet the pull went without accepted credentials: ${why}.`;
  }
  if (s.c.cause === "auth-denied") return `The credentials ${where} supplied for ${img} were refused: the node's cloud identity lacks pull access to it.`;
  return undefined;
}
